//! Concurrent dispatchers deliver each message exactly once, in order.

use super::*;

#[tokio::test]
async fn three_concurrent_dispatchers_deliver_each_of_300_messages_exactly_once_in_order() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = organization(&stack, &db, "growth").await;
    let mut hooks = Vec::new();
    for _ in 0..3 {
        hooks.push(
            endpoint(
                &stack,
                &owner,
                org,
                Some(vec!["member.role_changed"]),
                vec![],
                200,
            )
            .await,
        );
    }
    // 100 role changes in one transaction: 100 events, queued for each endpoint.
    flip_role(&db, org, viewer.id, 100).await;
    let runs =
        join_all((0..3).map(|_| {
            stack.call_function_with_key("deliver-webhooks", stack.secret_key(), json!({}))
        }))
        .await;
    assert!(runs.iter().all(|run| run.status().as_u16() == 200));
    let created: Vec<String> = first_column(
        &db,
        "select id from webhook_messages where organization_id = $1 order by created_at",
        &[&org],
    )
    .await;
    assert_eq!(created.len(), 100);
    for hook in &hooks {
        eventually(30, "every message at every endpoint", || async {
            deliveries(&stack, hook).await.len() >= 100
        })
        .await;
        let ids: Vec<String> = deliveries(&stack, hook)
            .await
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, created, "each once, in order of creation");
    }
}
