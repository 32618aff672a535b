//! The signup webhook as a hosted project really sends it: pg_net's POST for a GoTrue
//! INSERT, captured from a database shaped like a hosted one
//! (`tests/fixtures/signup-webhook-payload.json`): every `auth.users` column, the bcrypt
//! `encrypted_password` and the token columns included. The function takes what it needs
//! and nothing of the rest reaches a log line or a table.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use uuid::Uuid;

fn captured() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/signup-webhook-payload.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The local `auth.users` has every column GoTrue's has, so a local signup's webhook (the
/// row as JSON) carries the same record a hosted one does.
#[tokio::test]
async fn the_local_auth_users_has_every_column_of_the_captured_record() {
    let stack = Stack::load();
    let db = stack.db().await;
    let local: Vec<String> = first_column(&db, "select column_name::text from information_schema.columns where table_schema = 'auth' and table_name = 'users'", &[]).await;
    let captured = captured();
    let record = captured["body"]["record"].as_object().unwrap();
    assert_eq!(record.len(), 35);
    let missing: Vec<&String> = record
        .keys()
        .filter(|column| !local.contains(column))
        .collect();
    assert!(missing.is_empty(), "auth.users lacks {missing:?}");
}

#[tokio::test]
async fn the_full_payload_creates_the_organization_and_leaks_nothing() {
    let stack = Stack::load();
    let db = stack.db().await;
    let mut payload = captured()["body"].clone();
    // The captured user, as a new user of this stack (the function refers to auth.users).
    let email = unique_email("captured");
    let user_id =
        insert_user_without_webhook(&stack, &email, json!({"full_name": "Ada Lovelace"})).await;
    payload["record"]["id"] = json!(user_id);
    payload["record"]["email"] = json!(email);
    let hash = payload["record"]["encrypted_password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        hash.starts_with("$2a$10$"),
        "the fixture holds a bcrypt hash"
    );

    let request_id = format!("captured-{}", Uuid::new_v4().simple());
    let response = stack
        .http
        .post(stack.function_url("on-signup-create-org"))
        .bearer_auth(stack.var("ONBOARDING_WEBHOOK_SECRET"))
        .header("x-request-id", &request_id)
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(wait_for_signup(&db, user_id).await, (1, 1, 1));
    let full_name: String = db
        .query_one("select full_name from profiles where id = $1", &[&user_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(full_name, "Ada Lovelace");

    // Stored: nothing of the password hash, in any public table.
    let stored: i64 = db
        .query_one(
            "select (select count(*) from profiles p where to_jsonb(p)::text like '%' || $1 || '%')
                  + (select count(*) from organizations o where to_jsonb(o)::text like '%' || $1 || '%')
                  + (select count(*) from organization_members m where to_jsonb(m)::text like '%' || $1 || '%')
                  + (select count(*) from organization_audit_log a where to_jsonb(a)::text like '%' || $1 || '%')",
            &[&hash],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "the password hash was stored");

    // Logged: the request's line, and no hash, email or secret anywhere in the log.
    let log_path = stack.dir().join("logs/gateway.log");
    let mut log = String::new();
    for _ in 0..50 {
        log = std::fs::read_to_string(&log_path).unwrap();
        if log.contains(&request_id) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(log.contains(&request_id), "no log line for the request");
    assert!(!log.contains(&hash), "the password hash reached the log");
    assert!(!log.contains(&email), "the email reached the log");
    assert!(!log.contains(stack.var("ONBOARDING_WEBHOOK_SECRET")));
}
