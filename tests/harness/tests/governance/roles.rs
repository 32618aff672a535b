//! Custom roles: what they hold is what their members may do, from the very next request.

use super::*;

async fn create_role(
    stack: &Stack,
    who: &User,
    org: Uuid,
    key: &str,
    permissions: Value,
) -> reqwest::Response {
    rpc(
        stack,
        who,
        "create_role",
        json!({"p_organization_id": org, "p_key": key, "p_name": "Talent partner", "p_permissions": permissions}),
    )
    .await
}

#[tokio::test]
async fn a_role_with_exactly_invite_invites_and_does_nothing_else_and_losing_it_counts_at_once() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack
        .organization_on_plan(&db, "Custom", "enterprise")
        .await;
    let role = ok(create_role(
        &stack,
        &owner,
        org,
        "inviter",
        json!(["org:members:invite"]),
    )
    .await)
    .await;
    assert_eq!(role["permissions"], json!(["org:members:invite"]));
    let inviter = member(&stack, &db, org, "viewer").await;
    ok(rpc(
        &stack,
        &owner,
        "change_member_role",
        json!({"p_organization_id": org, "p_user_id": inviter.id, "p_role": "inviter"}),
    )
    .await)
    .await;

    // It invites (to a role holding no more than it does) …
    let invited = rpc(
        &stack,
        &inviter,
        "invite_member",
        json!({"p_organization_id": org, "p_email": unique_email("guest"), "p_role": "inviter"}),
    )
    .await;
    assert_eq!(invited.status().as_u16(), 200);
    // … but never above itself, and nothing else.
    assert_eq!(
        refused(rpc(&stack, &inviter, "invite_member",
                    json!({"p_organization_id": org, "p_email": unique_email("guest"), "p_role": "viewer"})).await).await,
        (403, "role_too_high".to_owned()),
        "viewer holds org:members:read, which the inviter role lacks"
    );
    let attempts = [
        (
            "save_onboarding_phase",
            json!({"p_organization_id": org, "p_phase": "team", "p_data": {"completed": true}}),
            403,
            "not_org_admin",
        ),
        (
            "change_member_role",
            json!({"p_organization_id": org, "p_user_id": owner.id, "p_role": "viewer"}),
            403,
            "role_too_high",
        ),
        (
            "remove_member",
            json!({"p_organization_id": org, "p_user_id": owner.id}),
            403,
            "role_too_high",
        ),
        (
            "list_members",
            json!({"p_organization_id": org}),
            403,
            "permission_denied",
        ),
        (
            "list_join_requests",
            json!({"p_organization_id": org}),
            403,
            "not_org_admin",
        ),
        (
            "add_organization_domain",
            json!({"p_organization_id": org, "p_hostname": "inviter-example.com"}),
            403,
            "not_org_admin",
        ),
        (
            "create_role",
            json!({"p_organization_id": org, "p_key": "mine", "p_name": "Mine", "p_permissions": []}),
            403,
            "not_org_admin",
        ),
        (
            "complete_onboarding",
            json!({"p_organization_id": org}),
            403,
            "not_owner",
        ),
        (
            "transfer_ownership",
            json!({"p_organization_id": org, "p_user_id": inviter.id}),
            403,
            "not_owner",
        ),
    ];
    for (function, args, status, code) in &attempts {
        assert_eq!(
            refused(rpc(&stack, &inviter, function, args.clone()).await).await,
            (*status, code.to_string()),
            "{function}"
        );
    }
    let audit = stack
        .select(
            &format!("organization_audit_log?organization_id=eq.{org}&select=id"),
            Some(&inviter.jwt),
        )
        .await;
    assert_eq!(
        audit.json::<Value>().await.unwrap(),
        json!([]),
        "no org:audit:read, no rows"
    );
    let link = rpc(
        &stack,
        &inviter,
        "create_invite_link",
        json!({"p_organization_id": org, "p_role": "inviter"}),
    )
    .await;
    assert_eq!(link.status().as_u16(), 200, "a link with its own role");

    // The permission removed: the same JWT is refused on its very next request.
    ok(rpc(
        &stack,
        &owner,
        "update_role",
        json!({"p_role_id": role["id"], "p_name": "Former inviter", "p_permissions": []}),
    )
    .await)
    .await;
    assert_eq!(
        refused(rpc(&stack, &inviter, "invite_member",
                    json!({"p_organization_id": org, "p_email": unique_email("late"), "p_role": "inviter"})).await).await,
        (403, "not_org_admin".to_owned())
    );
}

#[tokio::test]
async fn nobody_grants_what_they_do_not_hold_and_bad_definitions_write_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack
        .organization_on_plan(&db, "Careful roles", "enterprise")
        .await;
    let admin = member(&stack, &db, org, "admin").await;
    let viewer = member(&stack, &db, org, "viewer").await;
    let cases = [
        (
            &admin,
            "deleter",
            json!(["org:delete"]),
            403,
            "permission_too_high",
        ),
        (
            &owner,
            "transferer",
            json!(["org:ownership:transfer"]),
            403,
            "permission_too_high",
        ),
        (
            &owner,
            "typo",
            json!(["org:members:invit"]),
            400,
            "unknown_permission",
        ),
        (&owner, "Not A Slug", json!([]), 400, "invalid_role_key"),
        (&owner, "admin", json!([]), 409, "role_key_taken"),
        (&viewer, "anything", json!([]), 403, "not_org_admin"),
    ];
    for (who, key, permissions, status, code) in cases {
        assert_eq!(
            refused(create_role(&stack, who, org, key, permissions.clone()).await).await,
            (status, code.to_owned()),
            "{key} {permissions}"
        );
    }
    let long_name = rpc(&stack, &owner, "create_role",
                        json!({"p_organization_id": org, "p_key": "long", "p_name": "x".repeat(101), "p_permissions": []})).await;
    assert_eq!(refused(long_name).await, (400, "invalid_name".to_owned()));
    let count: i64 = db
        .query_one(
            "select count(*) from organization_roles where organization_id = $1",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "nothing written");

    // A role holding org:roles:manage but not org:audit:read cannot grant the latter.
    ok(create_role(
        &stack,
        &owner,
        org,
        "role-keeper",
        json!(["org:roles:manage", "org:members:read"]),
    )
    .await)
    .await;
    let keeper = member(&stack, &db, org, "role-keeper").await;
    assert_eq!(
        refused(create_role(&stack, &keeper, org, "auditor", json!(["org:audit:read"])).await)
            .await,
        (403, "permission_too_high".to_owned())
    );
    let fine =
        ok(create_role(&stack, &keeper, org, "reader", json!(["org:members:read"])).await).await;

    // In use: not deleted; unused: deleted.
    let holder = member(&stack, &db, org, "viewer").await;
    ok(rpc(
        &stack,
        &owner,
        "change_member_role",
        json!({"p_organization_id": org, "p_user_id": holder.id, "p_role": "reader"}),
    )
    .await)
    .await;
    assert_eq!(
        refused(
            rpc(
                &stack,
                &owner,
                "delete_role",
                json!({"p_role_id": fine["id"]})
            )
            .await
        )
        .await,
        (409, "role_in_use".to_owned())
    );
    ok(rpc(
        &stack,
        &owner,
        "change_member_role",
        json!({"p_organization_id": org, "p_user_id": holder.id, "p_role": "viewer"}),
    )
    .await)
    .await;
    ok(rpc(
        &stack,
        &owner,
        "delete_role",
        json!({"p_role_id": fine["id"]}),
    )
    .await)
    .await;
    assert_eq!(
        refused(
            rpc(
                &stack,
                &owner,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": holder.id, "p_role": "reader"})
            )
            .await
        )
        .await,
        (400, "invalid_role".to_owned())
    );

    // A plan without custom roles.
    let (free_owner, free_org) = stack
        .organization_on_plan(&db, "No custom roles", "free")
        .await;
    assert_eq!(
        refused(create_role(&stack, &free_owner, free_org, "any", json!([])).await).await,
        (403, "feature_not_enabled".to_owned())
    );
    // Another organization's role is not this one's: a role that exists (the one above was
    // deleted, so refusing it proved nothing), left exactly as it was.
    let kept =
        ok(create_role(&stack, &owner, org, "kept", json!(["org:members:read"])).await).await;
    for (function, args) in [
        (
            "update_role",
            json!({"p_role_id": kept["id"], "p_name": "x", "p_permissions": []}),
        ),
        ("delete_role", json!({"p_role_id": kept["id"]})),
    ] {
        assert_eq!(
            refused(rpc(&stack, &free_owner, function, args).await).await,
            (404, "role_not_found".to_owned()),
            "{function}"
        );
    }
    let kept_id: Uuid = kept["id"].as_str().unwrap().parse().unwrap();
    let permissions: Vec<String> = db
        .query_one(
            "select permissions from organization_roles where id = $1",
            &[&kept_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(permissions, ["org:members:read"]);
}

#[tokio::test]
async fn the_token_hook_lists_the_active_roles_permissions_for_frontends() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Hooked", "free").await;
    let admin = stack.admin_db().await;
    admin
        .batch_execute("set role supabase_auth_admin")
        .await
        .unwrap();
    let event: Value = admin
        .query_one(
            "select public.custom_access_token_hook($1)",
            &[&json!({"user_id": owner.id, "claims": {}})],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(event["claims"]["organization_id"], org.to_string());
    assert!(event["claims"]["org_permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("org:delete")));
}
