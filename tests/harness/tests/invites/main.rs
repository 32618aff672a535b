//! Admin invite onboarding, end to end through the gateway: send-invite-email,
//! validate-invite and accept-invite as WASM in Deno, the RPCs through PostgREST, and
//! Resend played by its local fake (local/fakes/resend.ts).
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod bad_input;
mod cooldown;
mod links;
mod rls;
mod send;
mod story;

struct Invited {
    organization_id: Uuid,
    invite_id: Uuid,
    email: String,
}

async fn create_organization(stack: &Stack, admin: &User, plan: &str, overrides: Value) -> Invited {
    let email = unique_email("owner");
    let slug = format!("acme-{}", &Uuid::new_v4().simple().to_string()[..10]);
    let response = stack
        .rpc(
            "admin_create_organization",
            &admin.jwt,
            json!({"p_name": "Acme & Co", "p_slug": slug, "p_owner_email": email.to_uppercase(),
                   "p_plan": plan, "p_feature_overrides": overrides}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending-activation");
    assert_eq!(
        body["email"], email,
        "the invited email is stored lower-case"
    );
    Invited {
        organization_id: body["organization_id"].as_str().unwrap().parse().unwrap(),
        invite_id: body["invite_id"].as_str().unwrap().parse().unwrap(),
        email,
    }
}

async fn send_invite(stack: &Stack, jwt: &str, invite_id: Uuid) -> reqwest::Response {
    stack
        .call_function(
            "send-invite-email",
            Some(jwt),
            json!({"invite_id": invite_id}),
        )
        .await
}

/// What the fake Resend accepted for `to`, and how many attempts it saw.
async fn mailbox(stack: &Stack, to: &str) -> (Vec<Value>, u64) {
    let url = format!("{}/_fake/emails?to={to}", stack.var("RESEND_FAKE_URL"));
    let body = stack.get_json(&url).await;
    (
        body["emails"].as_array().unwrap().clone(),
        body["attempts"].as_u64().unwrap(),
    )
}

async fn script_resend(stack: &Stack, to: &str, responses: Value) {
    let url = format!("{}/_fake/script", stack.var("RESEND_FAKE_URL"));
    let response = stack
        .http
        .post(url)
        .json(&json!({"to": to, "responses": responses}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

/// Sends the invite and returns the token from the link in the email.
async fn token_by_email(stack: &Stack, admin: &User, invited: &Invited) -> String {
    let response = send_invite(stack, &admin.jwt, invited.invite_id).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    let (emails, _) = mailbox(stack, &invited.email).await;
    let email = emails.last().unwrap();
    let link = body["link"].as_str().unwrap();
    assert!(
        email["text"].as_str().unwrap().contains(link),
        "the email carries the link"
    );
    token_of(link)
}

async fn validate(stack: &Stack, token: &str) -> reqwest::Response {
    stack
        .call_function("validate-invite", None, json!({"token": token}))
        .await
}

async fn accept(stack: &Stack, jwt: &str, token: &str) -> reqwest::Response {
    stack
        .call_function("accept-invite", Some(jwt), json!({"token": token}))
        .await
}

async fn invite_row(db: &Client, invite_id: Uuid) -> tokio_postgres::Row {
    db.query_one(
        "select status, accepted_by, token_hash, send_attempts, last_send_error, sent_at, updated_at
         from onboarding_invites where id = $1",
        &[&invite_id],
    )
    .await
    .unwrap()
}

async fn memberships(db: &Client, organization_id: Uuid) -> i64 {
    db.query_one(
        "select count(*) from organization_members where organization_id = $1",
        &[&organization_id],
    )
    .await
    .unwrap()
    .get(0)
}

async fn wait_for_profile(db: &Client, user_id: Uuid) -> i64 {
    for _ in 0..150 {
        if signup_counts(db, user_id).await.0 == 1 {
            return 1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    0
}

/// A second pending invite (as a recruiter) in `organization_id`, straight in the database.
async fn create_invite_for(db: &Client, organization_id: Uuid) -> Uuid {
    db.query_one(
        "insert into onboarding_invites (organization_id, email, role, expires_at)
         values ($1, $2, 'recruiter', now() + interval '1 day') returning id",
        &[&organization_id, &unique_email("recruiter")],
    )
    .await
    .unwrap()
    .get(0)
}
