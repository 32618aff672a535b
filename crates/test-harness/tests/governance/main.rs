//! Governance, end to end with real JWTs through PostgREST: permissions instead of rank
//! checks, custom roles, and the organization MFA policy.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod mfa;
mod roles;

/// A confirmed user who is `role` in `org`.
async fn member(stack: &Stack, db: &Client, org: Uuid, role: &str) -> User {
    let who = stack.confirmed_user(db, &unique_email(role)).await;
    db.execute(
        "insert into organization_members (organization_id, user_id, role) values ($1, $2, $3)",
        &[&org, &who.id, &role],
    )
    .await
    .unwrap();
    who
}

async fn rpc(stack: &Stack, who: &User, function: &str, args: Value) -> reqwest::Response {
    stack.rpc(function, &who.jwt, args).await
}
