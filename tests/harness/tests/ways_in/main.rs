//! Ways into an organization, end to end with real JWTs: verified domains (the TXT record
//! published in the DNS-over-HTTPS fake, checked through pg_net), enrollment by domain,
//! join requests, shareable invite links accepted through accept-invite at the gateway.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod domains;
mod enrollment;
mod links;
mod requests;

/// A hostname of this test run's own: `<prefix>-<8 hex>-example.com`.
fn unique_hostname(prefix: &str) -> String {
    format!(
        "{prefix}-{}-example.com",
        &Uuid::new_v4().simple().to_string()[..8]
    )
}

/// A user with a confirmed address at `hostname`.
async fn user_at(stack: &Stack, db: &Client, hostname: &str) -> User {
    let email = format!("user-{}@{hostname}", Uuid::new_v4().simple());
    stack.confirmed_user(db, &email).await
}

async fn add_domain(stack: &Stack, who: &User, org: Uuid, hostname: &str) -> reqwest::Response {
    stack
        .rpc(
            "add_organization_domain",
            &who.jwt,
            json!({"p_organization_id": org, "p_hostname": hostname}),
        )
        .await
}

/// Publishes the TXT record `domain` asks for in the DNS-over-HTTPS fake.
async fn publish(stack: &Stack, domain: &Value) {
    let fake = stack
        .var("DOH_URL")
        .trim_end_matches("/dns-query")
        .to_owned();
    let record = &domain["txt_record"];
    let published = reqwest::Client::new()
        .put(format!("{fake}/_fake/txt"))
        .json(&json!({"name": record["name"], "values": [record["value"]]}))
        .send()
        .await
        .unwrap();
    assert!(published.status().is_success());
}

/// Calls verify_organization_domain until the lookup it queued has an answer.
async fn verify(stack: &Stack, who: &User, domain_id: &Value) -> Value {
    for _ in 0..100 {
        let body = ok(stack
            .rpc(
                "verify_organization_domain",
                &who.jwt,
                json!({"p_domain_id": domain_id}),
            )
            .await)
        .await;
        if body["status"] != "checking" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the domain check never got an answer");
}

/// Adds `hostname`, publishes its record, verifies it: the verified domain.
async fn verified_domain(stack: &Stack, owner: &User, org: Uuid, hostname: &str) -> Value {
    let domain = ok(add_domain(stack, owner, org, hostname).await).await;
    publish(stack, &domain).await;
    let checked = verify(stack, owner, &domain["id"]).await;
    assert_eq!(checked["status"], "verified", "{checked}");
    checked
}

async fn set_enrollment(
    stack: &Stack,
    who: &User,
    domain_id: &Value,
    mode: &str,
    role: &str,
) -> reqwest::Response {
    stack
        .rpc(
            "set_domain_enrollment",
            &who.jwt,
            json!({"p_domain_id": domain_id, "p_mode": mode, "p_default_role": role}),
        )
        .await
}

async fn role_of(db: &Client, org: Uuid, user: Uuid) -> Option<String> {
    db.query_opt(
        "select role from organization_members where organization_id = $1 and user_id = $2",
        &[&org, &user],
    )
    .await
    .unwrap()
    .map(|row| row.get(0))
}

async fn members(db: &Client, org: Uuid) -> i64 {
    db.query_one(
        "select count(*) from organization_members where organization_id = $1",
        &[&org],
    )
    .await
    .unwrap()
    .get(0)
}

/// How the user came in, as the audit log's `member.added` row says.
async fn joined_via(db: &Client, org: Uuid, user: Uuid) -> Option<String> {
    db.query_opt(
        "select after ->> 'via' from organization_audit_log
         where organization_id = $1 and target_user_id = $2 and action = 'member.added'",
        &[&org, &user],
    )
    .await
    .unwrap()
    .and_then(|row| row.get(0))
}

async fn accept(stack: &Stack, who: &User, body: Value) -> reqwest::Response {
    stack
        .call_function("accept-invite", Some(&who.jwt), body)
        .await
}
