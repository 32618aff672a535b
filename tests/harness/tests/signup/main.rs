//! End to end, through the gateway, against on-signup-create-org compiled to WASM and
//! running in Deno: the real webhook path from an auth.users INSERT, replays, every
//! bad input, panics, row-level security with real JWTs, and the request log.
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use test_harness::*;
use uuid::Uuid;

mod bad_input;
mod faults;
mod rls;
mod webhook;

const FUNCTION: &str = "on-signup-create-org";

async fn post_webhook(stack: &Stack, body: impl Into<reqwest::Body>) -> reqwest::Response {
    stack
        .http
        .post(stack.function_url(FUNCTION))
        .header("content-type", "application/json")
        .bearer_auth(stack.var("ONBOARDING_WEBHOOK_SECRET"))
        .body(body)
        .send()
        .await
        .unwrap()
}
