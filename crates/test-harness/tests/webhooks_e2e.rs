//! Events out, end to end: endpoints made through PostgREST with real JWTs, events written
//! by the real RPCs and triggers, delivered by deliver-webhooks (pg_cron → pg_net → the
//! function on Deno 2.1.4) to a receiver that verifies every delivery with the reference
//! `standardwebhooks` library from npm (local/fakes/webhook-receiver.ts). The stack's retry
//! schedule is compressed to 0,1,1,1,1,1,1,1 s and the disable period to 20 s.
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

/// An organization on `plan` (growth has webhooks), its owner, and a viewer.
async fn organization(stack: &Stack, db: &Client, plan: &str) -> (User, Uuid, User) {
    stack.organization_with_viewer(db, "Hooks Test", plan).await
}

fn receiver(stack: &Stack) -> String {
    stack.var("WEBHOOK_RECEIVER_URL").to_owned()
}

struct Endpoint {
    id: String,
    name: String,
    secret: String,
}

/// An endpoint at the receiver (answering `then` once `script` is used up), made by `who`.
async fn endpoint(
    stack: &Stack,
    who: &User,
    org: Uuid,
    events: Option<Vec<&str>>,
    script: Vec<u16>,
    then: u16,
) -> Endpoint {
    let name = format!("e{}", Uuid::new_v4().simple());
    let (status, body) = stack
        .rpc_answer(
            "create_webhook_endpoint",
            &who.jwt,
            json!({"p_organization_id": org, "p_url": format!("{}/hooks/{name}", receiver(stack)),
                   "p_events": events}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let endpoint = Endpoint {
        id: body["id"].as_str().unwrap().to_owned(),
        name,
        secret,
    };
    configure(stack, &endpoint, &[&endpoint.secret], script, then).await;
    endpoint
}

async fn configure(
    stack: &Stack,
    endpoint: &Endpoint,
    secrets: &[&str],
    script: Vec<u16>,
    then: u16,
) {
    let response = stack
        .http
        .put(format!(
            "{}/_fake/endpoints/{}",
            receiver(stack),
            endpoint.name
        ))
        .json(&json!({"secrets": secrets, "script": script, "then": then}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

async fn deliveries(stack: &Stack, endpoint: &Endpoint) -> Vec<Value> {
    let body = stack
        .get_json(&format!(
            "{}/_fake/endpoints/{}",
            receiver(stack),
            endpoint.name
        ))
        .await;
    body["deliveries"].as_array().unwrap().clone()
}

/// Polls `check` every 200 ms until it holds or `seconds` pass.
async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what}: not within {seconds} s");
}

/// Invites someone: one `invite.created` event.
async fn an_event(stack: &Stack, owner: &User, org: Uuid) {
    let args =
        json!({"p_organization_id": org, "p_email": unique_email("invitee"), "p_role": "viewer"});
    let (status, body) = stack.rpc_answer("invite_member", &owner.jwt, args).await;
    assert_eq!(status, 200, "{body}");
}

async fn outbox(db: &Client, endpoint: &Endpoint) -> Vec<(String, String, i32)> {
    db.query(
        "select message_id, status, attempts from webhook_outbox where endpoint_id = $1::text::uuid order by seq",
        &[&endpoint.id],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2)))
    .collect()
}

#[tokio::test]
async fn events_arrive_signed_verified_by_the_reference_library_and_carry_no_secret() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = organization(&stack, &db, "growth").await;
    let hook = endpoint(&stack, &owner, org, None, vec![], 200).await;
    let only_roles = endpoint(
        &stack,
        &owner,
        org,
        Some(vec!["member.role_changed"]),
        vec![],
        200,
    )
    .await;

    an_event(&stack, &owner, org).await;
    let (status, _) = stack
        .rpc_answer(
            "change_member_role",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": viewer.id, "p_role": "admin"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = stack
        .rpc_answer(
            "transfer_ownership",
            &owner.jwt,
            json!({"p_organization_id": org, "p_user_id": viewer.id}),
        )
        .await;
    assert_eq!(status, 200);

    eventually(20, "all events delivered", || async {
        deliveries(&stack, &hook).await.len() >= 4
    })
    .await;
    let seen = deliveries(&stack, &hook).await;
    let types: Vec<&str> = seen.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "invite.created",
            "member.role_changed",
            "ownership.transferred",
            "ownership.transferred"
        ]
    );
    assert!(seen
        .iter()
        .all(|d| d["verified"] == json!([true]) && d["status"] == 200));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(seen.iter().all(|d| {
        let timestamp: u64 = d["timestamp"].as_str().unwrap().parse().unwrap();
        now.abs_diff(timestamp) < 300
    }));
    eventually(20, "the filtered endpoint's one event", || async {
        deliveries(&stack, &only_roles).await.len() == 1
    })
    .await;
    assert_eq!(
        deliveries(&stack, &only_roles).await[0]["type"],
        "member.role_changed"
    );

    // What went out: no token, hash or secret in any payload.
    let payloads: Vec<String> = db
        .query(
            "select payload::text from webhook_messages where organization_id = $1",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(!payloads.is_empty());
    for payload in &payloads {
        for word in ["token", "hash", "secret", "whsec"] {
            assert!(!payload.contains(word), "{word} in {payload}");
        }
    }

    // The owner sees the endpoint (never its secret) and every attempt.
    let rows: Value = stack
        .select(
            &format!("webhook_endpoints?id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert!(!rows.to_string().contains(&hook.secret));
    let secret_column = stack
        .select(
            &format!("webhook_endpoints?select=secret&id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .status()
        .as_u16();
    assert_eq!(secret_column, 400, "there is no secret to select");
    let attempts: Value = stack
        .select(
            &format!("webhook_deliveries?endpoint_id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(attempts.as_array().unwrap().len(), 4);
}

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
    let recorded: Vec<Option<i32>> = db
        .query(
            "select status_code from webhook_deliveries where endpoint_id = $1::text::uuid order by attempt",
            &[&flaky.id],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
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
async fn during_a_rotation_both_secrets_verify() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, _) = organization(&stack, &db, "growth").await;
    let hook = endpoint(&stack, &owner, org, None, vec![], 200).await;
    let (status, rotated) = stack
        .rpc_answer(
            "rotate_webhook_secret",
            &owner.jwt,
            json!({"p_endpoint_id": hook.id}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, hook.secret);
    configure(&stack, &hook, &[&hook.secret, new_secret], vec![], 200).await;
    an_event(&stack, &owner, org).await;
    eventually(20, "the delivery", || async {
        !deliveries(&stack, &hook).await.is_empty()
    })
    .await;
    assert_eq!(
        deliveries(&stack, &hook).await[0]["verified"],
        json!([true, true])
    );
}

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
    let created: Vec<String> = db
        .query(
            "select id from webhook_messages where organization_id = $1 order by created_at",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
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
    let created: Vec<String> = db
        .query(
            "select id from webhook_messages where organization_id = $1 order by created_at",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(delivered, created, "nothing lost, in order of creation");
}

#[tokio::test]
async fn only_owners_and_admins_of_organizations_with_webhooks_manage_them() {
    let stack = Stack::load();
    let db = stack.db().await;
    let (owner, org, viewer) = organization(&stack, &db, "growth").await;
    let (other_owner, other_org, _) = organization(&stack, &db, "growth").await;
    let (free_owner, free_org, _) = organization(&stack, &db, "free").await;
    let url = format!("{}/hooks/nobody", receiver(&stack));
    let args = |org: Uuid| json!({"p_organization_id": org, "p_url": url});
    let (status, body) = stack
        .rpc_answer("create_webhook_endpoint", &free_owner.jwt, args(free_org))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("feature_not_enabled"))
    );
    let (status, body) = stack
        .rpc_answer("create_webhook_endpoint", &viewer.jwt, args(org))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("not_org_admin"))
    );
    let (status, body) = stack
        .rpc_answer(
            "create_webhook_endpoint",
            &owner.jwt,
            json!({"p_organization_id": org, "p_url": url, "p_events": ["invite.exploded"]}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("invalid_events"))
    );

    let hook = endpoint(&stack, &owner, org, None, vec![], 200).await;
    an_event(&stack, &owner, org).await;
    eventually(20, "the delivery", || async {
        !deliveries(&stack, &hook).await.is_empty()
    })
    .await;
    let message = outbox(&db, &hook).await[0].0.clone();

    // Another organization's owner sees nothing and can change nothing.
    for table in [
        "webhook_endpoints",
        "webhook_messages",
        "webhook_deliveries",
        "webhook_outbox",
    ] {
        let rows: Value = stack
            .select(&format!("{table}?select=*"), Some(&other_owner.jwt))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !rows.to_string().contains(&hook.id) && !rows.to_string().contains(&org.to_string()),
            "{table}: {rows}"
        );
    }
    for (rpc, args, code) in [
        (
            "rotate_webhook_secret",
            json!({"p_endpoint_id": hook.id}),
            "endpoint_not_found",
        ),
        (
            "disable_webhook_endpoint",
            json!({"p_endpoint_id": hook.id}),
            "endpoint_not_found",
        ),
        (
            "delete_webhook_endpoint",
            json!({"p_endpoint_id": hook.id}),
            "endpoint_not_found",
        ),
        (
            "replay_webhook_message",
            json!({"p_message_id": message}),
            "message_not_found",
        ),
    ] {
        let (status, body) = stack.rpc_answer(rpc, &other_owner.jwt, args.clone()).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (404, Some(code)),
            "{rpc}"
        );
        let (status, _) = stack.rpc_answer(rpc, &viewer.jwt, args).await;
        assert_eq!(status, 404, "{rpc} as a viewer");
    }
    // Nor may anyone claim or report deliveries but the service role.
    let (status, _) = stack
        .rpc_answer("claim_webhook_batches", &owner.jwt, json!({}))
        .await;
    assert_eq!(status, 403);
    let run = stack
        .http
        .post(stack.function_url("deliver-webhooks"))
        .bearer_auth(&owner.jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(run, 401).await, "unauthorized");

    // The owner disables, and nothing more is sent; deletes, and it is gone.
    let (status, _) = stack
        .rpc_answer(
            "disable_webhook_endpoint",
            &owner.jwt,
            json!({"p_endpoint_id": hook.id}),
        )
        .await;
    assert_eq!(status, 200);
    an_event(&stack, &owner, org).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(deliveries(&stack, &hook).await.len(), 1);
    let (status, _) = stack
        .rpc_answer(
            "delete_webhook_endpoint",
            &owner.jwt,
            json!({"p_endpoint_id": hook.id}),
        )
        .await;
    assert_eq!(status, 200);
    let rows: Value = stack
        .select(
            &format!("webhook_endpoints?id=eq.{}", hook.id),
            Some(&owner.jwt),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows, json!([]));
    let _ = other_org;
}
