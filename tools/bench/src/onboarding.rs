//! Tenant users over Telegram: request and callback under load.

use super::*;

/// A tenant with an owner, and `n` of its users: (admin id, admin email, tenant id, users).
pub(crate) async fn fresh_tenant(
    db: &Client,
    n: usize,
) -> (Uuid, String, Uuid, Vec<(Uuid, String)>) {
    let (admin, email) = fresh_users(db, 1, "tenant-admin").await.remove(0);
    let tenant: Uuid = db
        .query_one("insert into organizations (name, slug) values ('Bench Tenant', 'bench-tenant-' || substr(md5(random()::text), 1, 12)) returning id", &[])
        .await
        .unwrap()
        .get(0);
    db.execute("insert into organization_members (organization_id, user_id, role) values ($1, $2, 'owner')", &[&tenant, &admin]).await.unwrap();
    let rows = db
        .query(
            "insert into tenant_users (tenant_id, user_role, email, full_name)
             select $1, 'executor', 'exec-' || i || '-' || substr(md5(random()::text), 1, 8) || '@bench.test', 'Exec ' || i
             from generate_series(1, $2::int) i returning id, email",
            &[&tenant, &(n as i32)],
        )
        .await
        .unwrap();
    (
        admin,
        email,
        tenant,
        rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
    )
}

pub(crate) async fn onboarding_scenarios(stack: &Stack, runs: &mut Vec<Run>) {
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for variant in ["rust-wasm", "direct-rpc"] {
            let (admin, admin_email, tenant, users) = fresh_tenant(&stack.db, n).await;
            let direct = variant == "direct-rpc";
            let calls = request_calls(stack, admin, &admin_email, tenant, &users, direct);
            runs.push(
                load(
                    stack,
                    "user-onboarding-request",
                    variant,
                    concurrency,
                    calls,
                )
                .await,
            );
        }
    }
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for variant in ["rust-wasm", "direct-rpc"] {
            let (_, _, tenant, _) = fresh_tenant(&stack.db, n).await;
            let calls = callback_calls(stack, tenant, variant == "direct-rpc").await;
            runs.push(
                load(
                    stack,
                    "user-onboarding-callback",
                    variant,
                    concurrency,
                    calls,
                )
                .await,
            );
        }
    }
}

/// Each user's onboarding asked for by the tenant's admin: through `/request`, or its RPC
/// directly.
pub(crate) fn request_calls(
    stack: &Stack,
    admin: Uuid,
    admin_email: &str,
    tenant: Uuid,
    users: &[(Uuid, String)],
    direct: bool,
) -> Vec<Call> {
    let jwt = stack.user_jwt(admin, admin_email);
    users
        .iter()
        .map(|(id, email)| {
            let payload = json!({
                "event_type": "tenant.user.onboarding_requested", "tenant_id": tenant, "tenant_name": "Bench Tenant",
                "user_id": id, "user_role": "executor", "email": email, "full_name": "Exec",
                "initiated_by": {"id": admin, "email": admin_email}, "correlation_id": Uuid::new_v4(),
                "requested_at": "2026-11-21T10:00:00Z",
            });
            if direct {
                Call { url: stack.rpc("request_user_onboarding"), caller: Caller::Bearer(jwt.clone()), body: json!({"p_payload": payload, "p_start_token": new_token()}), expect: 200 }
            } else {
                Call { url: stack.function("user-onboarding/request"), caller: Caller::Bearer(jwt.clone()), body: payload, expect: 202 }
            }
        })
        .collect()
}

/// Make's callback for each of the tenant's users, their invitation sent: through
/// `/callback`, or its RPC directly.
pub(crate) async fn callback_calls(stack: &Stack, tenant: Uuid, direct: bool) -> Vec<Call> {
    // Make's token, or when the project has none, the server key the function falls back to.
    let token = stack
        .vars
        .get("MAKE_ONBOARDING_CALLBACK_TOKEN")
        .map(|token| Caller::Bearer(token.clone()))
        .unwrap_or(Caller::Server);
    let rows = stack
        .db
        .query(
            "update tenant_users set bot_correlation_id = gen_random_uuid(), bot_onboarding_status = 'invite_sent',
               bot_onboarding_requested_at = now() where tenant_id = $1 returning bot_correlation_id, email",
            &[&tenant],
        )
        .await
        .unwrap();
    // Each link's start token, as /request would have sent it to Make: the callback
    // carries it back, and only its hash is stored.
    let start_token = |correlation: Uuid| format!("st{}", correlation.simple());
    stack
        .db
        .execute(
            "update tenant_users set bot_start_token_hash =
               encode(sha256(convert_to('st' || replace(bot_correlation_id::text, '-', ''), 'UTF8')), 'hex')
             where tenant_id = $1",
            &[&tenant],
        )
        .await
        .unwrap();
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let (correlation, email): (Uuid, String) = (row.get(0), row.get(1));
            let start_token = start_token(correlation);
            if direct {
                Call { url: stack.rpc("complete_user_onboarding"), caller: Caller::Server, body: json!({"p_correlation_id": correlation, "p_email": email, "p_chat_id": 1_000 + i, "p_start_token_hash": sha256_hex(&start_token)}), expect: 200 }
            } else {
                Call { url: stack.function("user-onboarding/callback"), caller: token.clone(), body: json!({"correlation_id": correlation, "email": email, "chat_id": 1_000 + i, "start_token": start_token}), expect: 200 }
            }
        })
        .collect()
}
