//! Row-level security with real JWTs of every kind of caller.

use super::*;

#[tokio::test]
async fn rls_with_real_jwts_of_every_kind_of_caller() {
    let stack = Stack::load();
    let db = stack.db().await;
    let admin = stack.platform_admin(&db).await;
    let invited = create_organization(&stack, &admin, "growth", json!({})).await;
    let other = create_organization(&stack, &admin, "starter", json!({})).await;
    let token = token_by_email(&stack, &admin, &invited).await;
    let owner = stack.confirmed_user(&db, &invited.email).await;
    assert_eq!(
        accept(&stack, &owner.jwt, &token).await.status().as_u16(),
        200
    );
    let member = stack.confirmed_user(&db, &unique_email("viewer")).await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')",
        &[&invited.organization_id, &member.id],
    )
    .await
    .unwrap();
    let outsider = stack.confirmed_user(&db, &unique_email("outsider")).await;
    let org = invited.organization_id;

    let rows = |response: reqwest::Response| async move {
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Vec<Value>>().await.unwrap()
    };
    let invites_path = format!(
        "onboarding_invites?select=id,organization_id,email,status&organization_id=in.({org},{})",
        other.organization_id
    );

    // Anonymous: nothing in any of these tables.
    for table in [
        "onboarding_invites",
        "organization_billing",
        "organization_feature_overrides",
        "platform_roles",
        "organizations",
    ] {
        let status = stack.select(table, None).await.status().as_u16();
        assert!(matches!(status, 401 | 403), "anon on {table}: {status}");
    }
    // Platform admin: every invite, every organization.
    let all = rows(stack.select(&invites_path, Some(&admin.jwt)).await).await;
    assert_eq!(all.len(), 2);
    assert_eq!(
        rows(
            stack
                .select(
                    &format!("organizations?id=eq.{}", other.organization_id),
                    Some(&admin.jwt)
                )
                .await
        )
        .await
        .len(),
        1
    );
    // Owner: their organization's invites only; never the token hash.
    let mine = rows(stack.select(&invites_path, Some(&owner.jwt)).await).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["organization_id"], json!(org));
    let hash = stack
        .select("onboarding_invites?select=token_hash", Some(&owner.jwt))
        .await;
    assert!(
        matches!(hash.status().as_u16(), 401 | 403),
        "token_hash readable: {}",
        hash.status()
    );
    // Member (not owner): their organization and its billing, but no invites.
    assert!(rows(stack.select(&invites_path, Some(&member.jwt)).await)
        .await
        .is_empty());
    assert_eq!(
        rows(
            stack
                .select(
                    &format!("organization_billing?organization_id=eq.{org}"),
                    Some(&member.jwt)
                )
                .await
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        rows(
            stack
                .select(&format!("organizations?id=eq.{org}"), Some(&member.jwt))
                .await
        )
        .await
        .len(),
        1
    );
    // Outsider: nothing of either organization.
    assert!(rows(stack.select(&invites_path, Some(&outsider.jwt)).await)
        .await
        .is_empty());
    assert!(rows(
        stack
            .select(&format!("organizations?id=eq.{org}"), Some(&outsider.jwt))
            .await
    )
    .await
    .is_empty());
    assert!(rows(
        stack
            .select(
                &format!("organization_billing?organization_id=eq.{org}"),
                Some(&outsider.jwt)
            )
            .await
    )
    .await
    .is_empty());
    assert_eq!(
        rows(
            stack
                .select("platform_roles?select=user_id", Some(&outsider.jwt))
                .await
        )
        .await
        .len(),
        1,
        "only their own role"
    );

    // Writes only through the checked paths.
    let insert = stack
        .http
        .post(stack.rest_url("onboarding_invites"))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&owner.jwt)
        .json(&json!({"organization_id": org, "email": "x@y.co", "expires_at": "2099-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(insert.status().as_u16(), 401 | 403));
    let promote = stack
        .http
        .patch(stack.rest_url(&format!("platform_roles?user_id=eq.{}", outsider.id)))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&outsider.jwt)
        .json(&json!({"role": "platform_admin"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(promote.status().as_u16(), 401 | 403));
    for jwt in [&owner.jwt, &outsider.jwt] {
        let create = stack
            .rpc("admin_create_organization", jwt, json!({"p_name": "X", "p_slug": format!("x-{}", Uuid::new_v4().simple()), "p_owner_email": "a@b.co"}))
            .await;
        assert_eq!(create.status().as_u16(), 403);
        assert_eq!(
            error_code(send_invite(&stack, jwt, other.invite_id).await, 403).await,
            "not_platform_admin"
        );
    }
    // Revoke: not by a member or outsider; by the owner of that organization.
    let pending = create_invite_for(&db, org).await;
    for jwt in [&member.jwt, &outsider.jwt] {
        assert_eq!(
            stack
                .rpc("revoke_invite", jwt, json!({"p_invite_id": pending}))
                .await
                .status()
                .as_u16(),
            404
        );
    }
    assert_eq!(
        stack
            .rpc("revoke_invite", &owner.jwt, json!({"p_invite_id": pending}))
            .await
            .status()
            .as_u16(),
        200
    );
    // Onboarding: only members read it; only the owner completes it.
    assert_eq!(
        stack
            .rpc(
                "organization_onboarding",
                &outsider.jwt,
                json!({"p_organization_id": org})
            )
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        stack
            .rpc(
                "complete_onboarding",
                &member.jwt,
                json!({"p_organization_id": org})
            )
            .await
            .status()
            .as_u16(),
        403
    );
}
