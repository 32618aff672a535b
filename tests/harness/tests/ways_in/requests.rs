//! `automatic_suggestion`: users at a verified domain see the organization, ask to join,
//! and its owners and admins approve or deny.

use super::*;

async fn suggesting_organization(stack: &Stack, db: &Client, role: &str) -> (User, Uuid, String) {
    let (owner, org) = stack.organization_on_plan(db, "Suggests", "growth").await;
    let hostname = unique_hostname("suggests");
    let domain = verified_domain(stack, &owner, org, &hostname).await;
    ok(set_enrollment(stack, &owner, &domain["id"], "automatic_suggestion", role).await).await;
    (owner, org, hostname)
}

async fn request(stack: &Stack, who: &User, org: Uuid) -> reqwest::Response {
    stack
        .rpc(
            "request_to_join",
            &who.jwt,
            json!({"p_organization_id": org}),
        )
        .await
}

#[tokio::test]
async fn a_request_approved_makes_a_member_and_a_second_request_is_the_same_one() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, hostname) = suggesting_organization(&stack, &db, "recruiter").await;
    // Webhook subscribers hear of the request and of the member it made.
    ok(stack
        .rpc(
            "create_webhook_endpoint",
            &owner.jwt,
            json!({"p_organization_id": org, "p_url": "https://hooks.example.com/in",
                   "p_events": ["member.join_requested", "member.added"]}),
        )
        .await)
    .await;
    let asker = user_at(&stack, &db, &hostname).await;

    let suggested = ok(stack.rpc("my_suggestions", &asker.jwt, json!({})).await).await;
    assert_eq!(
        suggested[0]["organization_id"],
        org.to_string(),
        "{suggested}"
    );
    assert_eq!(suggested[0]["request"], Value::Null);
    let made = ok(request(&stack, &asker, org).await).await;
    assert_eq!(
        (made["status"].as_str(), made["existing"].as_bool()),
        (Some("pending"), Some(false))
    );
    let again = ok(request(&stack, &asker, org).await).await;
    assert_eq!(
        (again["id"].clone(), again["existing"].as_bool()),
        (made["id"].clone(), Some(true))
    );
    let suggested = ok(stack.rpc("my_suggestions", &asker.jwt, json!({})).await).await;
    assert_eq!(suggested[0]["request"]["status"], "pending");

    // An admin decides.
    let admin = user_at(&stack, &db, &unique_hostname("admins")).await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'admin')",
        &[&org, &admin.id],
    )
    .await
    .unwrap();
    let listed = ok(stack
        .rpc(
            "list_join_requests",
            &admin.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    assert_eq!(
        (listed[0]["id"].clone(), listed[0]["email"].as_str()),
        (made["id"].clone(), Some(asker.email.as_str()))
    );
    let approved = ok(stack
        .rpc(
            "approve_join_request",
            &admin.jwt,
            json!({"p_request_id": made["id"]}),
        )
        .await)
    .await;
    assert_eq!(
        (approved["status"].as_str(), approved["role"].as_str()),
        (Some("approved"), Some("recruiter"))
    );
    assert_eq!(
        role_of(&db, org, asker.id).await.as_deref(),
        Some("recruiter")
    );
    assert_eq!(
        joined_via(&db, org, asker.id).await.as_deref(),
        Some("join_request")
    );

    // The requester sees the outcome; the organization is no longer suggested.
    let mine = ok(stack.rpc("my_join_requests", &asker.jwt, json!({})).await).await;
    assert_eq!(mine[0]["status"], "approved");
    assert_eq!(
        ok(stack.rpc("my_suggestions", &asker.jwt, json!({})).await).await,
        json!([])
    );
    assert_eq!(
        refused(request(&stack, &asker, org).await).await,
        (409, "already_member".to_owned())
    );
    assert_eq!(
        refused(
            stack
                .rpc(
                    "approve_join_request",
                    &admin.jwt,
                    json!({"p_request_id": made["id"]})
                )
                .await
        )
        .await,
        (409, "join_request_not_pending".to_owned())
    );

    // The requester's events (the admin's own joining is another member.added).
    let events: Vec<Value> = first_column(
        &db,
        "select payload from webhook_messages
         where organization_id = $1 and payload -> 'data' ->> 'user_id' = $2::text order by created_at",
        &[&org, &asker.id.to_string()],
    )
    .await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["member.join_requested", "member.added"],
        "{events:?}"
    );
    assert_eq!(events[1]["data"]["after"]["via"], "join_request");
}

#[tokio::test]
async fn a_denied_request_makes_nothing_and_cannot_be_repeated() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, hostname) = suggesting_organization(&stack, &db, "viewer").await;
    let asker = user_at(&stack, &db, &hostname).await;
    let made = ok(request(&stack, &asker, org).await).await;
    let denied = ok(stack
        .rpc(
            "deny_join_request",
            &owner.jwt,
            json!({"p_request_id": made["id"]}),
        )
        .await)
    .await;
    assert_eq!(denied["status"], "denied");
    assert_eq!(role_of(&db, org, asker.id).await, None);
    assert_eq!(
        ok(stack.rpc("my_join_requests", &asker.jwt, json!({})).await).await[0]["status"],
        "denied"
    );
    assert_eq!(
        refused(request(&stack, &asker, org).await).await,
        (409, "join_request_denied".to_owned())
    );
}

#[tokio::test]
async fn requests_only_from_the_domain_and_decided_only_by_its_admins() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, hostname) = suggesting_organization(&stack, &db, "viewer").await;
    let elsewhere = user_at(&stack, &db, &unique_hostname("elsewhere")).await;
    assert_eq!(
        refused(request(&stack, &elsewhere, org).await).await,
        (403, "join_not_available".to_owned())
    );
    let unconfirmed_email = format!("pending-{}@{hostname}", Uuid::new_v4().simple());
    let id = insert_user(&db, &unconfirmed_email, json!({})).await;
    let unconfirmed = User {
        jwt: stack.user_jwt(id, &unconfirmed_email),
        id,
        email: unconfirmed_email,
    };
    assert_eq!(
        refused(request(&stack, &unconfirmed, org).await).await,
        (403, "email_not_confirmed".to_owned())
    );

    let asker = user_at(&stack, &db, &hostname).await;
    let made = ok(request(&stack, &asker, org).await).await;
    let viewer = user_at(&stack, &db, &hostname).await;
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')", &[&org, &viewer.id])
        .await
        .unwrap();
    assert_eq!(
        refused(
            stack
                .rpc(
                    "list_join_requests",
                    &viewer.jwt,
                    json!({"p_organization_id": org})
                )
                .await
        )
        .await,
        (403, "not_org_admin".to_owned())
    );
    assert_eq!(
        refused(
            stack
                .rpc(
                    "approve_join_request",
                    &viewer.jwt,
                    json!({"p_request_id": made["id"]})
                )
                .await
        )
        .await,
        (403, "not_org_admin".to_owned())
    );
    assert_eq!(
        refused(
            stack
                .rpc(
                    "deny_join_request",
                    &elsewhere.jwt,
                    json!({"p_request_id": made["id"]})
                )
                .await
        )
        .await,
        (404, "request_not_found".to_owned())
    );
    assert_eq!(
        refused(
            stack
                .rpc(
                    "approve_join_request",
                    &owner.jwt,
                    json!({"p_request_id": made["id"], "p_role": "owner"})
                )
                .await
        )
        .await,
        (403, "role_too_high".to_owned())
    );
    // The requester's view of the table is their own request; an outsider's is empty.
    let own: Value = stack
        .select("organization_join_requests?select=id", Some(&asker.jwt))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own, json!([{"id": made["id"]}]));
    let outsider: Value = stack
        .select("organization_join_requests?select=id", Some(&elsewhere.jwt))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outsider, json!([]));
}
