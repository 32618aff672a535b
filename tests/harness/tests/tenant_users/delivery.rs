//! Delivery to Make (/dispatch): retries with backoff, permanent refusals, deadlines, outages, concurrent dispatchers.

use super::*;

#[tokio::test]
async fn make_failing_twice_is_retried_with_backoff_and_delivered_once() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "complainant").await;
    script_make(&stack, &email, json!([{"status": 500}, {"status": 500}])).await;
    let body = payload(&tenant, user_id, &email, "complainant");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &body)
            .await
            .status()
            .as_u16(),
        202
    );
    assert!(
        wait_for_status(&db, user_id, "invite_sent", 15).await,
        "never delivered"
    );
    let got = received(&stack, &email).await;
    let answers: Vec<i64> = got
        .iter()
        .map(|r| r["answered"].as_i64().unwrap())
        .collect();
    assert_eq!(answers, [500, 500, 200]);
    let times: Vec<i128> = got
        .iter()
        .map(|r| millis(r["at"].as_str().unwrap()))
        .collect();
    assert!(
        times[1] - times[0] >= 150 && times[2] - times[1] >= 150,
        "no backoff between tries: {times:?}"
    );
    assert_eq!(
        events(&db, &body["correlation_id"]).await,
        ["requested", "delivery_retry", "delivery_retry", "delivered"]
    );
    let titles: Vec<String> = notifications(&db, user_id)
        .await
        .into_iter()
        .map(|n| n.0)
        .collect();
    assert_eq!(titles, ["Queued", "Retry", "Invite Sent"]);
}

#[tokio::test]
async fn a_400_from_make_fails_the_onboarding_with_an_error_notification() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    script_make(
        &stack,
        &email,
        json!([{"status": 400, "body": "Invalid email"}]),
    )
    .await;
    let body = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &body)
            .await
            .status()
            .as_u16(),
        202
    );
    let (status, active, _, _, error) = user_state(&db, user_id).await;
    assert_eq!((status.as_str(), active), ("failed", false));
    assert!(error.unwrap().contains("400"));
    let last = notifications(&db, user_id).await.pop().unwrap();
    assert_eq!(
        last,
        (
            "Failed".into(),
            "error".into(),
            Some("Resend invite".into())
        )
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        received(&stack, &email).await.len(),
        1,
        "a 4xx is not retried"
    );
}

#[tokio::test]
async fn a_hanging_make_hits_the_deadline_and_is_retried() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    script_make(&stack, &email, json!([{"hang_ms": 4000}])).await;
    let started = Instant::now();
    let response = request(
        &stack,
        Some(&tenant.admin.jwt),
        &payload(&tenant, user_id, &email, "executor"),
    )
    .await;
    assert_eq!(response.status().as_u16(), 202);
    assert!(
        started.elapsed() < Duration::from_millis(3500),
        "the request waited for Make past its deadline"
    );
    assert!(wait_for_status(&db, user_id, "invite_sent", 15).await);
    assert_eq!(received(&stack, &email).await.len(), 2);
}

#[tokio::test]
async fn make_down_then_up_loses_nothing_and_down_for_good_fails_loudly() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    make_down(&stack, &email, true).await;
    let body = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &body)
            .await
            .status()
            .as_u16(),
        202
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(user_state(&db, user_id).await.0, "pending");
    make_down(&stack, &email, false).await;
    assert!(
        wait_for_status(&db, user_id, "invite_sent", 15).await,
        "lost while Make was down"
    );
    let delivered = received(&stack, &email)
        .await
        .iter()
        .filter(|r| r["answered"] == 200)
        .count();
    assert_eq!(delivered, 1);

    // Down for longer than the retry policy: dead, failed, and the admin is told.
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    make_down(&stack, &email, true).await;
    assert_eq!(
        request(
            &stack,
            Some(&tenant.admin.jwt),
            &payload(&tenant, user_id, &email, "executor")
        )
        .await
        .status()
        .as_u16(),
        202
    );
    assert!(wait_for_status(&db, user_id, "failed", 20).await);
    assert_eq!(
        received(&stack, &email).await.len(),
        5,
        "MAKE_MAX_ATTEMPTS attempts"
    );
    assert_eq!(
        notifications(&db, user_id)
            .await
            .pop()
            .unwrap()
            .2
            .as_deref(),
        Some("Resend invite")
    );
}

#[tokio::test]
async fn two_dispatchers_at_once_never_send_a_message_twice() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let mut users = Vec::new();
    for _ in 0..8 {
        let (user_id, email) = tenant_user(&stack, &tenant, "complainant").await;
        script_make(&stack, &email, json!([{"status": 503}])).await;
        assert_eq!(
            request(
                &stack,
                Some(&tenant.admin.jwt),
                &payload(&tenant, user_id, &email, "complainant")
            )
            .await
            .status()
            .as_u16(),
            202
        );
        users.push((user_id, email));
    }
    // Everything is due again shortly; race dispatchers against each other and the schedule.
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        join_all((0..3).map(|_| dispatch(&stack))).await;
        let mut done = true;
        for (user_id, _) in &users {
            done &= user_state(&db, *user_id).await.0 == "invite_sent";
        }
        if done {
            break;
        }
    }
    for (user_id, email) in &users {
        assert_eq!(user_state(&db, *user_id).await.0, "invite_sent");
        let answers: Vec<i64> = received(&stack, email)
            .await
            .iter()
            .map(|r| r["answered"].as_i64().unwrap())
            .collect();
        assert_eq!(answers, [503, 200], "{email}");
    }
}
