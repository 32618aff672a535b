//! Request sequences as Okta and Microsoft Entra ID send them (their provisioning guides:
//! a lookup by userName before a create, PATCH for changes, groups pushed with members).

use super::*;

fn encoded(filter: &str) -> String {
    filter.replace(' ', "%20").replace('"', "%22")
}

#[tokio::test]
async fn an_okta_provisioning_cycle() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let person = directory
        .stack
        .confirmed_user(&db, &unique_email("okta"))
        .await;
    directory.map("Okta Admins", Some("admin")).await;

    // Import: does the user exist?
    let lookup = directory
        .call(
            "GET",
            &format!(
                "/Users?filter={}&startIndex=1&count=100",
                encoded(&format!("userName eq \"{}\"", person.email))
            ),
            None,
        )
        .await;
    assert_eq!(lookup.body["totalResults"], 0);
    let created = directory
        .call("POST", "/Users", Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": person.email, "name": {"givenName": "Okta", "familyName": "Person"},
            "emails": [{"primary": true, "value": person.email, "type": "work"}],
            "displayName": "Okta Person", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [], "password": "1mz050nq", "active": true,
        })))
        .await;
    assert_eq!(created.status, 201);
    let path = format!("/Users/{}", created.body["id"].as_str().unwrap());
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("viewer")
    );

    // Push groups: a group with its members, then membership changes by PATCH.
    let group = directory
        .call("POST", "/Groups", Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Okta Admins", "members": []})))
        .await
        .body;
    let group_path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let added = directory
        .patch(
            &group_path,
            json!([{"op": "add", "path": "members",
            "value": [{"value": created.body["id"], "display": person.email}]}]),
        )
        .await;
    assert_eq!(added.status, 200);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("admin")
    );
    let renamed = directory.patch(&group_path, json!([{"op": "replace", "value": {"id": group["id"], "displayName": "Okta Admins Renamed"}}])).await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("viewer"),
        "the new name is not mapped"
    );

    // Profile update, then deactivation, as PATCHes without a path.
    let updated = directory
        .patch(
            &path,
            json!([{"op": "replace", "value": {"name": {"givenName": "Changed"}}}]),
        )
        .await;
    assert_eq!(updated.body["name"]["givenName"], "Changed");
    assert_eq!(
        updated.body["name"]["familyName"], "Person",
        "other sub-attributes are kept"
    );
    directory
        .patch(
            &path,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(role_of(&db, directory.org, person.id).await, None);
}

#[tokio::test]
async fn an_entra_provisioning_cycle() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let person = directory
        .stack
        .confirmed_user(&db, &unique_email("entra"))
        .await;
    // Entra's test connection: a filter on a random attribute value.
    let probe = directory
        .call(
            "GET",
            &format!(
                "/Users?filter={}",
                encoded(&format!("userName eq \"{}\"", Uuid::new_v4()))
            ),
            None,
        )
        .await;
    assert_eq!(
        (probe.status, probe.body["totalResults"].as_u64()),
        (200, Some(0))
    );

    // userName is the UPN, in its own case; the work email links the account.
    let upn = person.email.to_uppercase();
    let created = directory
        .call("POST", "/Users", Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "userName": upn, "active": true,
            "displayName": "Entra Person",
            "emails": [{"primary": true, "type": "work", "value": person.email}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Entra Person", "familyName": "Person", "givenName": "Entra"},
            "roles": [],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
        })))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["userName"], upn);
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("viewer")
    );
    let path = format!("/Users/{}", created.body["id"].as_str().unwrap());

    // Entra's lookups: by externalId, then its update shapes.
    let by_external = directory
        .call(
            "GET",
            &format!(
                "/Users?filter={}",
                encoded("externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"")
            ),
            None,
        )
        .await;
    assert_eq!(by_external.body["totalResults"], 1);
    let changed = directory
        .patch(&path, json!([
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": person.email},
            {"op": "Replace", "path": "displayName", "value": "Entra P."},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "ab12"},
        ]))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["displayName"], "Entra P.");
    let enterprise = &changed.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(
        enterprise["manager"],
        json!({"value": "ab12"}),
        "the manager's id as its value"
    );
    assert_eq!(enterprise["department"], "Sales");

    // Groups: a lookup without members, a create, member PATCHes.
    let lookup = directory
        .call(
            "GET",
            &format!(
                "/Groups?excludedAttributes=members&filter={}",
                encoded("displayName eq \"Sales\"")
            ),
            None,
        )
        .await;
    assert_eq!(lookup.body["totalResults"], 0);
    let group = directory
        .call("POST", "/Groups", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Sales", "members": []})))
        .await;
    assert_eq!(group.status, 201);
    let group_path = format!("/Groups/{}", group.body["id"].as_str().unwrap());
    let added = directory
        .patch(
            &group_path,
            json!([{"op": "Add", "path": "members", "value": [{"value": created.body["id"]}]}]),
        )
        .await;
    assert_eq!(added.status, 200);
    let removed = directory
        .patch(
            &group_path,
            json!([{"op": "Remove", "path": "members", "value": [{"value": created.body["id"]}]}]),
        )
        .await;
    assert_eq!(removed.status, 200);

    // Disable as Entra sends it: a capitalised op and the string "False".
    let disabled = directory
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(disabled.body["active"], false);
    assert_eq!(role_of(&db, directory.org, person.id).await, None);
    assert_eq!(directory.call("DELETE", &path, None).await.status, 204);
}
