//! Groups give roles through the organization's mappings: the highest of a person's mapped
//! groups, the default role without one, never owner.

use super::*;

#[tokio::test]
async fn mapped_groups_give_roles_and_taking_them_away_takes_the_role() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let person = directory
        .stack
        .confirmed_user(&db, &unique_email("grouped"))
        .await;
    let user = directory
        .create_user(&person.email, Some(&person.email))
        .await;
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("viewer")
    );

    directory.map("Engineering Leads", Some("admin")).await;
    directory.map("Recruiting", Some("recruiter")).await;
    let leads = directory.create_group("engineering leads", &[&user]).await;
    let recruiting = directory.create_group("Recruiting", &[&user]).await;
    assert_eq!(leads["members"][0]["value"], user["id"]);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("admin"),
        "the highest mapped role"
    );

    let read = directory
        .call(
            "GET",
            &format!("/Users/{}", user["id"].as_str().unwrap()),
            None,
        )
        .await;
    let groups: Vec<&str> = read.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["display"].as_str().unwrap())
        .collect();
    assert_eq!(groups, vec!["Recruiting", "engineering leads"]);

    let leads_path = format!("/Groups/{}", leads["id"].as_str().unwrap());
    let removed = directory
        .patch(&leads_path, json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", user["id"].as_str().unwrap())}]))
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("recruiter")
    );
    let added = directory
        .patch(
            &leads_path,
            json!([{"op": "Add", "path": "members", "value": [{"value": user["id"]}]}]),
        )
        .await;
    assert_eq!(added.status, 200);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("admin")
    );

    // The mapping itself: removed, the role follows at once.
    directory.map("Engineering Leads", None).await;
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("recruiter")
    );
    let deleted = directory
        .call(
            "DELETE",
            &format!("/Groups/{}", recruiting["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("viewer"),
        "no mapped group: the default role"
    );

    // Owner is never a directory's to give.
    let (status, body) = directory
        .stack
        .rpc_answer(
            "set_directory_group_role",
            &directory.owner.jwt,
            json!({"p_organization_id": directory.org, "p_group": "Owners", "p_role": "owner"}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("invalid_role"))
    );
}

#[tokio::test]
async fn groups_are_listed_filtered_renamed_and_checked() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let user = directory.create_user(&unique_email("member"), None).await;
    let name = format!("Team {}", Uuid::new_v4().simple());
    let group = directory.create_group(&name, &[&user]).await;
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());

    let filter = format!("displayName eq \"{}\"", name.to_lowercase())
        .replace(' ', "%20")
        .replace('"', "%22");
    let listed = directory
        .call(
            "GET",
            &format!("/Groups?excludedAttributes=members&filter={filter}"),
            None,
        )
        .await;
    assert_eq!(listed.body["totalResults"], 1);
    assert!(listed.body["Resources"][0].get("members").is_none());
    let member_filter = format!("members[value eq \"{}\"]", user["id"].as_str().unwrap())
        .replace(' ', "%20")
        .replace('"', "%22");
    let with_member = directory
        .call("GET", &format!("/Groups?filter={member_filter}"), None)
        .await;
    assert_eq!(with_member.body["totalResults"], 1);

    scim_error(
        &directory
            .call(
                "POST",
                "/Groups",
                Some(json!({"displayName": name.to_uppercase()})),
            )
            .await,
        409,
        Some("uniqueness"),
    );
    scim_error(
        &directory
            .patch(
                &path,
                json!([{"op": "add", "path": "members", "value": [{"value": Uuid::new_v4()}]}]),
            )
            .await,
        400,
        Some("invalidValue"),
    );
    scim_error(
        &directory
            .patch(
                &path,
                json!([{"op": "add", "path": "members", "value": [{"value": "not-an-id"}]}]),
            )
            .await,
        400,
        Some("invalidValue"),
    );
    let renamed = directory
        .patch(
            &path,
            json!([{"op": "Replace", "value": {"id": group["id"], "displayName": "Renamed"}}]),
        )
        .await;
    assert_eq!(renamed.body["displayName"], "Renamed");
    let replaced = directory
        .call(
            "PUT",
            &path,
            Some(json!({"displayName": "Renamed", "members": []})),
        )
        .await;
    assert_eq!(replaced.body["members"], json!([]));
}
