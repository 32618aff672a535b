//! Organizations after day one, end to end with real JWTs: the RPCs through PostgREST,
//! invites sent by send-invite-email and accepted by accept-invite through the gateway,
//! the audit log read through PostgREST, races run concurrently, the token hook called
//! as Supabase Auth calls it.
#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{json, Value};
use test_harness::*;
use tokio_postgres::Client;
use uuid::Uuid;

mod bad_input;
mod races;
mod refusals;
mod team;

async fn user(stack: &Stack, db: &Client, name: &str) -> User {
    stack.confirmed_user(db, &unique_email(name)).await
}

async fn new_organization(stack: &Stack, owner: &User, name: &str) -> Uuid {
    let body = ok(stack
        .rpc("create_organization", &owner.jwt, json!({"p_name": name}))
        .await)
    .await;
    assert_eq!(
        (
            body["status"].as_str(),
            body["plan"].as_str(),
            body["role"].as_str()
        ),
        (Some("active"), Some("free"), Some("owner"))
    );
    body["organization_id"].as_str().unwrap().parse().unwrap()
}

async fn invite(
    stack: &Stack,
    by: &User,
    organization: Uuid,
    email: &str,
    role: &str,
) -> reqwest::Response {
    stack
        .rpc(
            "invite_member",
            &by.jwt,
            json!({"p_organization_id": organization, "p_email": email, "p_role": role}),
        )
        .await
}

/// Invites `who` as `role`, sends the invite as `by` through send-invite-email, and
/// accepts it as `who` through accept-invite.
async fn join(stack: &Stack, by: &User, organization: Uuid, who: &User, role: &str) {
    let invited = ok(invite(stack, by, organization, &who.email, role).await).await;
    let sent = stack
        .call_function(
            "send-invite-email",
            Some(&by.jwt),
            json!({"invite_id": invited["invite_id"]}),
        )
        .await;
    assert_eq!(
        sent.status().as_u16(),
        200,
        "{} may send its organization's invites",
        by.email
    );
    let link: Value = sent.json().await.unwrap();
    let token = link["link"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let accepted = stack
        .call_function("accept-invite", Some(&who.jwt), json!({"token": token}))
        .await;
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["role"], role, "{accepted}");
}

async fn role_of(db: &Client, organization: Uuid, user: Uuid) -> Option<String> {
    db.query_opt(
        "select role from organization_members where organization_id = $1 and user_id = $2",
        &[&organization, &user],
    )
    .await
    .unwrap()
    .map(|row| row.get(0))
}

async fn owners(db: &Client, organization: Uuid) -> i64 {
    db.query_one(
        "select count(*) from organization_members where organization_id = $1 and role = 'owner'",
        &[&organization],
    )
    .await
    .unwrap()
    .get(0)
}

fn event_of(user: &User) -> Value {
    json!({"user_id": user.id, "claims": {}})
}
