//! The signup webhook through the gateway: profile, organization and membership, once, whatever the replays.

use super::*;

#[tokio::test]
async fn signing_up_fires_the_webhook_and_creates_profile_org_and_membership() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("grace");
    let user_id = insert_user(&db, &email, json!({"full_name": "Grace Hopper"})).await;
    assert_eq!(wait_for_signup(&db, user_id).await, (1, 1, 1));
    let row = db
        .query_one(
            "select o.name, o.slug, p.full_name, p.email from organizations o
             join profiles p on p.id = o.signup_user_id where o.signup_user_id = $1",
            &[&user_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "Grace Hopper's Workspace");
    assert!(row.get::<_, String>(1).starts_with("grace-hopper"));
    assert_eq!(row.get::<_, String>(2), "Grace Hopper");
    assert_eq!(row.get::<_, String>(3), email);
    // The local pg_net recorded the function's answer, as Supabase's does: once the answer
    // has come back, which is after the rows above were committed.
    let mut status = None;
    for _ in 0..50 {
        status = db
            .query_opt(
                "select r.status_code from net._http_response r where r.content like '%' || $1 || '%'",
                &[&user_id.to_string()],
            )
            .await
            .unwrap()
            .map(|row| row.get::<_, i32>(0));
        if status.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, Some(200));
}

#[tokio::test]
async fn replays_in_a_row_and_at_once_create_exactly_one_org() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("replay");
    let meta = json!({"name": "Replay Person"});
    let user_id = insert_user(&db, &email, meta.clone()).await;
    assert_eq!(wait_for_signup(&db, user_id).await, (1, 1, 1));
    let payload = webhook_payload(user_id, &email, meta).to_string();

    let mut org_ids = Vec::new();
    for _ in 0..20 {
        let response = post_webhook(&stack, payload.clone()).await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["created"], false);
        org_ids.push(body["organization_id"].clone());
    }
    let together = join_all((0..20).map(|_| post_webhook(&stack, payload.clone()))).await;
    for response in together {
        assert_eq!(response.status().as_u16(), 200);
        org_ids.push(response.json::<Value>().await.unwrap()["organization_id"].clone());
    }
    assert!(org_ids.iter().all(|id| *id == org_ids[0] && id.is_string()));
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
}

#[tokio::test]
async fn twenty_concurrent_first_deliveries_create_one_org() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("stampede");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let payload = webhook_payload(user_id, &email, json!({})).to_string();
    let responses = join_all((0..20).map(|_| post_webhook(&stack, payload.clone()))).await;
    let mut created = 0;
    for response in responses {
        assert_eq!(response.status().as_u16(), 200);
        created += (response.json::<Value>().await.unwrap()["created"] == true) as usize;
    }
    assert_eq!(created, 1);
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
}

#[tokio::test]
async fn the_seeds_bare_record_form_is_accepted() {
    let stack = Stack::load();
    let db = stack.db().await;
    let email = unique_email("bare");
    let user_id = insert_user_without_webhook(&stack, &email, json!({})).await;
    let response = post_webhook(
        &stack,
        json!({"record": {"id": user_id, "email": email}}).to_string(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(signup_counts(&db, user_id).await, (1, 1, 1));
}
