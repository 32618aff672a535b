//! Every refusal of the organization RPCs has its stable code; invites are rate-limited with retry_after.

use super::*;

#[tokio::test]
async fn every_refusal_has_its_code() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, admin, viewer, outsider) = (
        user(&stack, &db, "owner").await,
        user(&stack, &db, "admin").await,
        user(&stack, &db, "viewer").await,
        user(&stack, &db, "outsider").await,
    );
    let org = new_organization(&stack, &owner, "Refusals Co").await;
    for (who, role) in [(&admin, "admin"), (&viewer, "viewer")] {
        db.execute(
            "insert into organization_members (organization_id, user_id, role) values ($1, $2, $3)",
            &[&org, &who.id, &role],
        )
        .await
        .unwrap();
    }
    let other_org = new_organization(&stack, &outsider, "Elsewhere").await;
    let rpc = |jwt: &str, function: &str, args: Value| {
        let (stack, jwt, function) = (&stack, jwt.to_owned(), function.to_owned());
        async move { refused(stack.rpc(&function, &jwt, args).await).await }
    };
    let cases = [
        (
            rpc(
                &viewer.jwt,
                "invite_member",
                json!({"p_organization_id": org, "p_email": "a@x.test"}),
            )
            .await,
            (403, "not_org_admin"),
        ),
        (
            rpc(
                &admin.jwt,
                "invite_member",
                json!({"p_organization_id": org, "p_email": "a@x.test", "p_role": "owner"}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &admin.jwt,
                "remove_member",
                json!({"p_organization_id": org, "p_user_id": owner.id}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &admin.jwt,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": admin.id, "p_role": "owner"}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &viewer.jwt,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": viewer.id, "p_role": "admin"}),
            )
            .await,
            (403, "role_too_high"),
        ),
        (
            rpc(
                &owner.jwt,
                "invite_member",
                json!({"p_organization_id": other_org, "p_email": "a@x.test"}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &owner.jwt,
                "remove_member",
                json!({"p_organization_id": other_org, "p_user_id": outsider.id}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &owner.jwt,
                "list_members",
                json!({"p_organization_id": other_org}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &owner.jwt,
                "leave_organization",
                json!({"p_organization_id": org}),
            )
            .await,
            (409, "last_owner"),
        ),
        (
            rpc(
                &owner.jwt,
                "change_member_role",
                json!({"p_organization_id": org, "p_user_id": owner.id, "p_role": "admin"}),
            )
            .await,
            (409, "last_owner"),
        ),
        (
            rpc(
                &owner.jwt,
                "remove_member",
                json!({"p_organization_id": org, "p_user_id": owner.id}),
            )
            .await,
            (400, "cannot_remove_self"),
        ),
        (
            rpc(
                &outsider.jwt,
                "set_active_organization",
                json!({"p_organization_id": org}),
            )
            .await,
            (403, "not_member"),
        ),
        (
            rpc(
                &admin.jwt,
                "transfer_ownership",
                json!({"p_organization_id": org, "p_user_id": viewer.id}),
            )
            .await,
            (403, "not_owner"),
        ),
        (
            rpc(
                &owner.jwt,
                "invite_member",
                json!({"p_organization_id": org, "p_email": admin.email}),
            )
            .await,
            (409, "already_member"),
        ),
    ];
    for (got, (status, code)) in cases {
        assert_eq!((got.0, got.1.as_str()), (status, code));
    }
    // The last owner removed by a platform admin (who may do what an owner may).
    let platform = stack.platform_admin(&db).await;
    assert_eq!(
        rpc(
            &platform.jwt,
            "remove_member",
            json!({"p_organization_id": org, "p_user_id": owner.id})
        )
        .await,
        (409, "last_owner".into())
    );
    assert_eq!(owners(&db, org).await, 1);

    // Declining someone else's invite.
    let someone = unique_email("someone");
    let invited = ok(invite(&stack, &owner, org, &someone, "viewer").await).await;
    assert_eq!(
        rpc(
            &outsider.jwt,
            "decline_invite",
            json!({"p_invite_id": invited["invite_id"]})
        )
        .await,
        (403, "invite_wrong_user".into())
    );
    // The invitee sees it, declines it, and the inviter sees that.
    let invitee = stack.confirmed_user(&db, &someone).await;
    let mine = ok(stack.rpc("my_invites", &invitee.jwt, json!({})).await).await;
    let mine = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == invited["invite_id"])
        .cloned()
        .unwrap();
    assert_eq!(
        (mine["organization_name"].as_str(), mine["role"].as_str()),
        (Some("Refusals Co"), Some("viewer"))
    );
    ok(stack
        .rpc(
            "decline_invite",
            &invitee.jwt,
            json!({"p_invite_id": invited["invite_id"]}),
        )
        .await)
    .await;
    let seen: Vec<Value> = stack
        .select(
            &format!(
                "onboarding_invites?id=eq.{}&select=status",
                invited["invite_id"].as_str().unwrap()
            ),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen, [json!({"status": "declined"})]);
    assert!(ok(stack.rpc("my_invites", &invitee.jwt, json!({})).await)
        .await
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != invited["invite_id"]));

    // Switching the active organization: a member may, and the hook follows it.
    ok(stack
        .rpc(
            "set_active_organization",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
}

#[tokio::test]
async fn invites_are_rate_limited_with_retry_after() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "limits").await;
    let org = new_organization(&stack, &owner, "Limits Co").await;
    // One address is not sent twice within 60 s.
    let invited = ok(invite(&stack, &owner, org, &unique_email("twice"), "viewer").await).await;
    let send = || {
        stack.call_function(
            "send-invite-email",
            Some(&owner.jwt),
            json!({"invite_id": invited["invite_id"]}),
        )
    };
    assert_eq!(send().await.status().as_u16(), 200);
    let again = send().await;
    assert_eq!(again.status().as_u16(), 429);
    let retry_after: u64 = again.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["retry_after"], json!(retry_after));
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    // 50 new invites an hour per organization (an enterprise plan: no seat limit).
    db.execute(
        "update organizations set plan_id = 'enterprise' where id = $1",
        &[&org],
    )
    .await
    .unwrap();
    db.execute(
        "insert into onboarding_invites (organization_id, email, role, expires_at)
         select $1, 'burst-' || i || '@limits.test', 'viewer', now() + interval '1 day' from generate_series(1, 49) i",
        &[&org],
    )
    .await
    .unwrap();
    let over = stack
        .rpc(
            "invite_member",
            &owner.jwt,
            json!({"p_organization_id": org, "p_email": "one-more@limits.test"}),
        )
        .await;
    assert_eq!(over.status().as_u16(), 429);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["message"], "rate_limited");
    let details: Value = serde_json::from_str(body["details"].as_str().unwrap()).unwrap();
    assert!(
        details["retry_after"]
            .as_u64()
            .is_some_and(|s| (1..=3600).contains(&s)),
        "{details}"
    );
}
