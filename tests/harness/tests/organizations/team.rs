//! A team's story (invites, roles, ownership, leaving) with its audit log, and the active organization in the access token.

use super::*;

#[tokio::test]
async fn the_team_story_and_its_audit_log() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, admin, viewer, recruiter) = (
        user(&stack, &db, "owner").await,
        user(&stack, &db, "admin").await,
        user(&stack, &db, "viewer").await,
        user(&stack, &db, "recruiter").await,
    );
    let org = new_organization(&stack, &owner, "Team Co").await;
    join(&stack, &owner, org, &admin, "admin").await;
    join(&stack, &owner, org, &viewer, "viewer").await;
    join(&stack, &admin, org, &recruiter, "recruiter").await;
    ok(stack
        .rpc(
            "change_member_role",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": recruiter.id, "p_role": "admin"}),
        )
        .await)
    .await;
    ok(stack
        .rpc(
            "transfer_ownership",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": admin.id}),
        )
        .await)
    .await;
    assert_eq!(role_of(&db, org, admin.id).await.as_deref(), Some("owner"));
    assert_eq!(role_of(&db, org, owner.id).await.as_deref(), Some("admin"));
    ok(stack
        .rpc(
            "leave_organization",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    assert_eq!(role_of(&db, org, owner.id).await, None);

    let members = ok(stack
        .rpc(
            "list_members",
            &viewer.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    let listed: Vec<(String, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (admin.email.clone(), "owner".into()),
            (recruiter.email.clone(), "admin".into()),
            (viewer.email.clone(), "viewer".into())
        ]
    );

    // The log, read by the new owner through PostgREST, in order, with its actors.
    let log: Vec<Value> = stack
        .select(
            &format!("organization_audit_log?organization_id=eq.{org}&order=id"),
            Some(&admin.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    let entries: Vec<(String, Option<Uuid>)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_id"].as_str().map(|id| id.parse().unwrap()),
            )
        })
        .collect();
    let expected = [
        ("organization.created", owner.id),
        ("member.added", owner.id),
        ("invite.created", owner.id),
        ("member.added", admin.id),
        ("invite.accepted", admin.id),
        ("invite.created", owner.id),
        ("member.added", viewer.id),
        ("invite.accepted", viewer.id),
        ("invite.created", admin.id),
        ("member.added", recruiter.id),
        ("invite.accepted", recruiter.id),
        ("member.role_changed", owner.id),
        ("ownership.transferred", owner.id),
        ("member.left", owner.id),
    ];
    let mut at = 0;
    for (action, actor) in expected {
        let found = entries[at..]
            .iter()
            .position(|(a, who)| a == action && *who == Some(actor));
        let found = found
            .unwrap_or_else(|| panic!("{action} by {actor} missing after entry {at}: {entries:?}"));
        at += found + 1;
    }
    assert!(
        entries.iter().any(|(a, _)| a == "invite.sent"),
        "sends are logged: {entries:?}"
    );
    let changed = log
        .iter()
        .find(|e| e["action"] == "member.role_changed")
        .unwrap();
    assert_eq!(
        (&changed["before"]["role"], &changed["after"]["role"]),
        (&json!("recruiter"), &json!("admin"))
    );

    // Only owners and admins read it.
    let as_viewer: Vec<Value> = stack
        .select(
            &format!("organization_audit_log?organization_id=eq.{org}"),
            Some(&viewer.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(as_viewer.is_empty());
}

#[tokio::test]
async fn the_access_token_hook_adds_the_active_organization() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "hook").await;
    let first = new_organization(&stack, &owner, "Hook One").await;
    let second = new_organization(&stack, &owner, "Hook Two").await;
    ok(stack
        .rpc(
            "set_active_organization",
            &owner.jwt,
            json!({"p_organization_id": second}),
        )
        .await)
    .await;
    // Supabase's documented event shape, called as Supabase Auth calls it: as
    // supabase_auth_admin, which `postgres` may no longer become (the superuser may).
    let event = json!({"user_id": owner.id, "claims": {"sub": owner.id, "role": "authenticated", "aud": "authenticated"}, "authentication_method": "password"});
    let auth = stack.admin_db().await;
    let hook = |event: Value| {
        let db = &auth;
        async move {
            db.batch_execute("set role supabase_auth_admin")
                .await
                .unwrap();
            let result: Value = db
                .query_one("select public.custom_access_token_hook($1)", &[&event])
                .await
                .unwrap()
                .get(0);
            db.batch_execute("reset role").await.unwrap();
            result
        }
    };
    let claims = hook(event.clone()).await["claims"].clone();
    assert_eq!(
        (
            claims["organization_id"].as_str(),
            claims["org_role"].as_str()
        ),
        (Some(second.to_string().as_str()), Some("owner"))
    );
    assert_eq!(claims["aud"], "authenticated", "the other claims are kept");
    ok(stack
        .rpc(
            "set_active_organization",
            &owner.jwt,
            json!({"p_organization_id": first}),
        )
        .await)
    .await;
    assert_eq!(hook(event).await["claims"]["organization_id"], json!(first));
    // A user of no organization (inserted without the signup webhook, which would give
    // them a workspace).
    let nobody = insert_user_without_webhook(&stack, &unique_email("nobody"), json!({})).await;
    let plain = json!({"user_id": nobody, "claims": {"role": "authenticated"}, "authentication_method": "password"});
    assert_eq!(hook(plain.clone()).await, plain, "no membership, no claims");
    // Signed-in users cannot call it.
    let (status, _) = refused(
        stack
            .rpc(
                "custom_access_token_hook",
                &owner.jwt,
                json!({"event": event_of(&owner)}),
            )
            .await,
    )
    .await;
    assert!(matches!(status, 401 | 403 | 404), "{status}");
}
