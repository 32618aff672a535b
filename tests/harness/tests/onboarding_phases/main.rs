//! Onboarding phases end to end with real JWTs through PostgREST: every phase saved and
//! read back, a custom domain verified through the stack's pg_net and the DoH fake, the
//! organization activated only when every shown phase is done, bad input refused with a
//! code naming the field and nothing written, and who may read and write what.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod access;
mod bad_input;
mod phases;

/// An organization on `plan`, waiting for its onboarding, owned by a new user.
async fn organization_on(stack: &Stack, db: &Client, plan: &str) -> (User, Uuid) {
    let (owner, id) = stack.organization_on_plan(db, "Phases Test", plan).await;
    // Onboarding still to do.
    db.execute(
        "update organizations set status = 'pending-activation' where id = $1",
        &[&id],
    )
    .await
    .unwrap();
    (owner, id)
}

async fn save(stack: &Stack, who: &User, org: Uuid, phase: &str, data: Value) -> (u16, Value) {
    stack
        .rpc_answer(
            "save_onboarding_phase",
            &who.jwt,
            json!({"p_organization_id": org, "p_phase": phase, "p_data": data}),
        )
        .await
}

async fn onboarding(stack: &Stack, who: &User, org: Uuid) -> (u16, Value) {
    stack
        .rpc_answer(
            "organization_onboarding",
            &who.jwt,
            json!({"p_organization_id": org}),
        )
        .await
}

fn phase<'a>(onboarding: &'a Value, key: &str) -> &'a Value {
    onboarding["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == key)
        .unwrap_or_else(|| panic!("no phase {key} in {onboarding}"))
}

fn doh_fake(stack: &Stack) -> String {
    stack
        .var("DOH_URL")
        .trim_end_matches("/dns-query")
        .to_owned()
}

/// Calls verify_domain until the lookup it queued has an answer (pg_net delivers after commit).
async fn verify_until_answered(stack: &Stack, who: &User, org: Uuid) -> Value {
    for _ in 0..100 {
        let (status, body) = stack
            .rpc_answer("verify_domain", &who.jwt, json!({"p_organization_id": org}))
            .await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "checking" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the DoH lookup never came back");
}

fn setup() -> Value {
    json!({"name": "Acme Recruiting", "industry": "Staffing", "size_band": "51-200",
           "time_zone": "Africa/Nairobi", "logo_url": "https://cdn.acme.example/logo.png"})
}

fn billing() -> Value {
    json!({"billing_email": "Finance@Acme.example", "legal_name": "Acme Recruiting Ltd",
           "tax_id": "KE-P051234567X",
           "address": {"line1": "1 Kenyatta Ave", "city": "Nairobi", "postal_code": "00100", "country": "KE"}})
}
