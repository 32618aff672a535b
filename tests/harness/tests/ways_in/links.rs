//! Shareable invite links: created by owners and admins, previewed by validate-invite and
//! used through accept-invite like an invitation's token; uses counted exactly.

use super::*;
use futures_util::future::join_all;

async fn create_link(stack: &Stack, who: &User, org: Uuid, args: Value) -> reqwest::Response {
    let mut args = args;
    args["p_organization_id"] = json!(org);
    stack.rpc("create_invite_link", &who.jwt, args).await
}

async fn preview(stack: &Stack, token: &str) -> reqwest::Response {
    stack
        .call_function("validate-invite", None, json!({"token": token}))
        .await
}

#[tokio::test]
async fn thirty_concurrent_accepts_of_a_five_use_link_make_five_members() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Linked", "starter").await;
    let link = ok(create_link(&stack, &owner, org, json!({"p_max_uses": 5})).await).await;
    let token = link["token"].as_str().unwrap().to_owned();
    assert_eq!(
        (link["role"].as_str(), link["uses_left"].as_i64()),
        (Some("viewer"), Some(5))
    );

    let (status, shown) = answer(preview(&stack, &token).await).await;
    assert_eq!(
        (status, shown["kind"].as_str(), shown["email"].clone()),
        (200, Some("link"), Value::Null),
        "{shown}"
    );
    assert_eq!(shown["organization"]["id"], org.to_string());

    let mut people = Vec::new();
    for _ in 0..30 {
        people.push(stack.confirmed_user(&db, &unique_email("crowd")).await);
    }
    let statuses: Vec<u16> = join_all(people.iter().map(|who| async {
        accept(&stack, who, json!({"token": token}))
            .await
            .status()
            .as_u16()
    }))
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        25,
        "{statuses:?}"
    );
    assert_eq!(members(&db, org).await, 6);
    let uses: i32 = db
        .query_one(
            "select uses from invite_links where id = $1",
            &[&link["id"].as_str().unwrap().parse::<Uuid>().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(uses, 5);
    let joined: Vec<String> = first_column(
        &db,
        "select after ->> 'via' from organization_audit_log where organization_id = $1 and action = 'member.added' and after ? 'via'",
        &[&org],
    )
    .await;
    assert_eq!(joined, vec!["invite_link"; 5]);
    assert_eq!(
        error_code(preview(&stack, &token).await, 410).await,
        "invite_link_used_up"
    );

    // The list shows the uses, never the token.
    let listed = ok(stack
        .rpc(
            "list_invite_links",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    assert_eq!(
        (
            listed[0]["uses_left"].as_i64(),
            listed[0]["status"].as_str()
        ),
        (Some(0), Some("used_up"))
    );
    assert!(listed[0].get("token").is_none() && !listed.to_string().contains(&token));
}

#[tokio::test]
async fn expired_revoked_and_wrong_domain_links_are_refused_with_their_own_codes() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org) = stack.organization_on_plan(&db, "Refusing", "starter").await;
    let who = stack.confirmed_user(&db, &unique_email("joiner")).await;

    let expiring = ok(create_link(&stack, &owner, org, json!({})).await).await;
    db.execute(
        "update invite_links set expires_at = now() - interval '1 second' where id = $1",
        &[&expiring["id"].as_str().unwrap().parse::<Uuid>().unwrap()],
    )
    .await
    .unwrap();
    let token = expiring["token"].as_str().unwrap();
    assert_eq!(
        error_code(preview(&stack, token).await, 410).await,
        "invite_expired"
    );
    assert_eq!(
        error_code(accept(&stack, &who, json!({"token": token})).await, 410).await,
        "invite_expired"
    );

    let revoked = ok(create_link(&stack, &owner, org, json!({})).await).await;
    let done = ok(stack
        .rpc(
            "revoke_invite_link",
            &owner.jwt,
            json!({"p_link_id": revoked["id"]}),
        )
        .await)
    .await;
    assert_eq!(done["status"], "revoked");
    let token = revoked["token"].as_str().unwrap();
    assert_eq!(
        error_code(preview(&stack, token).await, 410).await,
        "invite_revoked"
    );
    assert_eq!(
        error_code(accept(&stack, &who, json!({"token": token})).await, 410).await,
        "invite_revoked"
    );

    let hostname = unique_hostname("partner");
    let scoped = ok(create_link(
        &stack,
        &owner,
        org,
        json!({"p_allowed_domain": hostname, "p_role": "recruiter"}),
    )
    .await)
    .await;
    let token = scoped["token"].as_str().unwrap();
    let (_, shown) = answer(preview(&stack, token).await).await;
    assert_eq!(shown["allowed_domain"], hostname.as_str());
    assert_eq!(
        error_code(accept(&stack, &who, json!({"token": token})).await, 403).await,
        "invite_link_wrong_domain"
    );
    let partner = user_at(&stack, &db, &hostname).await;
    let (status, joined) = answer(accept(&stack, &partner, json!({"token": token})).await).await;
    assert_eq!(
        (status, joined["role"].as_str()),
        (200, Some("recruiter")),
        "{joined}"
    );
    // A member using it again: the same membership, no use counted.
    let (status, again) = answer(accept(&stack, &partner, json!({"token": token})).await).await;
    assert_eq!(
        (status, again["membership_id"].clone()),
        (200, joined["membership_id"].clone())
    );
    let listed = ok(stack
        .rpc(
            "list_invite_links",
            &owner.jwt,
            json!({"p_organization_id": org}),
        )
        .await)
    .await;
    let scoped_now = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == scoped["id"])
        .unwrap();
    assert_eq!(scoped_now["uses"], 1);

    // An unconfirmed address cannot use a link.
    let email = unique_email("unconfirmed");
    let id = insert_user(&db, &email, json!({})).await;
    let unconfirmed = User {
        jwt: stack.user_jwt(id, &email),
        id,
        email,
    };
    let open = ok(create_link(&stack, &owner, org, json!({})).await).await;
    assert_eq!(
        error_code(
            accept(&stack, &unconfirmed, json!({"token": open["token"]})).await,
            403
        )
        .await,
        "email_not_confirmed"
    );
}

#[tokio::test]
async fn links_never_make_owners_and_only_admins_make_them() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = stack.organization_with_viewer(&db, "Careful", "free").await;
    let (outsider, _) = stack.organization_on_plan(&db, "Outside", "free").await;
    assert_eq!(
        refused(create_link(&stack, &owner, org, json!({"p_role": "owner"})).await).await,
        (403, "role_too_high".to_owned())
    );
    assert_eq!(
        refused(create_link(&stack, &viewer, org, json!({})).await).await,
        (403, "not_org_admin".to_owned())
    );
    assert_eq!(
        refused(create_link(&stack, &outsider, org, json!({})).await).await,
        (403, "not_member".to_owned())
    );
    for (args, code) in [
        (json!({"p_max_uses": 0}), "invalid_max_uses"),
        (json!({"p_expires_in_hours": 721}), "invalid_ttl"),
        (
            json!({"p_allowed_domain": "gmail.com"}),
            "domain_not_allowed",
        ),
        (json!({"p_role": "chief"}), "invalid_role"),
    ] {
        assert_eq!(
            refused(create_link(&stack, &owner, org, args.clone()).await).await,
            (400, code.to_owned()),
            "{args}"
        );
    }
    let link = ok(create_link(&stack, &owner, org, json!({})).await).await;
    assert_eq!(
        refused(
            stack
                .rpc(
                    "revoke_invite_link",
                    &viewer.jwt,
                    json!({"p_link_id": link["id"]})
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
                    "revoke_invite_link",
                    &outsider.jwt,
                    json!({"p_link_id": link["id"]})
                )
                .await
        )
        .await,
        (404, "invite_link_not_found".to_owned())
    );
    assert_eq!(
        refused(
            stack
                .rpc(
                    "list_invite_links",
                    &viewer.jwt,
                    json!({"p_organization_id": org})
                )
                .await
        )
        .await,
        (403, "not_org_admin".to_owned())
    );
    // Members see no link table rows unless they administer; the token hash is never readable.
    let (status, _) = answer(
        stack
            .select("invite_links?select=token_hash", Some(&owner.jwt))
            .await,
    )
    .await;
    assert_eq!(status, 403, "the token hash column is not granted");
    let seen: Value = stack
        .select("invite_links?select=id", Some(&viewer.jwt))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen, json!([]));

    // Seats: free has 5, owner and viewer hold two.
    for n in 0..4 {
        let who = stack.confirmed_user(&db, &unique_email("seat")).await;
        let response = accept(&stack, &who, json!({"token": link["token"]})).await;
        if n < 3 {
            assert_eq!(response.status().as_u16(), 200);
        } else {
            assert_eq!(error_code(response, 403).await, "member_limit_reached");
        }
    }
}
