//! Receivers failing, gone or down for the whole schedule: retries, 410, disabling, and catching up in order.

use super::*;

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_same_id_three_times_and_a_410_is_not_retried() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, _) = organization(&stack, &db, "growth").await;
    let flaky = endpoint(&stack, &owner, org, None, vec![500, 500], 200).await;
    let gone = endpoint(&stack, &owner, org, None, vec![], 410).await;
    an_event(&stack, &owner, org).await;

    eventually(20, "the third attempt", || async {
        outbox(&db, &flaky)
            .await
            .first()
            .is_some_and(|m| m.1 == "delivered")
    })
    .await;
    let seen = deliveries(&stack, &flaky).await;
    let statuses: Vec<u64> = seen.iter().map(|d| d["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert!(
        seen.iter().all(|d| d["id"] == seen[0]["id"]),
        "one webhook-id for every attempt"
    );
    assert_eq!(outbox(&db, &flaky).await[0].2, 3);
    let recorded: Vec<Option<i32>> = first_column(&db, "select status_code from webhook_deliveries where endpoint_id = $1::text::uuid order by attempt", &[&flaky.id]).await;
    assert_eq!(recorded, [Some(500), Some(500), Some(200)]);

    eventually(10, "the 410 recorded", || async {
        outbox(&db, &gone)
            .await
            .first()
            .is_some_and(|m| m.1 == "failed")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        deliveries(&stack, &gone).await.len(),
        1,
        "a 410 is not retried"
    );
    assert_eq!(outbox(&db, &gone).await[0].2, 1);

    // Replayed, the delivered message goes again with its id.
    let message = &outbox(&db, &flaky).await[0].0;
    let (status, body) = stack
        .rpc_answer(
            "replay_webhook_message",
            &owner.jwt,
            json!({"p_message_id": message}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually(10, "the replay", || async {
        deliveries(&stack, &flaky).await.len() == 4
    })
    .await;
    assert_eq!(deliveries(&stack, &flaky).await[3]["id"], *message);
}

#[tokio::test]
async fn a_receiver_down_for_the_whole_schedule_fails_is_disabled_and_the_owners_are_told() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, _) = organization(&stack, &db, "growth").await;
    let down = endpoint(&stack, &owner, org, None, vec![], 503).await;
    an_event(&stack, &owner, org).await;
    eventually(60, "the last attempt", || async {
        outbox(&db, &down)
            .await
            .first()
            .is_some_and(|m| m.1 == "failed")
    })
    .await;
    let attempts = deliveries(&stack, &down).await;
    assert_eq!(attempts.len(), 8, "Svix's eight attempts");
    assert!(attempts.iter().all(|d| d["id"] == attempts[0]["id"]));
    // Once it has failed for the whole disable period, the next attempt disables it.
    let wait: f64 = db
        .query_one(
            "select greatest(0, extract(epoch from failing_since - now()
                 + private.setting('webhook_disable_after', '5 days')::interval))::float8
             from webhook_endpoints where id = $1::text::uuid",
            &[&down.id],
        )
        .await
        .unwrap()
        .get(0);
    tokio::time::sleep(Duration::from_secs_f64(wait + 0.5)).await;
    an_event(&stack, &owner, org).await;
    eventually(20, "the endpoint disabled", || async {
        db.query_one(
            "select not enabled from webhook_endpoints where id = $1::text::uuid",
            &[&down.id],
        )
        .await
        .unwrap()
        .get(0)
    })
    .await;
    assert!(
        outbox(&db, &down).await.iter().all(|m| m.1 == "failed"),
        "nothing is left pending at a disabled endpoint"
    );
    let enabled: bool = db
        .query_one(
            "select enabled from webhook_endpoints where id = $1::text::uuid",
            &[&down.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        !enabled,
        "disabled after failing for the whole (compressed) period"
    );
    let notifications: Value = stack
        .select(
            &format!("tenant_notifications?tenant_id=eq.{org}&type=eq.webhook.endpoint_disabled"),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        notifications.as_array().unwrap().len(),
        1,
        "{notifications}"
    );
}

#[tokio::test]
async fn a_thousand_events_made_while_the_receiver_is_down_all_arrive_in_order_when_it_is_back() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = organization(&stack, &db, "growth").await;
    let hook = endpoint(
        &stack,
        &owner,
        org,
        Some(vec!["member.role_changed"]),
        vec![],
        503,
    )
    .await;
    flip_role(&db, org, viewer.id, 1000).await;
    eventually(10, "the receiver refusing", || async {
        deliveries(&stack, &hook).await.len() >= 2
    })
    .await;
    configure(&stack, &hook, &[&hook.secret], vec![], 200).await;
    eventually(90, "all thousand delivered", || async {
        deliveries(&stack, &hook)
            .await
            .iter()
            .filter(|d| d["status"] == 200)
            .count()
            >= 1000
    })
    .await;
    let delivered: Vec<String> = deliveries(&stack, &hook)
        .await
        .iter()
        .filter(|d| d["status"] == 200)
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let created: Vec<String> = first_column(
        &db,
        "select id from webhook_messages where organization_id = $1 order by created_at",
        &[&org],
    )
    .await;
    assert_eq!(delivered, created, "nothing lost, in order of creation");
}
