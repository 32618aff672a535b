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

mod access;
mod concurrency;
mod delivery;
mod failures;

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
