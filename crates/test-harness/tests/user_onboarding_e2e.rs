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
    db.query(
        "select event from user_onboarding_events where correlation_id = $1 order by id",
        &[&id],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect()
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

#[tokio::test]
async fn the_whole_story_from_request_to_active_user() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");

    let response = request(&stack, Some(&tenant.admin.jwt), &body).await;
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "queued", "correlation_id": body["correlation_id"]})
    );

    // Make got the seed's payload, plus a single-use start token for the deep link.
    let got = received(&stack, &email).await;
    assert_eq!(got.len(), 1);
    let sent = &got[0]["body"];
    let token = sent["start_token"].as_str().unwrap().to_owned();
    assert!(
        token.len() <= 64
            && token.len() >= 32
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(token, body["correlation_id"].as_str().unwrap());
    let mut without_token = sent.clone();
    without_token.as_object_mut().unwrap().remove("start_token");
    assert_eq!(without_token, body);
    assert_eq!(got[0]["correlation_header"], body["correlation_id"]);
    let stored: Option<String> = db
        .query_one(
            "select bot_start_token_hash from tenant_users where id = $1",
            &[&user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored.unwrap(),
        platform::secrets::sha256_hex(&token),
        "only the hash is stored"
    );
    let leftover: i64 = db
        .query_one(
            "select count(*) from onboarding_outbox where payload ? 'start_token' and user_id = $1",
            &[&user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        leftover, 0,
        "the delivered message no longer holds the token"
    );
    assert_eq!(user_state(&db, user_id).await.0, "invite_sent");

    // Make confirms the chat.
    let confirm = json!({"correlation_id": body["correlation_id"], "email": email.to_uppercase(), "chat_id": 987654321, "telegram_user_id": 42, "start_token": token});
    let response = callback(&stack, Some(&callback_token(&stack)), confirm).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        user_state(&db, user_id).await,
        ("completed".into(), true, Some(987654321), 0, None)
    );
    let titles: Vec<String> = notifications(&db, user_id)
        .await
        .into_iter()
        .map(|n| n.0)
        .collect();
    assert_eq!(titles, ["Queued", "Invite Sent", "Completed"]);
    assert_eq!(
        events(&db, &body["correlation_id"]).await,
        ["requested", "delivered", "completed"]
    );
    let metadata: Value = db
        .query_one(
            "select metadata from tenant_notifications where user_id = $1 and title = 'Completed'",
            &[&user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(metadata["correlation_id"], body["correlation_id"]);
}

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

#[tokio::test]
async fn resend_supersedes_and_late_callbacks_are_refused() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let first = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &first)
            .await
            .status()
            .as_u16(),
        202
    );
    // The same request again (a client retry) is accepted and changes nothing.
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &first)
            .await
            .status()
            .as_u16(),
        202
    );
    // A new request while one is in flight is refused unless it is a resend.
    let second = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        error_code(request(&stack, Some(&tenant.admin.jwt), &second).await, 409).await,
        "onboarding_in_flight"
    );
    let mut resend = second.clone();
    resend["resend"] = json!(true);
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &resend)
            .await
            .status()
            .as_u16(),
        202
    );
    assert_eq!(user_state(&db, user_id).await.3, 1, "retry_count + 1");
    assert_eq!(received(&stack, &email).await.len(), 2);

    let first_token = start_token(&stack, &email, &first["correlation_id"]).await;
    let second_token = start_token(&stack, &email, &second["correlation_id"]).await;
    let late = json!({"correlation_id": first["correlation_id"], "email": email, "chat_id": 1, "start_token": first_token});
    assert_eq!(
        error_code(
            callback(&stack, Some(&callback_token(&stack)), late).await,
            409
        )
        .await,
        "correlation_superseded"
    );
    let ok = json!({"correlation_id": second["correlation_id"], "email": email, "chat_id": 2, "start_token": second_token});
    assert_eq!(
        callback(&stack, Some(&callback_token(&stack)), ok.clone())
            .await
            .status()
            .as_u16(),
        200
    );
    // Replayed: 200, nothing new.
    let before = notifications(&db, user_id).await.len();
    let replay = callback(&stack, Some(&callback_token(&stack)), ok).await;
    assert_eq!(replay.status().as_u16(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap()["replay"], true);
    assert_eq!(notifications(&db, user_id).await.len(), before);
    // Completed: a new request is refused; a different chat id for the same onboarding too.
    let third = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        error_code(request(&stack, Some(&tenant.admin.jwt), &third).await, 409).await,
        "already_onboarded"
    );
    let other_chat = json!({"correlation_id": second["correlation_id"], "email": email, "chat_id": 3, "start_token": second_token});
    assert_eq!(
        error_code(
            callback(&stack, Some(&callback_token(&stack)), other_chat).await,
            409
        )
        .await,
        "already_completed"
    );
}

#[tokio::test]
async fn failure_callbacks_timeouts_and_the_sweep() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let token = callback_token(&stack);

    // Make reports a timeout: a warning with the resend hint; replayed, nothing new.
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    let failure = json!({"correlation_id": body["correlation_id"], "status": "failed", "error": "user never pressed start", "reason": "timeout"});
    assert_eq!(
        callback(&stack, Some(&token), failure.clone())
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        callback(&stack, Some(&token), failure)
            .await
            .status()
            .as_u16(),
        200
    );
    let (status, _, _, retries, error) = user_state(&db, user_id).await;
    assert_eq!(
        (status.as_str(), retries, error.as_deref()),
        ("failed", 1, Some("user never pressed start"))
    );
    let timeouts: Vec<_> = notifications(&db, user_id)
        .await
        .into_iter()
        .filter(|n| n.0 == "Timed out")
        .collect();
    assert_eq!(
        timeouts,
        [(
            "Timed out".to_owned(),
            "warning".to_owned(),
            Some("Resend invite".to_owned())
        )]
    );

    // Any other failure is an error.
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    let failure = json!({"correlation_id": body["correlation_id"], "status": "failed", "error": "bot blocked"});
    assert_eq!(
        callback(&stack, Some(&token), failure)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(notifications(&db, user_id).await.pop().unwrap().1, "error");

    // No callback at all: the sweep fails it with reason timeout.
    let (user_id, email) = tenant_user(&stack, &tenant, "complainant").await;
    let body = payload(&tenant, user_id, &email, "complainant");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    db.execute("update tenant_users set bot_onboarding_requested_at = now() - interval '3 hours' where id = $1", &[&user_id])
        .await
        .unwrap();
    let swept: i32 = db
        .query_one(
            "select public.sweep_onboarding_timeouts(interval '2 hours')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(swept >= 1);
    assert_eq!(user_state(&db, user_id).await.0, "failed");
    assert_eq!(
        events(&db, &body["correlation_id"]).await.last().unwrap(),
        "timeout"
    );
    assert_eq!(
        notifications(&db, user_id).await.pop().unwrap().0,
        "Timed out"
    );
}

#[tokio::test]
async fn callers_are_authenticated_and_authorised() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant_a = tenant(&stack, &db).await;
    let tenant_b = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant_a, "executor").await;
    let body = payload(&tenant_a, user_id, &email, "executor");

    assert_eq!(
        error_code(request(&stack, None, &body).await, 401).await,
        "unauthorized"
    );
    assert_eq!(
        request(
            &stack,
            Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged"),
            &body
        )
        .await
        .status()
        .as_u16(),
        401
    );
    // A member who is not an admin.
    let viewer = stack.confirmed_user(&db, &unique_email("viewer")).await;
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'viewer')", &[&tenant_a.id, &viewer.id])
        .await
        .unwrap();
    let mut as_viewer = body.clone();
    as_viewer["initiated_by"]["id"] = json!(viewer.id);
    assert_eq!(
        error_code(request(&stack, Some(&viewer.jwt), &as_viewer).await, 403).await,
        "not_tenant_admin"
    );
    // An admin of another tenant, for this tenant and for a user of this tenant.
    let mut as_b = body.clone();
    as_b["initiated_by"]["id"] = json!(tenant_b.admin.id);
    assert_eq!(
        error_code(request(&stack, Some(&tenant_b.admin.jwt), &as_b).await, 403).await,
        "not_tenant_admin"
    );
    as_b["tenant_id"] = json!(tenant_b.id);
    assert_eq!(
        error_code(request(&stack, Some(&tenant_b.admin.jwt), &as_b).await, 403).await,
        "user_not_in_tenant"
    );
    assert_eq!(user_state(&db, user_id).await.0, "pending");
    assert!(received(&stack, &email).await.is_empty());

    // Callback and dispatcher secrets.
    let confirm = json!({"correlation_id": body["correlation_id"], "email": email, "chat_id": 1});
    for token in [None, Some("wrong"), Some(tenant_a.admin.jwt.as_str())] {
        assert_eq!(
            error_code(callback(&stack, token, confirm.clone()).await, 401).await,
            "unauthorized"
        );
    }
    let publishable_dispatch = stack
        .call_function_with_key(
            "user-onboarding/dispatch",
            stack.publishable_key(),
            json!({}),
        )
        .await;
    assert_eq!(publishable_dispatch.status().as_u16(), 401);
    assert_eq!(dispatch(&stack).await.status().as_u16(), 200);
    // Any valid service-role JWT (here signed with the legacy secret, which the project
    // keeps as a verifying key) is the scheduler, not only the exact key string; a user's
    // JWT, a forged one and an expired one are not.
    let secret = stack.var("SUPABASE_JWT_SECRET");
    let later = stack.now_seconds() + 600;
    let stack_ref = &stack;
    let dispatch_as = |token: String| async move {
        stack_ref
            .call_function("user-onboarding/dispatch", Some(&token), json!({}))
            .await
            .status()
            .as_u16()
    };
    assert_eq!(
        dispatch_as(stack.service_role_jwt(secret, later)).await,
        200
    );
    assert_eq!(dispatch_as(tenant_a.admin.jwt.clone()).await, 401);
    assert_eq!(
        dispatch_as(stack.service_role_jwt("not-the-secret-of-this-project-at-all", later)).await,
        401
    );
    assert_eq!(
        dispatch_as(stack.service_role_jwt(secret, stack.now_seconds() - 60)).await,
        401
    );
}

#[tokio::test]
async fn bad_input_to_both_endpoints_is_a_4xx_and_writes_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let good = payload(&tenant, user_id, &email, "executor");
    let count = || async {
        db.query_one(
            "select count(*) from tenant_notifications where tenant_id = $1",
            &[&tenant.id],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
    };
    let before = count().await;
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let raw = |body: &'static str| {
        stack
            .http
            .post(stack.function_url("user-onboarding/request"))
            .bearer_auth(&tenant.admin.jwt)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(
        error_code(raw("{").await.unwrap(), 400).await,
        "invalid_json"
    );
    assert_eq!(
        error_code(raw("[]").await.unwrap(), 400).await,
        "invalid_payload"
    );
    for (field, value) in [
        ("event_type", json!("other")),
        ("tenant_id", json!("x")),
        ("user_id", json!(1)),
        ("user_role", json!("admin")),
        ("email", json!("nope")),
        ("initiated_by", json!("me")),
        ("correlation_id", json!(null)),
        ("requested_at", json!("soon")),
        ("full_name", json!(["x"])),
    ] {
        let response = request(&stack, Some(&tenant.admin.jwt), &with(field, value)).await;
        assert_eq!(response.status().as_u16(), 400);
        let message = response.json::<Value>().await.unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(field), "{field} not named in: {message}");
    }
    let huge = with("full_name", json!("x".repeat(200 * 1024)));
    assert_eq!(
        error_code(request(&stack, Some(&tenant.admin.jwt), &huge).await, 413).await,
        "payload_too_large"
    );
    let get = stack
        .http
        .get(stack.function_url("user-onboarding/request"))
        .bearer_auth(&tenant.admin.jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(get, 405).await, "method_not_allowed");
    let nowhere = stack
        .call_function(
            "user-onboarding/elsewhere",
            Some(&tenant.admin.jwt),
            json!({}),
        )
        .await;
    assert_eq!(error_code(nowhere, 404).await, "not_found");

    let token = callback_token(&stack);
    for body in [
        json!({}),
        json!({"correlation_id": "x", "email": email, "chat_id": 1}),
        json!({"correlation_id": good["correlation_id"], "email": email}),
        json!({"correlation_id": good["correlation_id"], "email": email, "chat_id": "abc"}),
        json!({"correlation_id": good["correlation_id"], "status": "failed"}),
        json!({"correlation_id": good["correlation_id"], "status": "maybe", "error": "x"}),
    ] {
        assert_eq!(
            error_code(callback(&stack, Some(&token), body.clone()).await, 400).await,
            "invalid_payload",
            "{body}"
        );
    }
    let unknown = json!({"correlation_id": Uuid::new_v4(), "email": email, "chat_id": 1, "start_token": "a-well-formed-token-0123456789"});
    assert_eq!(
        error_code(callback(&stack, Some(&token), unknown).await, 404).await,
        "correlation_not_found"
    );
    assert_eq!(count().await, before);
    assert_eq!(
        user_state(&db, user_id).await,
        ("pending".into(), false, None, 0, None)
    );

    // An email that is not the user's is a conflict, on the callback as on the request.
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &good)
            .await
            .status()
            .as_u16(),
        202
    );
    let good_token = start_token(&stack, &email, &good["correlation_id"]).await;
    let wrong = json!({"correlation_id": good["correlation_id"], "email": "someone@else.example", "chat_id": 1, "start_token": good_token});
    assert_eq!(
        error_code(callback(&stack, Some(&token), wrong).await, 409).await,
        "email_mismatch"
    );
    let (other_user, _) = tenant_user(&stack, &tenant, "executor").await;
    let mismatched = payload(&tenant, other_user, &email, "executor");
    assert_eq!(
        error_code(
            request(&stack, Some(&tenant.admin.jwt), &mismatched).await,
            409
        )
        .await,
        "user_mismatch"
    );
}

#[tokio::test]
async fn rls_keeps_tenants_apart_and_the_dashboard_reads_work() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant_a = tenant(&stack, &db).await;
    let tenant_b = tenant(&stack, &db).await;
    for tenant in [&tenant_a, &tenant_b] {
        for _ in 0..3 {
            let (user_id, email) = tenant_user(&stack, tenant, "executor").await;
            request(
                &stack,
                Some(&tenant.admin.jwt),
                &payload(tenant, user_id, &email, "executor"),
            )
            .await;
        }
    }
    let rows = |response: reqwest::Response| async move {
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Vec<Value>>().await.unwrap()
    };
    // A's admin reads A's notifications and users, never B's.
    let a_feed = rows(stack.select("tenant_notifications?select=id,tenant_id,title,created_at&order=created_at.desc,id.desc", Some(&tenant_a.admin.jwt)).await).await;
    assert!(a_feed.len() >= 6);
    assert!(a_feed.iter().all(|n| n["tenant_id"] == json!(tenant_a.id)));
    let dates: Vec<&str> = a_feed
        .iter()
        .map(|n| n["created_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for table in [
        "tenant_notifications",
        "tenant_users",
        "user_onboarding_events",
    ] {
        let b = rows(
            stack
                .select(
                    &format!("{table}?select=id,tenant_id&tenant_id=eq.{}", tenant_b.id),
                    Some(&tenant_a.admin.jwt),
                )
                .await,
        )
        .await;
        assert!(b.is_empty(), "A's admin read B's {table}");
        let anon = stack.select(table, None).await.status().as_u16();
        assert!(matches!(anon, 401 | 403), "anon on {table}: {anon}");
    }
    let outbox = stack
        .select("onboarding_outbox", Some(&tenant_a.admin.jwt))
        .await
        .status()
        .as_u16();
    assert!(
        matches!(outbox, 401 | 403),
        "the outbox is not for clients: {outbox}"
    );

    // Unread filter and pagination.
    let page = rows(
        stack
            .select(
                "tenant_notifications?status=eq.unread&order=created_at.desc&limit=2&offset=2",
                Some(&tenant_a.admin.jwt),
            )
            .await,
    )
    .await;
    assert_eq!(page.len(), 2);
    // Mark read: own tenant's yes (read_at stamped), the other's silently no.
    let mark = |id: &Value, jwt: &str| {
        stack
            .http
            .patch(stack.rest_url(&format!(
                "tenant_notifications?id=eq.{}",
                id.as_str().unwrap()
            )))
            .header("apikey", stack.publishable_key())
            .header("prefer", "return=representation")
            .bearer_auth(jwt.to_owned())
            .json(&json!({"status": "read"}))
            .send()
    };
    let marked = rows(mark(&a_feed[0]["id"], &tenant_a.admin.jwt).await.unwrap()).await;
    assert_eq!(marked[0]["status"], "read");
    assert!(marked[0]["read_at"].is_string());
    assert!(
        rows(mark(&a_feed[1]["id"], &tenant_b.admin.jwt).await.unwrap())
            .await
            .is_empty()
    );
    // Only the service role inserts notifications.
    let insert = stack
        .http
        .post(stack.rest_url("tenant_notifications"))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&tenant_a.admin.jwt)
        .json(&json!({"tenant_id": tenant_a.id, "type": "x", "title": "x", "message": "x", "level": "info"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(insert.status().as_u16(), 401 | 403));
    // B's admin cannot add users to A.
    let sneaky = stack
        .http
        .post(stack.rest_url("tenant_users"))
        .header("apikey", stack.publishable_key())
        .bearer_auth(&tenant_b.admin.jwt)
        .json(&json!({"tenant_id": tenant_a.id, "user_role": "executor", "email": "x@y.co"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(sneaky.status().as_u16(), 401 | 403));
}

#[tokio::test]
async fn log_lines_carry_the_correlation_id_and_no_personal_data() {
    let stack = Stack::load();
    let db = stack.db().await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    request(&stack, Some(&tenant.admin.jwt), &body).await;
    let token = start_token(&stack, &email, &body["correlation_id"]).await;
    let confirm = json!({"correlation_id": body["correlation_id"], "email": email, "chat_id": 555000111, "start_token": token});
    callback(&stack, Some(&callback_token(&stack)), confirm).await;

    let path = stack.dir().join("logs/gateway.log");
    let log = std::fs::read_to_string(path).unwrap();
    let correlation = body["correlation_id"].as_str().unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(correlation)).collect();
    assert!(
        lines.len() >= 3,
        "request, delivery and callback lines: {lines:?}"
    );
    for forbidden in [
        email.as_str(),
        "555000111",
        token.as_str(),
        stack.var("MAKE_ONBOARDING_CALLBACK_TOKEN"),
    ] {
        assert!(!log.contains(forbidden), "{forbidden} reached the log");
    }
}

/// Milliseconds since the epoch of one of the fake's ISO timestamps.
fn millis(iso: &str) -> i128 {
    time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
        / 1_000_000
}

/// The success callback binds a chat only with the start token of that onboarding's own
/// link: missing → 400; wrong, or another onboarding's → 403, nothing bound, a warning on
/// the timeline. Make reporting the link opened (awaiting_chat), and a tenant admin
/// completing by hand, with who and why on the timeline.
#[tokio::test]
async fn only_the_links_own_start_token_binds_a_chat() {
    let stack = Stack::load();
    let db = stack.db().await;
    let stranger = tenant(&stack, &db).await;
    let tenant = tenant(&stack, &db).await;
    let (user_id, email) = tenant_user(&stack, &tenant, "executor").await;
    let body = payload(&tenant, user_id, &email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &body)
            .await
            .status()
            .as_u16(),
        202
    );
    let (other_id, other_email) = tenant_user(&stack, &tenant, "executor").await;
    let other = payload(&tenant, other_id, &other_email, "executor");
    assert_eq!(
        request(&stack, Some(&tenant.admin.jwt), &other)
            .await
            .status()
            .as_u16(),
        202
    );
    let mine = start_token(&stack, &email, &body["correlation_id"]).await;
    let theirs = start_token(&stack, &other_email, &other["correlation_id"]).await;
    let confirm = |token: Option<&str>, chat: i64| {
        let mut body =
            json!({"correlation_id": body["correlation_id"], "email": email, "chat_id": chat});
        if let Some(token) = token {
            body["start_token"] = json!(token);
        }
        body
    };
    let secret = callback_token(&stack);

    // Awaiting chat: the link was opened, no chat yet.
    let awaiting = json!({"correlation_id": body["correlation_id"], "status": "awaiting_chat"});
    assert_eq!(
        callback(&stack, Some(&secret), awaiting)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(user_state(&db, user_id).await.0, "awaiting_chat");
    assert!(notifications(&db, user_id)
        .await
        .iter()
        .any(|n| n.0 == "Awaiting chat"));

    assert_eq!(
        error_code(callback(&stack, Some(&secret), confirm(None, 7)).await, 400).await,
        "invalid_payload"
    );
    let forged = "forged-token-0123456789abcdefghij";
    for token in [forged, theirs.as_str()] {
        assert_eq!(
            error_code(
                callback(&stack, Some(&secret), confirm(Some(token), 7)).await,
                403
            )
            .await,
            "start_token_mismatch"
        );
    }
    assert_eq!(
        user_state(&db, user_id).await,
        ("awaiting_chat".into(), false, None, 0, None),
        "nothing bound"
    );
    assert_eq!(
        user_state(&db, other_id).await.0,
        "invite_sent",
        "the other onboarding is untouched"
    );
    let warnings: i64 = db
        .query_one("select count(*) from user_onboarding_events where user_id = $1 and event = 'start_token_mismatch'", &[&user_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(warnings, 2);

    // The right token binds; it binds nothing else afterwards, but the same callback again
    // is answered as before.
    assert_eq!(
        callback(&stack, Some(&secret), confirm(Some(&mine), 7))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(user_state(&db, user_id).await.2, Some(7));
    let replay = callback(&stack, Some(&secret), confirm(Some(&mine), 7)).await;
    assert_eq!(replay.json::<Value>().await.unwrap()["replay"], true);
    assert_eq!(
        error_code(
            callback(&stack, Some(&secret), confirm(Some(&mine), 8)).await,
            409
        )
        .await,
        "already_completed"
    );

    // Requests to Make were all signed, and Make's check (the reference Standard
    // Webhooks library) refused none; the webhook-id is the message's correlation id.
    let got = received(&stack, &email).await;
    assert_eq!(got[0]["webhook_id"], body["correlation_id"]);
    let unsigned = stack.get_json(&make_url(&stack, "/_fake/unsigned")).await;
    assert_eq!(unsigned["unsigned"], 0);

    // A tenant admin completes the other by hand; an admin of another tenant cannot.
    let force = |jwt: String| {
        let stack = &stack;
        async move {
            stack
                .rpc("force_complete_user_onboarding", &jwt, json!({"p_user_id": other_id, "p_chat_id": 99, "p_reason": "confirmed by phone"}))
                .await
        }
    };
    assert_eq!(
        force(stranger.admin.jwt.clone()).await.status().as_u16(),
        403
    );
    assert_eq!(force(tenant.admin.jwt.clone()).await.status().as_u16(), 200);
    assert_eq!(user_state(&db, other_id).await.2, Some(99));
    let detail: Value = db
        .query_one("select detail from user_onboarding_events where user_id = $1 and event = 'force_completed'", &[&other_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        (detail["by"].as_str(), detail["reason"].as_str()),
        (
            Some(tenant.admin.id.to_string().as_str()),
            Some("confirmed by phone")
        )
    );
}
