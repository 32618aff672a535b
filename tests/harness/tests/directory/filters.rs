//! Filters as identity providers send them, and the RFC's error for the rest.

use super::*;

fn query(filter: &str) -> String {
    let mut encoded = String::new();
    for byte in filter.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("/Users?filter={encoded}")
}

async fn found(directory: &Directory, filter: &str) -> Vec<String> {
    let answer = directory.call("GET", &query(filter), None).await;
    assert_eq!(answer.status, 200, "{filter}: {}", answer.body);
    answer.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_filters_okta_and_entra_send_find_the_right_people() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let ada = format!("Ada.{}@Example.com", Uuid::new_v4().simple());
    let bob = format!("bob.{}@example.com", Uuid::new_v4().simple());
    directory
        .call("POST", "/Users", Some(json!({"userName": ada, "externalId": "00u-ada", "active": true,
            "emails": [{"type": "work", "value": ada.to_lowercase()}, {"type": "home", "value": "ada@home.example"}]})))
        .await;
    directory
        .call(
            "POST",
            "/Users",
            Some(
                json!({"userName": bob, "externalId": "00u-bob", "active": false,
            "emails": [{"type": "home", "value": bob}]}),
            ),
        )
        .await;

    assert_eq!(
        found(
            &directory,
            &format!(r#"userName eq "{}""#, ada.to_lowercase())
        )
        .await,
        vec![ada.clone()]
    );
    assert_eq!(
        found(&directory, r#"externalId eq "00u-bob""#).await,
        vec![bob.clone()]
    );
    assert!(
        found(&directory, r#"externalId eq "00U-BOB""#)
            .await
            .is_empty(),
        "externalId is case-exact"
    );
    assert_eq!(
        found(
            &directory,
            &format!(
                r#"emails[type eq "work"].value eq "{}""#,
                ada.to_uppercase()
            )
        )
        .await,
        vec![ada.clone()]
    );
    assert!(found(
        &directory,
        &format!(r#"emails[type eq "work"].value eq "{bob}""#)
    )
    .await
    .is_empty());
    assert_eq!(
        found(&directory, r#"emails.value eq "ada@home.example""#).await,
        vec![ada.clone()]
    );
    assert_eq!(
        found(
            &directory,
            r#"externalId eq "00u-ada" or externalId eq "00u-bob""#
        )
        .await,
        vec![ada.clone(), bob.clone()]
    );
    assert_eq!(
        found(&directory, r#"externalId sw "00u-" and active eq false"#).await,
        vec![bob.clone()]
    );
    assert_eq!(
        found(&directory, r#"not (active eq false) and userName co "ada""#).await,
        vec![ada]
    );
    assert!(found(&directory, r#"userName eq "x\" or \"1\" eq \"1""#)
        .await
        .is_empty());

    for bad in [
        r#"userName zz "a""#,
        r#"shoeSize eq "a""#,
        r#"userName eq "a" and"#,
        r#"active gt true"#,
    ] {
        scim_error(
            &directory.call("GET", &query(bad), None).await,
            400,
            Some("invalidFilter"),
        );
    }
}
