//! The organization MFA policy: while on, a session below `aal2` is refused by every RPC for
//! the organization and reads none of its rows.

use super::*;

#[tokio::test]
async fn an_aal1_session_is_refused_everything_and_an_aal2_session_works() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Strict", "free").await;
    let admin = member(&stack, &db, org, "admin").await;
    let owner_aal2 = stack.session_at(&owner, "aal2");

    // No lock-out: switching it on takes an aal2 session.
    assert_eq!(
        refused(
            rpc(
                &stack,
                &owner,
                "set_organization_mfa_policy",
                json!({"p_organization_id": org, "p_required": true})
            )
            .await
        )
        .await,
        (403, "mfa_required".to_owned())
    );
    let on = ok(rpc(
        &stack,
        &owner_aal2,
        "set_organization_mfa_policy",
        json!({"p_organization_id": org, "p_required": true}),
    )
    .await)
    .await;
    assert_eq!(on["mfa_required"], true);

    let aal1 = stack.session_at(&admin, "aal1");
    let calls = [
        ("list_members", json!({"p_organization_id": org})),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": unique_email("x"), "p_role": "viewer"}),
        ),
        (
            "save_onboarding_phase",
            json!({"p_organization_id": org, "p_phase": "team", "p_data": {"completed": true}}),
        ),
        (
            "change_member_role",
            json!({"p_organization_id": org, "p_user_id": owner.id, "p_role": "admin"}),
        ),
        (
            "add_organization_domain",
            json!({"p_organization_id": org, "p_hostname": "strict-example.com"}),
        ),
        ("create_invite_link", json!({"p_organization_id": org})),
        ("list_invite_links", json!({"p_organization_id": org})),
        ("organization_onboarding", json!({"p_organization_id": org})),
    ];
    for who in [&aal1, &admin] {
        for (function, args) in &calls {
            assert_eq!(
                refused(rpc(&stack, who, function, args.clone()).await).await,
                (403, "mfa_required".to_owned()),
                "{function}"
            );
        }
        for table in [
            "organizations?id",
            "organization_members?organization_id",
            "organization_audit_log?organization_id",
        ] {
            let rows: Value = stack
                .select(&format!("{table}=eq.{org}&select=*"), Some(&who.jwt))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(rows, json!([]), "{table}");
        }
    }
    // Through a function too: send-invite-email answers the same code.
    let aal2_admin = stack.user_jwt_at(admin.id, &admin.email, "aal2");
    let invite = ok(stack
        .rpc(
            "invite_member",
            &aal2_admin,
            json!({"p_organization_id": org, "p_email": unique_email("mfa"), "p_role": "viewer"}),
        )
        .await)
    .await;
    let sent = stack
        .call_function(
            "send-invite-email",
            Some(&aal1.jwt),
            json!({"invite_id": invite["invite_id"]}),
        )
        .await;
    assert_eq!(error_code(sent, 403).await, "mfa_required");

    // They still learn why, from their own list.
    let mine = ok(rpc(&stack, &aal1, "my_organizations", json!({})).await).await;
    let entry = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organization_id"] == org.to_string())
        .unwrap();
    assert_eq!(
        (
            entry["mfa_required"].as_bool(),
            entry["mfa_satisfied"].as_bool()
        ),
        (Some(true), Some(false))
    );

    // Stepped up: everything works again.
    let aal2 = stack.session_at(&admin, "aal2");
    let members = ok(rpc(
        &stack,
        &aal2,
        "list_members",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    let rows: Value = stack
        .select(
            &format!("organizations?id=eq.{org}&select=id"),
            Some(&aal2.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);

    // Off again (by an aal2 session: with it on, nothing less may act there).
    ok(rpc(
        &stack,
        &aal2,
        "set_organization_mfa_policy",
        json!({"p_organization_id": org, "p_required": false}),
    )
    .await)
    .await;
    ok(rpc(
        &stack,
        &aal1,
        "list_members",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
}
