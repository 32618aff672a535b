//! PATCH on users as the RFC writes it and as identity providers send it.

use super::*;

#[tokio::test]
async fn patch_adds_replaces_and_removes_with_and_without_paths() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let user = directory
        .create_user(&unique_email("patched"), Some("first@patch.example"))
        .await;
    let path = format!("/Users/{}", user["id"].as_str().unwrap());
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    let answer = directory
        .patch(&path, json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "second@patch.example"},
            {"op": "add", "path": "phoneNumbers", "value": [{"type": "mobile", "value": "+1 555 0100"}]},
            {"op": "Replace", "path": format!("{enterprise}:department"), "value": "Research"},
            {"op": "add", "value": {"title": "Engineer", "name.familyName": "Patched"}},
            {"op": "remove", "path": "name.givenName"},
        ]))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let patched = directory.call("GET", &path, None).await.body;
    assert_eq!(
        patched["emails"],
        json!([{"type": "work", "value": "second@patch.example", "primary": true}])
    );
    assert_eq!(patched["phoneNumbers"][0]["value"], "+1 555 0100");
    assert_eq!(patched[enterprise]["department"], "Research");
    assert_eq!(patched["title"], "Engineer");
    assert_eq!(patched["name"], json!({"familyName": "Patched"}));

    scim_error(
        &directory.patch(&path, json!([{"op": "remove"}])).await,
        400,
        Some("noTarget"),
    );
    scim_error(
        &directory
            .patch(
                &path,
                json!([{"op": "replace", "path": "id", "value": "x"}]),
            )
            .await,
        400,
        Some("mutability"),
    );
    scim_error(
        &directory
            .patch(
                &path,
                json!([{"op": "replace", "path": "nope.nothing", "value": 1}]),
            )
            .await,
        400,
        Some("invalidPath"),
    );
    scim_error(
        &directory.patch(&path, json!([{"op": "replace", "path": "addresses[type eq \"work\" or type eq \"home\"].locality", "value": "X"}])).await,
        400,
        Some("noTarget"),
    );
    scim_error(
        &directory
            .patch(
                &path,
                json!([{"op": "replace", "path": "active", "value": "perhaps"}]),
            )
            .await,
        400,
        Some("invalidValue"),
    );
    let unchanged = directory.call("GET", &path, None).await.body;
    assert_eq!(unchanged, patched, "a refused PATCH changes nothing");
}
