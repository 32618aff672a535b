//! Invites: validate and accept under load, beside their RPCs and the baseline.

use super::*;

/// `n` organizations, each with a pending owner invite whose token we know, and the
/// invited user signed up and confirmed: (token, user id, email).
pub(crate) async fn fresh_invites(db: &Client, n: usize) -> Vec<(String, Uuid, String)> {
    let users = fresh_users(db, n, "invitee").await;
    let tokens: Vec<String> = (0..n).map(|_| new_token()).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| sha256_hex(t)).collect();
    let emails: Vec<String> = users.iter().map(|(_, e)| e.clone()).collect();
    db.execute(
        "with orgs as (
           insert into organizations (name, slug, status, plan_id)
           select 'Bench Org ' || i, 'bench-' || substr(md5(random()::text), 1, 12) || '-' || i, 'pending-activation', 'growth'
           from generate_series(1, cardinality($1::text[])) i returning id),
         numbered as (select id, row_number() over () as i from orgs)
         insert into onboarding_invites (organization_id, email, token_hash, expires_at)
         select n.id, ($1::text[])[n.i], ($2::text[])[n.i], now() + interval '3 days' from numbered n",
        &[&emails, &hashes],
    )
    .await
    .unwrap();
    tokens
        .into_iter()
        .zip(users)
        .map(|(t, (id, email))| (t, id, email))
        .collect()
}

pub(crate) async fn invite_scenarios(stack: &Stack, runs: &mut Vec<Run>) {
    let (token, _, _) = fresh_invites(&stack.db, 1).await.remove(0);
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        let rust = vec![
            Call {
                url: stack.function("validate-invite"),
                caller: Caller::Browser,
                body: json!({"token": token}),
                expect: 200
            };
            n
        ];
        runs.push(load(stack, "validate-invite", "rust-wasm", concurrency, rust).await);
        let direct = vec![
            Call {
                url: stack.rpc("validate_invite"),
                caller: Caller::Server,
                body: json!({"p_token_hash": sha256_hex(&token)}),
                expect: 200
            };
            n
        ];
        runs.push(load(stack, "validate-invite", "direct-rpc", concurrency, direct).await);
    }
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for variant in ["rust-wasm", "direct-rpc", "ts-baseline"] {
            let invites = fresh_invites(&stack.db, n).await;
            let calls = invites
                .iter()
                .map(|(token, id, email)| {
                    let jwt = stack.user_jwt(*id, email);
                    match variant {
                        "direct-rpc" => Call {
                            url: stack.rpc("accept_invite"),
                            caller: Caller::Bearer(jwt),
                            body: json!({"p_token_hash": sha256_hex(token)}),
                            expect: 200,
                        },
                        "ts-baseline" => Call {
                            url: stack.function("accept-baseline"),
                            caller: Caller::Bearer(jwt),
                            body: json!({"token": token}),
                            expect: 200,
                        },
                        _ => Call {
                            url: stack.function("accept-invite"),
                            caller: Caller::Bearer(jwt),
                            body: json!({"token": token}),
                            expect: 200,
                        },
                    }
                })
                .collect();
            runs.push(load(stack, "accept-invite", variant, concurrency, calls).await);
        }
    }
}
