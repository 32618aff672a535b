//! The grace period, through the functions: an organization scheduled for deletion takes no
//! new member by any way in and says so, lets a member leave and an owner export; cancelled,
//! its invitations and links work again.

use super::*;

async fn validate(stack: &Stack, token: &str) -> reqwest::Response {
    stack
        .call_function("validate-invite", None, json!({"token": token}))
        .await
}

async fn accept(stack: &Stack, who: &User, token: &str) -> reqwest::Response {
    stack
        .call_function("accept-invite", Some(&who.jwt), json!({"token": token}))
        .await
}

#[tokio::test]
async fn a_scheduled_organization_takes_no_one_in_and_lets_its_people_out_and_its_data_go() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Graceful", "growth").await;
    let leaver = member(&stack, &db, org, "viewer").await;
    let slug: String = db
        .query_one("select slug from organizations where id = $1", &[&org])
        .await
        .unwrap()
        .get(0);
    // An invitation to an address, sent (its link), and a shareable link.
    let invitee = stack
        .confirmed_user(&db, &unique_email("grace-invitee"))
        .await;
    let invite = ok(rpc(
        &stack,
        &owner,
        "invite_member",
        json!({"p_organization_id": org, "p_email": invitee.email, "p_role": "viewer"}),
    )
    .await)
    .await;
    let sent = ok(stack
        .call_function(
            "send-invite-email",
            Some(&owner.jwt),
            json!({"invite_id": invite["invite_id"]}),
        )
        .await)
    .await;
    let invite_token = token_of(sent["link"].as_str().unwrap());
    let link = ok(rpc(
        &stack,
        &owner,
        "create_invite_link",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    let link_token = link["token"].as_str().unwrap().to_owned();
    let newcomer = stack
        .confirmed_user(&db, &unique_email("grace-newcomer"))
        .await;

    ok(rpc(
        &stack,
        &owner,
        "request_organization_deletion",
        json!({"p_organization_id": org, "p_confirm_slug": slug}),
    )
    .await)
    .await;

    // No way in: each says why, in the functions' shape.
    for token in [&invite_token, &link_token] {
        assert_eq!(
            error_code(validate(&stack, token).await, 410).await,
            "organization_deletion_scheduled",
            "validate-invite"
        );
    }
    assert_eq!(
        error_code(accept(&stack, &invitee, &invite_token).await, 410).await,
        "organization_deletion_scheduled"
    );
    assert_eq!(
        error_code(accept(&stack, &newcomer, &link_token).await, 410).await,
        "organization_deletion_scheduled"
    );
    assert_eq!(
        error_code(
            stack
                .call_function(
                    "accept-invite",
                    Some(&invitee.jwt),
                    json!({"invite_id": invite["invite_id"]})
                )
                .await,
            410
        )
        .await,
        "organization_deletion_scheduled"
    );
    let (_, waiting) = stack
        .rpc_answer("my_invites", &invitee.jwt, json!({}))
        .await;
    assert_eq!(
        waiting,
        json!([]),
        "nothing offered that cannot be taken up"
    );
    let members: i64 = db
        .query_one(
            "select count(*) from organization_members where organization_id = $1",
            &[&org],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(members, 2, "nobody came in");

    // What the grace period is for: the owner exports, a member leaves.
    let export = stack
        .call_function(
            "export-organization",
            Some(&owner.jwt),
            json!({"organization_id": org}),
        )
        .await;
    assert_eq!(export.status().as_u16(), 200);
    let document: Value = export.json().await.unwrap();
    assert_eq!(document["organization"]["id"], org.to_string());
    assert_eq!(document["organization"]["status"], "deletion_scheduled");
    let left = ok(rpc(
        &stack,
        &leaver,
        "leave_organization",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    assert_eq!(left["left"], true);

    // Cancelled: the invitation and the link work again.
    ok(rpc(
        &stack,
        &owner,
        "cancel_organization_deletion",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    for token in [&invite_token, &link_token] {
        assert_eq!(validate(&stack, token).await.status().as_u16(), 200);
    }
    assert_eq!(
        ok(accept(&stack, &invitee, &invite_token).await).await["role"],
        "viewer"
    );
    assert_eq!(
        ok(accept(&stack, &newcomer, &link_token).await).await["role"],
        "viewer"
    );
}
