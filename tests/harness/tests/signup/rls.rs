//! Row-level security: users see only their own tenant.

use super::*;

#[tokio::test]
async fn rls_lets_users_see_only_their_own_tenant() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (email_a, email_b) = (unique_email("alice"), unique_email("bob"));
    let alice = insert_user(&db, &email_a, json!({"full_name": "Alice"})).await;
    let bob = insert_user(&db, &email_b, json!({"full_name": "Bob"})).await;
    assert_eq!(wait_for_signup(&db, alice).await, (1, 1, 1));
    assert_eq!(wait_for_signup(&db, bob).await, (1, 1, 1));
    let org_of = |user: Uuid| {
        let db = &db;
        async move {
            db.query_one(
                "select id from organizations where signup_user_id = $1",
                &[&user],
            )
            .await
            .unwrap()
            .get::<_, Uuid>(0)
        }
    };
    let (org_a, org_b) = (org_of(alice).await, org_of(bob).await);

    let get = |path: String, jwt: String| {
        let request = stack
            .http
            .get(stack.rest_url(&path))
            .header("apikey", stack.publishable_key())
            .bearer_auth(jwt);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Vec<Value>>().await.unwrap()
        }
    };
    for (me, my_email, my_org, other, other_org) in [
        (alice, &email_a, org_a, bob, org_b),
        (bob, &email_b, org_b, alice, org_a),
    ] {
        let jwt = stack.user_jwt(me, my_email);
        let orgs = get("organizations?select=id".into(), jwt.clone()).await;
        assert_eq!(orgs, vec![json!({"id": my_org})]);
        let members = get(
            "organization_members?select=user_id,role".into(),
            jwt.clone(),
        )
        .await;
        assert_eq!(members, vec![json!({"user_id": me, "role": "owner"})]);
        let profiles = get("profiles?select=id".into(), jwt.clone()).await;
        assert_eq!(profiles, vec![json!({"id": me})]);
        // Asking for the other tenant by id finds nothing.
        assert!(get(format!("organizations?id=eq.{other_org}"), jwt.clone())
            .await
            .is_empty());
        assert!(get(
            format!("organization_members?organization_id=eq.{other_org}"),
            jwt.clone()
        )
        .await
        .is_empty());
        assert!(get(format!("profiles?id=eq.{other}"), jwt.clone())
            .await
            .is_empty());

        // No client inserts: a user cannot add themself to the other organization.
        let insert = stack
            .http
            .post(stack.rest_url("organization_members"))
            .header("apikey", stack.publishable_key())
            .bearer_auth(&jwt)
            .json(&json!({"organization_id": other_org, "user_id": me, "role": "owner"}))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(insert.status().as_u16(), 401 | 403),
            "{}",
            insert.status()
        );
    }
    // Anonymous callers read nothing.
    let anon = stack
        .http
        .get(stack.rest_url("organizations"))
        .header("apikey", stack.publishable_key())
        .send()
        .await
        .unwrap();
    assert!(
        matches!(anon.status().as_u16(), 401 | 403),
        "{}",
        anon.status()
    );
    // A user may rename themself, and only themself.
    let rename = |target: Uuid| {
        stack
            .http
            .patch(stack.rest_url(&format!("profiles?id=eq.{target}")))
            .header("apikey", stack.publishable_key())
            .header("prefer", "return=representation")
            .bearer_auth(stack.user_jwt(alice, &email_a))
            .json(&json!({"full_name": "Alice B."}))
            .send()
    };
    assert_eq!(
        rename(alice)
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(rename(bob)
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap()
        .is_empty());
}
