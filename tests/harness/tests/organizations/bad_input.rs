//! Bad input to the organization RPCs: a 4xx with a code, nothing written.

use super::*;

#[tokio::test]
async fn bad_input_is_a_4xx_with_a_code_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let owner = user(&stack, &db, "bad").await;
    let org = new_organization(&stack, &owner, "Bad Input Co").await;
    let counts = || async {
        let row = db
            .query_one(
                "select (select count(*) from organizations where created_by = $2),
                        (select count(*) from onboarding_invites where organization_id = $1),
                        (select count(*) from organization_members where organization_id = $1)",
                &[&org, &owner.id],
            )
            .await
            .unwrap();
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2),
        )
    };
    let before = counts().await;
    let long = "x".repeat(201);
    let cases = [
        (
            "create_organization",
            json!({"p_name": ""}),
            400,
            Some("invalid_name"),
        ),
        (
            "create_organization",
            json!({"p_name": long}),
            400,
            Some("invalid_name"),
        ),
        (
            "create_organization",
            json!({"p_name": "Ok", "p_slug": "Not A Slug"}),
            400,
            Some("invalid_slug"),
        ),
        (
            "invite_member",
            json!({"p_organization_id": "not-a-uuid", "p_email": "a@x.test"}),
            400,
            None,
        ),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": "not-an-email"}),
            400,
            Some("invalid_email"),
        ),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": format!("{}@x.test", "a".repeat(400))}),
            400,
            Some("invalid_email"),
        ),
        (
            "invite_member",
            json!({"p_organization_id": org, "p_email": "a@x.test", "p_role": "emperor"}),
            400,
            Some("invalid_role"),
        ),
        (
            "change_member_role",
            json!({"p_organization_id": org, "p_user_id": owner.id, "p_role": "emperor"}),
            400,
            Some("invalid_role"),
        ),
        (
            "change_member_role",
            json!({"p_organization_id": org, "p_user_id": "x", "p_role": "viewer"}),
            400,
            None,
        ),
        (
            "remove_member",
            json!({"p_organization_id": org, "p_user_id": Uuid::new_v4()}),
            404,
            Some("member_not_found"),
        ),
        (
            "transfer_ownership",
            json!({"p_organization_id": org, "p_user_id": Uuid::new_v4()}),
            404,
            Some("member_not_found"),
        ),
        (
            "decline_invite",
            json!({"p_invite_id": Uuid::new_v4()}),
            404,
            Some("invite_not_found"),
        ),
        (
            "set_active_organization",
            json!({"p_organization_id": "nope"}),
            400,
            None,
        ),
        (
            "leave_organization",
            json!({"p_organization_id": "nope"}),
            400,
            None,
        ),
        ("decline_invite", json!({"p_invite_id": 42}), 400, None),
        // Missing arguments: PostgREST finds no such function.
        (
            "transfer_ownership",
            json!({"p_organization_id": org}),
            404,
            None,
        ),
        (
            "list_members",
            json!({"p_organization_id": Uuid::new_v4()}),
            403,
            Some("not_member"),
        ),
    ];
    for (function, args, status, code) in cases {
        let (got_status, got_code) =
            refused(stack.rpc(function, &owner.jwt, args.clone()).await).await;
        assert_eq!(got_status, status, "{function} {args}");
        if let Some(code) = code {
            assert_eq!(got_code, code, "{function} {args}");
        }
    }
    assert_eq!(counts().await, before, "a refused call wrote something");
    // An unconfirmed user cannot create an organization.
    let unconfirmed_email = unique_email("unconfirmed");
    let id = insert_user(&db, &unconfirmed_email, json!({})).await;
    let jwt = stack.user_jwt(id, &unconfirmed_email);
    assert_eq!(
        refused(
            stack
                .rpc("create_organization", &jwt, json!({"p_name": "Mine"}))
                .await
        )
        .await,
        (403, "email_not_confirmed".into())
    );
}
