//! `/Users`: create, read, replace, delete, list pages and attributes, uniqueness; a
//! directory user with an account is a member at once, one without waits for the signup.

use super::*;

#[tokio::test]
async fn a_user_is_created_read_replaced_and_deleted() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let name = unique_email("crud");
    let created = directory
        .call(
            "POST",
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "userName": name, "externalId": "00u-crud", "displayName": "Crud User",
                "name": {"givenName": "Crud", "familyName": "User"},
                "emails": [{"type": "work", "value": name, "primary": true}],
                "password": "never kept",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                    "department": "Tour Operations", "manager": {"value": "26118915"}},
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.content_type, SCIM);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.location.as_deref(),
        created.body["meta"]["location"].as_str()
    );
    assert!(created
        .location
        .unwrap()
        .ends_with(&format!("/scim/v2/Users/{id}")));
    assert_eq!(created.body["meta"]["resourceType"], "User");
    assert!(created.body.get("password").is_none());
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    assert_eq!(created.body[enterprise]["department"], "Tour Operations");

    let read = directory.call("GET", &format!("/Users/{id}"), None).await;
    assert_eq!(read.body, created.body);
    let replaced = directory
        .call(
            "PUT",
            &format!("/Users/{id}"),
            Some(json!({"userName": name, "displayName": "Renamed", "active": true})),
        )
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["displayName"], "Renamed");
    assert!(
        replaced.body.get("externalId").is_none(),
        "PUT replaces the whole user"
    );

    // userName is unique in a directory whatever its case.
    let again = directory
        .call(
            "POST",
            "/Users",
            Some(json!({"userName": name.to_uppercase()})),
        )
        .await;
    scim_error(&again, 409, Some("uniqueness"));
    scim_error(
        &directory
            .call("POST", "/Users", Some(json!({"name": {}})))
            .await,
        400,
        Some("invalidValue"),
    );
    scim_error(
        &directory
            .call("POST", "/Users", Some(json!(["not", "a", "user"])))
            .await,
        400,
        Some("invalidSyntax"),
    );

    let deleted = directory
        .call("DELETE", &format!("/Users/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    scim_error(
        &directory.call("GET", &format!("/Users/{id}"), None).await,
        404,
        None,
    );
    scim_error(
        &directory
            .call("DELETE", &format!("/Users/{id}"), None)
            .await,
        404,
        None,
    );
}

#[tokio::test]
async fn lists_page_by_start_index_and_count_and_trim_attributes() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    for i in 0..5 {
        directory
            .create_user(&unique_email(&format!("page{i}")), None)
            .await;
    }
    let page = directory
        .call("GET", "/Users?startIndex=2&count=2", None)
        .await;
    assert_eq!(
        page.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(page.body["totalResults"], 5);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["itemsPerPage"], 2);
    let all = directory.call("GET", "/Users", None).await;
    let ids = |answer: &Answer| -> Vec<Value> {
        answer.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].clone())
            .collect()
    };
    assert_eq!(ids(&page), ids(&all)[1..3].to_vec());
    let total_only = directory.call("GET", "/Users?count=0", None).await;
    assert_eq!(
        (
            total_only.body["totalResults"].as_u64(),
            total_only.body["Resources"].as_array().map(Vec::len)
        ),
        (Some(5), Some(0))
    );
    let trimmed = directory
        .call("GET", "/Users?attributes=userName&count=1", None)
        .await;
    let first = &trimmed.body["Resources"][0];
    assert!(first["userName"].is_string() && first["id"].is_string());
    assert!(first.get("name").is_none() && first.get("meta").is_none());
    let without = directory
        .call("GET", "/Users?excludedAttributes=name,meta&count=1", None)
        .await;
    assert!(without.body["Resources"][0].get("name").is_none());
    assert!(without.body["Resources"][0]["userName"].is_string());
    let searched = directory
        .call(
            "POST",
            "/Users/.search",
            Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "startIndex": 2, "count": 2, "attributes": ["userName"]})),
        )
        .await;
    assert_eq!(ids(&searched), ids(&page));
}

#[tokio::test]
async fn an_account_makes_a_member_at_once_and_a_signup_completes_a_pending_one() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    // An account with a confirmed address: a member at once, whatever the case it is sent in.
    let existing = directory
        .stack
        .confirmed_user(&db, &unique_email("existing"))
        .await;
    directory
        .create_user(&existing.email.to_uppercase(), None)
        .await;
    assert_eq!(
        role_of(&db, directory.org, existing.id).await.as_deref(),
        Some("viewer")
    );
    let provisioned: Value = db
        .query_one(
            "select after from organization_audit_log where organization_id = $1 and action = 'member.provisioned' and target_user_id = $2",
            &[&directory.org, &existing.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(provisioned, json!({"role": "viewer", "via": "scim"}));

    // No account yet: pending; the signup joins the organization once confirmed, and gets
    // no personal workspace.
    let email = unique_email("later");
    let pending = directory
        .create_user(&format!("later-{}", Uuid::new_v4()), Some(&email))
        .await;
    let (_, status) = directory
        .stack
        .rpc_answer(
            "directory_status",
            &directory.owner.jwt,
            json!({"p_organization_id": directory.org}),
        )
        .await;
    let person = status["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pending["id"])
        .unwrap()
        .clone();
    assert_eq!(person["state"], "pending");
    let user = insert_user(&db, &email, json!({"full_name": "Later"})).await;
    // The webhook has run once the profile exists.
    let mut counts = signup_counts(&db, user).await;
    for _ in 0..300 {
        if counts.0 == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        counts = signup_counts(&db, user).await;
    }
    assert_eq!(
        counts,
        (1, 0, 0),
        "the signup ran and made no personal workspace for the directory's person"
    );
    assert_eq!(
        role_of(&db, directory.org, user).await,
        None,
        "not before the address is confirmed"
    );
    db.execute(
        "update auth.users set email_confirmed_at = now() where id = $1",
        &[&user],
    )
    .await
    .unwrap();
    assert_eq!(
        role_of(&db, directory.org, user).await.as_deref(),
        Some("viewer")
    );
}

#[tokio::test]
async fn a_member_added_by_hand_is_linked_not_duplicated() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let hand = directory
        .stack
        .confirmed_user(&db, &unique_email("hand"))
        .await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'admin')",
        &[&directory.org, &hand.id],
    )
    .await
    .unwrap();
    directory.create_user(&hand.email, Some(&hand.email)).await;
    let memberships: i64 = db
        .query_one(
            "select count(*) from organization_members where organization_id = $1 and user_id = $2",
            &[&directory.org, &hand.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(memberships, 1);
    // The directory decides the role from now on: no mapped group, the default role.
    assert_eq!(
        role_of(&db, directory.org, hand.id).await.as_deref(),
        Some("viewer")
    );
}

#[tokio::test]
async fn an_organization_that_asks_emails_the_people_the_directory_adds() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let (status, body) = directory
        .stack
        .rpc_answer("set_directory_settings", &directory.owner.jwt,
            json!({"p_organization_id": directory.org, "p_default_role": null, "p_send_invitations": true}))
        .await;
    assert_eq!(status, 200, "{body}");
    let newcomer = unique_email("newcomer");
    directory.create_user(&newcomer, Some(&newcomer)).await;
    // Someone with an account is a member at once: no email.
    let member = directory
        .stack
        .confirmed_user(&db, &unique_email("member"))
        .await;
    directory
        .create_user(&member.email, Some(&member.email))
        .await;

    let mailbox = |to: &str| {
        format!(
            "{}/_fake/emails?to={to}",
            directory.stack.var("RESEND_FAKE_URL")
        )
    };
    let sent = directory.stack.get_json(&mailbox(&newcomer)).await["emails"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["subject"], "You have been added to Directory");
    assert!(sent[0]["text"].as_str().unwrap().contains("/signup"));
    let none = directory.stack.get_json(&mailbox(&member.email)).await;
    assert_eq!(none["emails"], json!([]));
}
