//! Webhooks out, drained by concurrent deliver-webhooks runs.

use super::*;

/// Webhooks out, drained: 100 events to each of 20 endpoints at the receiver fake (which
/// verifies every delivery with the `standardwebhooks` library), queued by one transaction,
/// then delivered by `dispatchers` concurrent runs of deliver-webhooks, the schedule
/// paused so only they deliver. Deliveries per second, from the first run to the last
/// delivery, and each attempt's duration as `webhook_deliveries` records it.
pub(crate) async fn webhook_drain(stack: &Stack, dispatchers: usize) -> Value {
    const ENDPOINTS: usize = 20;
    const EVENTS: usize = 100;
    let receiver = stack.var("WEBHOOK_RECEIVER_URL");
    let db = &stack.db;
    let (owner, org, member) = stack
        .harness
        .organization_with_viewer(db, "Bench Hooks", "growth")
        .await;
    for _ in 0..ENDPOINTS {
        let name = format!("bench{}", Uuid::new_v4().simple());
        let (status, created) = stack
            .harness
            .rpc_answer(
                "create_webhook_endpoint",
                &owner.jwt,
                json!({"p_organization_id": org, "p_url": format!("{receiver}/hooks/{name}"),
                       "p_events": ["member.role_changed"]}),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        stack
            .http
            .put(format!("{receiver}/_fake/endpoints/{name}"))
            .json(&json!({"secrets": [created["secret"]], "then": 200}))
            .send()
            .await
            .unwrap();
    }
    db.execute(
        "update cron.job set active = false where jobname = 'deliver-webhooks'",
        &[],
    )
    .await
    .unwrap();
    let queued = Instant::now();
    test_harness::flip_role(db, org, member.id, EVENTS).await;
    let queue_ms = queued.elapsed().as_secs_f64() * 1000.0;
    let total = (ENDPOINTS * EVENTS) as i64;
    let delivered_query = "select count(*) filter (where o.status = 'delivered')
        from webhook_outbox o join webhook_endpoints e on e.id = o.endpoint_id where e.organization_id = $1";
    // The scheduler's call: the secret key in apikey.
    let secret = stack.var("SUPABASE_SECRET_KEY");
    let started = Instant::now();
    let mut runs = 0;
    let mut delivered: i64 = 0;
    while delivered < total && started.elapsed() < Duration::from_secs(120) {
        join_all((0..dispatchers).map(|_| {
            stack
                .http
                .post(stack.function("deliver-webhooks"))
                .header("apikey", &secret)
                .send()
        }))
        .await;
        runs += dispatchers;
        delivered = db.query_one(delivered_query, &[&org]).await.unwrap().get(0);
    }
    let seconds = started.elapsed().as_secs_f64();
    db.execute(
        "update cron.job set active = true where jobname = 'deliver-webhooks'",
        &[],
    )
    .await
    .unwrap();
    let attempts = db
        .query_one(
            "select count(*), percentile_cont(0.5) within group (order by duration_ms)::float8,
                    percentile_cont(0.99) within group (order by duration_ms)::float8
             from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id where e.organization_id = $1",
            &[&org],
        )
        .await
        .unwrap();
    let round = |x: f64| (x * 10.0).round() / 10.0;
    json!({"dispatchers": dispatchers, "endpoints": ENDPOINTS, "messages": total, "delivered": delivered,
           "attempts": attempts.get::<_, i64>(0), "dispatcher_runs": runs,
           "queue_ms": round(queue_ms), "seconds": (seconds * 100.0).round() / 100.0,
           "deliveries_per_second": round(delivered as f64 / seconds),
           "attempt_p50_ms": attempts.get::<_, Option<f64>>(1), "attempt_p99_ms": attempts.get::<_, Option<f64>>(2)})
}
