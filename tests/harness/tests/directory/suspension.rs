//! `active: false` takes access away on every path — tables through /rest/v1, RPCs,
//! functions, the next token — and `active: true` gives it back; delete removes the
//! membership and never the account; the last owner stays.

use super::*;

/// What `who` sees of `org` through each kind of path.
async fn reach(stack: &Stack, who: &User, org: Uuid) -> (usize, bool, u16) {
    let rows: Vec<Value> = stack
        .select(
            &format!("organizations?select=id&id=eq.{org}"),
            Some(&who.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    let (_, may) = stack
        .rpc_answer(
            "authorize",
            &who.jwt,
            json!({"p_organization_id": org, "p_permission": "org:members:read"}),
        )
        .await;
    let export = stack
        .call_function(
            "export-organization",
            Some(&who.jwt),
            json!({"organization_id": org}),
        )
        .await
        .status()
        .as_u16();
    (rows.len(), may == json!(true), export)
}

async fn active_organization_in_next_token(db: &Client, who: Uuid) -> Option<String> {
    let event: Value = db
        .query_one(
            "select public.custom_access_token_hook(jsonb_build_object('user_id', $1::uuid, 'claims', '{}'::jsonb))",
            &[&who],
        )
        .await
        .unwrap()
        .get(0);
    event["claims"]["organization_id"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn a_suspended_member_reaches_nothing_and_a_restored_one_everything_again() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let stack = &directory.stack;
    let person = stack.confirmed_user(&db, &unique_email("suspended")).await;
    // An endpoint that wants the directory's events (the stack's dispatcher may try to
    // deliver them; what was queued is what counts here).
    let (status, endpoint) = stack
        .rpc_answer(
            "create_webhook_endpoint",
            &directory.owner.jwt,
            json!({
            "p_organization_id": directory.org, "p_url": "https://hooks.directory-example.com/in",
            "p_events": ["member.provisioned", "member.suspended", "member.deprovisioned"]}),
        )
        .await;
    assert_eq!(status, 200, "{endpoint}");
    directory.map("Admins", Some("admin")).await;
    let user = directory
        .create_user(&person.email, Some(&person.email))
        .await;
    directory.create_group("Admins", &[&user]).await;
    db.execute(
        "update profiles set organization_id = $1 where id = $2",
        &[&directory.org, &person.id],
    )
    .await
    .unwrap();
    assert_eq!(reach(stack, &person, directory.org).await, (1, true, 200));
    assert_eq!(
        active_organization_in_next_token(&db, person.id).await,
        Some(directory.org.to_string())
    );

    // Okta's deactivation.
    let path = format!("/Users/{}", user["id"].as_str().unwrap());
    let suspended = directory
        .patch(
            &path,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert_eq!(suspended.body["active"], false);
    let (rows, may, export) = reach(stack, &person, directory.org).await;
    assert_eq!(
        (rows, may),
        (0, false),
        "no row and no permission while suspended"
    );
    assert_eq!(export, 403, "nor the functions");
    assert_ne!(
        active_organization_in_next_token(&db, person.id).await,
        Some(directory.org.to_string())
    );
    let (_, status) = stack
        .rpc_answer(
            "directory_status",
            &directory.owner.jwt,
            json!({"p_organization_id": directory.org}),
        )
        .await;
    assert_eq!(status["counts"]["suspended"], 1);

    // Entra's reactivation: the string "True", with a capitalised op.
    let restored = directory
        .patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(restored.body["active"], true);
    assert_eq!(reach(stack, &person, directory.org).await, (1, true, 200));
    assert_eq!(
        role_of(&db, directory.org, person.id).await.as_deref(),
        Some("admin"),
        "with the role its groups give"
    );

    // Deprovisioned: the membership goes, the account stays.
    assert_eq!(directory.call("DELETE", &path, None).await.status, 204);
    assert_eq!(role_of(&db, directory.org, person.id).await, None);
    let accounts: i64 = db
        .query_one(
            "select count(*) from auth.users where id = $1",
            &[&person.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(accounts, 1);
    let actions: Vec<String> = first_column(
        &db,
        "select action from organization_audit_log where organization_id = $1 and target_user_id = $2 order by id",
        &[&directory.org, &person.id],
    )
    .await;
    assert_eq!(
        actions,
        [
            "member.provisioned",
            "member.role_changed",
            "member.suspended",
            "member.provisioned",
            "member.deprovisioned"
        ]
    );
    let events: Vec<Value> = first_column(
        &db,
        "select payload from webhook_messages where organization_id = $1 order by created_at",
        &[&directory.org],
    )
    .await;
    let summary: Vec<(String, Value)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["data"]["user_id"].clone(),
            )
        })
        .collect();
    let who = json!(person.id);
    assert_eq!(
        summary,
        [
            ("member.provisioned".to_owned(), who.clone()),
            ("member.suspended".to_owned(), who.clone()),
            ("member.provisioned".to_owned(), who.clone()),
            ("member.deprovisioned".to_owned(), who),
        ]
    );
    assert_eq!(events[0]["data"]["after"]["via"], "scim");
}

#[tokio::test]
async fn the_last_owner_is_never_suspended_or_removed_by_the_directory() {
    let db = Stack::load().db().await;
    let directory = Directory::new(&db).await;
    let owner = directory
        .create_user(&directory.owner.email, Some(&directory.owner.email))
        .await;
    assert_eq!(
        role_of(&db, directory.org, directory.owner.id)
            .await
            .as_deref(),
        Some("owner")
    );
    let path = format!("/Users/{}", owner["id"].as_str().unwrap());
    scim_error(
        &directory
            .patch(
                &path,
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await,
        400,
        Some("mutability"),
    );
    scim_error(
        &directory.call("DELETE", &path, None).await,
        400,
        Some("mutability"),
    );
    assert_eq!(
        role_of(&db, directory.org, directory.owner.id)
            .await
            .as_deref(),
        Some("owner")
    );
    assert_eq!(
        directory.call("GET", &path, None).await.body["active"],
        true,
        "the refused change is not kept"
    );
}
