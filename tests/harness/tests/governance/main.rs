//! Governance, end to end with real JWTs through PostgREST: permissions instead of rank
//! checks, custom roles, and the organization MFA policy.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod deletion;
mod export;
mod grace;
mod mfa;
mod mfa_matrix;
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

/// The secrets an organization filled by [`fill_every_table`] holds: none may ever leave it.
#[allow(dead_code)]
struct Filled {
    ats_api_key: String,
    webhook_secret: String,
    link_token: String,
    endpoint_id: Uuid,
}

/// Rows of `org` (on a plan with webhooks and custom roles) in every table that holds an
/// organization's rows, through the RPCs where there are some, by SQL where only a
/// service writes them.
async fn fill_every_table(stack: &Stack, db: &Client, owner: &User, org: Uuid) -> Filled {
    let save = |phase: &str, data: Value| {
        rpc(
            stack,
            owner,
            "save_onboarding_phase",
            json!({"p_organization_id": org, "p_phase": phase, "p_data": data}),
        )
    };
    ok(save(
        "billing",
        json!({"billing_email": "billing@fill.example.com", "legal_name": "Fill Ltd",
        "address": {"line1": "1 Main St", "city": "Berlin", "country": "DE"}}),
    )
    .await)
    .await;
    let ats_api_key = format!("ats-{}", Uuid::new_v4().simple());
    ok(save(
        "integrations",
        json!({"ats_provider": "Greenhouse", "ats_api_key": ats_api_key}),
    )
    .await)
    .await;
    let endpoint = ok(rpc(
        stack,
        owner,
        "create_webhook_endpoint",
        json!({"p_organization_id": org, "p_url": "https://hooks.fill.example.com/in"}),
    )
    .await)
    .await;
    ok(rpc(
        stack,
        owner,
        "create_role",
        json!({"p_organization_id": org, "p_key": "filler", "p_name": "Filler",
        "p_permissions": ["org:members:read"]}),
    )
    .await)
    .await;
    let link = ok(rpc(
        stack,
        owner,
        "create_invite_link",
        json!({"p_organization_id": org}),
    )
    .await)
    .await;
    ok(rpc(stack, owner, "add_organization_domain", json!({"p_organization_id": org, "p_hostname": format!("fill-{}-example.com", &Uuid::new_v4().simple().to_string()[..8])})).await).await;
    ok(rpc(stack, owner, "invite_member", json!({"p_organization_id": org, "p_email": unique_email("fill-invitee"), "p_role": "viewer"})).await).await;
    // A second member: member.added goes to the webhook's queue too.
    let colleague = member(stack, db, org, "viewer").await;
    // The outbox row is already delivered: a pending one would be claimed by the stack's
    // dispatcher (every 10 s) and add an event while a test compares row counts.
    db.batch_execute(&format!(
        "insert into organization_feature_overrides (organization_id, feature_key, enabled) values ('{org}', 'white-label', true);
         insert into organization_join_requests (organization_id, user_id, email) values ('{org}', '{colleague}', 'colleague@fill.example.com');
         with u as (insert into tenant_users (tenant_id, user_role, email) values ('{org}', 'executor', 'exec@fill.example.com') returning id)
         , n as (insert into tenant_notifications (tenant_id, user_id, type, title, message, level) select '{org}', id, 'test', 'Hello', 'A notification', 'info' from u)
         , e as (insert into user_onboarding_events (correlation_id, tenant_id, user_id, event) select gen_random_uuid(), '{org}', id, 'requested' from u)
         insert into onboarding_outbox (tenant_id, user_id, correlation_id, payload, status, delivered_at) select '{org}', id, gen_random_uuid(), '{{}}', 'delivered', now() from u;
         insert into directories (organization_id) values ('{org}');
         insert into directory_tokens (organization_id, token_hash, hint) values ('{org}', encode(extensions.gen_random_bytes(32), 'hex'), 'fill');
         insert into directory_group_roles (organization_id, group_name, role) values ('{org}', 'Fillers', 'viewer');
         with u as (insert into directory_users (organization_id, user_name, resource) values ('{org}', 'filler', '{{\"userName\": \"filler\"}}') returning id)
         , g as (insert into directory_groups (organization_id, display_name) values ('{org}', 'Fillers') returning id)
         insert into directory_group_members (group_id, user_id) select g.id, u.id from g, u;",
        colleague = colleague.id
    ))
    .await
    .unwrap();
    Filled {
        ats_api_key,
        webhook_secret: endpoint["secret"].as_str().unwrap().to_owned(),
        link_token: link["token"].as_str().unwrap().to_owned(),
        endpoint_id: endpoint["id"].as_str().unwrap().parse().unwrap(),
    }
}

/// Every (schema.table, column) that names the organization a row belongs to, from the catalogue.
async fn organization_tables(db: &Client) -> Vec<(String, String)> {
    db.query(
        "select table_schema || '.' || table_name, column_name from information_schema.columns
         where table_schema in ('public', 'private') and column_name in ('organization_id', 'tenant_id')
           and table_name not in (select table_name from information_schema.views)
         order by 1",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

/// Rows of `org` in each of those tables (and those reached through its webhook endpoint).
async fn rows_of(db: &Client, org: Uuid, endpoint: Uuid) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for (table, column) in organization_tables(db).await {
        let n: i64 = db
            .query_one(
                &format!("select count(*) from {table} where {column} = $1"),
                &[&org],
            )
            .await
            .unwrap()
            .get(0);
        counts.push((table, n));
    }
    for table in [
        "private.webhook_secrets",
        "public.webhook_outbox",
        "public.webhook_deliveries",
    ] {
        let n: i64 = db
            .query_one(
                &format!("select count(*) from {table} where endpoint_id = $1"),
                &[&endpoint],
            )
            .await
            .unwrap()
            .get(0);
        counts.push((table.to_owned(), n));
    }
    counts
}
