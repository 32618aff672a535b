//! Tenant user onboarding over Telegram, end to end through the gateway: the
//! user-onboarding function as WASM in Deno (request, callback, dispatch), the outbox
//! drained by the scheduled dispatcher, and Make played by its local fake
//! (local/fakes/make.ts).
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod access;
mod bad_input;
mod callbacks;
mod delivery;
mod story;

struct Tenant {
    id: Uuid,
    admin: User,
}

/// A signed-up user and their workspace: the tenant, with them as its owner.
async fn tenant(stack: &Stack, db: &Client) -> Tenant {
    let email = unique_email("tenant-admin");
    let id = insert_confirmed_user(db, &email, json!({"full_name": "Tenant Admin"})).await;
    assert_eq!(wait_for_signup(db, id).await, (1, 1, 1));
    let tenant_id: Uuid = db
        .query_one(
            "select id from organizations where signup_user_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    Tenant {
        id: tenant_id,
        admin: User {
            jwt: stack.user_jwt(id, &email),
            id,
            email,
        },
    }
}

/// A complainant or executor, added by the tenant admin through PostgREST (RLS).
async fn tenant_user(stack: &Stack, tenant: &Tenant, role: &str) -> (Uuid, String) {
    let email = unique_email(role);
    let response = stack
        .http
        .post(stack.rest_url("tenant_users?select=id"))
        .header("apikey", stack.publishable_key())
        .header("prefer", "return=representation")
        .bearer_auth(&tenant.admin.jwt)
        .json(&json!({"tenant_id": tenant.id, "user_role": role, "email": email, "full_name": "Tee User", "employee_id": "E-7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let rows: Vec<Value> = response.json().await.unwrap();
    (rows[0]["id"].as_str().unwrap().parse().unwrap(), email)
}

fn payload(tenant: &Tenant, user_id: Uuid, email: &str, role: &str) -> Value {
    json!({
        "event_type": "tenant.user.onboarding_requested",
        "tenant_id": tenant.id,
        "tenant_name": "Tenant Co",
        "user_id": user_id,
        "user_role": role,
        "email": email,
        "full_name": "Tee User",
        "employee_id": "E-7",
        "initiated_by": {"id": tenant.admin.id, "email": tenant.admin.email, "name": "Tenant Admin"},
        "correlation_id": Uuid::new_v4(),
        "requested_at": "2026-11-21T10:00:00Z",
    })
}

async fn request(stack: &Stack, jwt: Option<&str>, body: &Value) -> reqwest::Response {
    stack
        .call_function("user-onboarding/request", jwt, body.clone())
        .await
}

async fn callback(stack: &Stack, token: Option<&str>, body: Value) -> reqwest::Response {
    stack
        .call_function("user-onboarding/callback", token, body)
        .await
}

/// The start token Make received for this onboarding: what Telegram's /start gives the
/// bot, and what Make's success callback must carry.
async fn start_token(stack: &Stack, email: &str, correlation_id: &Value) -> String {
    received(stack, email)
        .await
        .iter()
        .rev()
        .find(|got| got["body"]["correlation_id"] == *correlation_id)
        .and_then(|got| got["body"]["start_token"].as_str().map(str::to_owned))
        .expect("Make received this onboarding")
}

fn callback_token(stack: &Stack) -> String {
    stack.var("MAKE_ONBOARDING_CALLBACK_TOKEN").to_owned()
}

/// The dispatcher, called as pg_cron calls it: the secret key in `apikey`.
async fn dispatch(stack: &Stack) -> reqwest::Response {
    stack
        .call_function_with_key("user-onboarding/dispatch", stack.secret_key(), json!({}))
        .await
}

fn make_url(stack: &Stack, path: &str) -> String {
    format!("{}{path}", stack.var("MAKE_FAKE_URL"))
}

async fn received(stack: &Stack, email: &str) -> Vec<Value> {
    let received = stack
        .get_json(&make_url(stack, &format!("/_fake/received?email={email}")))
        .await;
    received.as_array().unwrap().clone()
}

async fn script_make(stack: &Stack, email: &str, responses: Value) {
    let response = stack
        .http
        .post(make_url(stack, "/_fake/script"))
        .json(&json!({"email": email, "responses": responses}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

async fn make_down(stack: &Stack, email: &str, down: bool) {
    let response = stack
        .http
        .post(make_url(stack, "/_fake/down"))
        .json(&json!({"email": email, "down": down}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

async fn user_state(
    db: &Client,
    user_id: Uuid,
) -> (String, bool, Option<i64>, i32, Option<String>) {
    let row = db
        .query_one(
            "select bot_onboarding_status, is_active, telegram_chat_id, bot_onboarding_retry_count, bot_onboarding_error
             from tenant_users where id = $1",
            &[&user_id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

/// (title, level, action hint) of the user's notifications, oldest first.
async fn notifications(db: &Client, user_id: Uuid) -> Vec<(String, String, Option<String>)> {
    db.query(
        "select title, level, metadata ->> 'action_hint' from tenant_notifications where user_id = $1 order by created_at, id",
        &[&user_id],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2)))
    .collect()
}

async fn events(db: &Client, correlation_id: &Value) -> Vec<String> {
    let id: Uuid = correlation_id.as_str().unwrap().parse().unwrap();
    first_column(
        db,
        "select event from user_onboarding_events where correlation_id = $1 order by id",
        &[&id],
    )
    .await
}

async fn wait_for_status(db: &Client, user_id: Uuid, status: &str, seconds: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if user_state(db, user_id).await.0 == status {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Milliseconds since the epoch of one of the fake's ISO timestamps.
fn millis(iso: &str) -> i128 {
    time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
        / 1_000_000
}
