//! The benchmark (`make bench`): every function under load at concurrency 1, 8 and 32,
//! beside the same RPC called straight through PostgREST and a TypeScript baseline;
//! database round trips counted from PostgREST's own request log; the webhooks outbox
//! drained by deliver-webhooks; sizes, cold start, a 10,000-user signup storm, and memory.
//! It prints a table and writes the same figures as JSON. It measures; it never fails on
//! a number.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::future::join_all;
use platform::secrets::new_token;
use platform::secrets::sha256_hex;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::Client;
use uuid::Uuid;

const CONCURRENCY: [usize; 3] = [1, 8, 32];

fn ops_for(concurrency: usize) -> usize {
    let scale: usize = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    (match concurrency {
        1 => 300,
        8 => 1_500,
        _ => 3_000,
    }) * scale
        / 100
}

/// The running stack (the shared test harness), with what the benchmark keeps open: one
/// database connection (the superuser's, for fixtures), a pooled HTTP client, and the stack's directory for its logs.
struct Stack {
    harness: test_harness::Stack,
    vars: HashMap<String, String>,
    dir: PathBuf,
    db: Client,
    http: reqwest::Client,
}

impl Stack {
    fn var(&self, name: &str) -> String {
        self.harness.var(name).to_owned()
    }
    fn function(&self, name: &str) -> String {
        self.harness.function_url(name)
    }
    fn rpc(&self, name: &str) -> String {
        self.harness.postgrest_rpc_url(name)
    }
    fn user_jwt(&self, id: Uuid, email: &str) -> String {
        self.harness.user_jwt(id, email)
    }
    /// Requests PostgREST has logged so far (its log level is `info` in the bench stack).
    fn postgrest_requests(&self) -> usize {
        std::fs::read_to_string(self.dir.join("logs/postgrest.log"))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("\" HTTP/1.1\"") || line.contains(" HTTP/1.1\" "))
            .count()
    }
}

/// One prepared request and the status that means success.
#[derive(Clone)]
struct Call {
    url: String,
    bearer: String,
    body: Value,
    expect: u16,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Run {
    scenario: String,
    variant: String,
    concurrency: usize,
    ops: usize,
    rps: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    errors: usize,
    round_trips_per_op: f64,
}

async fn load(
    stack: &Stack,
    scenario: &str,
    variant: &str,
    concurrency: usize,
    calls: Vec<Call>,
) -> Run {
    let before = stack.postgrest_requests();
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    // The credential as the bearer, and the project's publishable key as `apikey`, as
    // supabase-js sends them (the gateway refuses an `apikey` that is no key of the project).
    let apikey = stack.var("SUPABASE_PUBLISHABLE_KEY");
    let workers = (0..concurrency).map(|_| {
        let (calls, next, http) = (calls.clone(), next.clone(), stack.http.clone());
        let apikey = apikey.clone();
        async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(call) = calls.get(index) else { break };
                let sent = Instant::now();
                let response = http
                    .post(&call.url)
                    .bearer_auth(&call.bearer)
                    .header("apikey", &apikey)
                    .json(&call.body)
                    .send()
                    .await;
                let ok = match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status == call.expect
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                errors += usize::from(!ok);
            }
            (latencies, errors)
        }
    });
    let results = join_all(workers).await;
    let elapsed = started.elapsed().as_secs_f64();
    // PostgREST writes its log line as it answers; give the last lines a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = stack.postgrest_requests();
    let mut latencies: Vec<f64> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let ops = calls.len();
    Run {
        scenario: scenario.into(),
        variant: variant.into(),
        concurrency,
        ops,
        rps: (ops as f64 / elapsed * 10.0).round() / 10.0,
        p50_ms: (percentile(0.50) * 100.0).round() / 100.0,
        p95_ms: (percentile(0.95) * 100.0).round() / 100.0,
        p99_ms: (percentile(0.99) * 100.0).round() / 100.0,
        errors: results.iter().map(|(_, e)| e).sum(),
        round_trips_per_op: ((after - before) as f64 / ops.max(1) as f64 * 100.0).round() / 100.0,
    }
}

/// `n` users whose signup webhook has not run (triggers off): (id, email).
async fn fresh_users(db: &Client, n: usize, label: &str) -> Vec<(Uuid, String)> {
    db.batch_execute("set session_replication_role = replica")
        .await
        .unwrap();
    let rows = db
        .query(
            "insert into auth.users (email, raw_user_meta_data, email_confirmed_at)
             select $2 || '-' || i || '-' || substr(md5(random()::text), 1, 8) || '@bench.test',
                    jsonb_build_object('full_name', 'Bench ' || $2 || ' ' || i), now()
             from generate_series(1, $1::int) i returning id, email",
            &[&(n as i32), &label],
        )
        .await
        .unwrap();
    db.batch_execute("set session_replication_role = origin")
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

fn webhook_body(id: Uuid, email: &str) -> Value {
    json!({"type": "INSERT", "table": "users", "schema": "auth", "old_record": null,
           "record": {"id": id, "email": email, "raw_user_meta_data": {"full_name": "Bench User"}}})
}

async fn signup_scenario(stack: &Stack, runs: &mut Vec<Run>) {
    let secret = stack.var("ONBOARDING_WEBHOOK_SECRET");
    let service = stack.var("SUPABASE_SERVICE_ROLE_KEY");
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for (variant, url) in [
            ("rust-wasm", stack.function("on-signup-create-org")),
            ("direct-rpc", stack.rpc("create_signup_org")),
            ("ts-baseline", stack.function("signup-baseline")),
        ] {
            let users = fresh_users(&stack.db, n, variant).await;
            let calls = users
                .iter()
                .map(|(id, email)| match variant {
                    "direct-rpc" => Call {
                        url: url.clone(),
                        bearer: service.clone(),
                        body: json!({"p_user_id": id, "p_email": email, "p_full_name": "Bench User", "p_organization_name": "Bench User's Workspace", "p_slug_base": "bench-user"}),
                        expect: 200,
                    },
                    _ => Call { url: url.clone(), bearer: secret.clone(), body: webhook_body(*id, email), expect: 200 },
                })
                .collect();
            runs.push(load(stack, "on-signup-create-org", variant, concurrency, calls).await);
        }
    }
}

/// `n` organizations, each with a pending owner invite whose token we know, and the
/// invited user signed up and confirmed: (token, user id, email).
async fn fresh_invites(db: &Client, n: usize) -> Vec<(String, Uuid, String)> {
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

async fn invite_scenarios(stack: &Stack, runs: &mut Vec<Run>) {
    let service = stack.var("SUPABASE_SERVICE_ROLE_KEY");
    let anon = stack.var("SUPABASE_ANON_KEY");
    let (token, _, _) = fresh_invites(&stack.db, 1).await.remove(0);
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        let rust = vec![
            Call {
                url: stack.function("validate-invite"),
                bearer: anon.clone(),
                body: json!({"token": token}),
                expect: 200
            };
            n
        ];
        runs.push(load(stack, "validate-invite", "rust-wasm", concurrency, rust).await);
        let direct = vec![
            Call {
                url: stack.rpc("validate_invite"),
                bearer: service.clone(),
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
                            bearer: jwt,
                            body: json!({"p_token_hash": sha256_hex(token)}),
                            expect: 200,
                        },
                        "ts-baseline" => Call {
                            url: stack.function("accept-baseline"),
                            bearer: jwt,
                            body: json!({"token": token}),
                            expect: 200,
                        },
                        _ => Call {
                            url: stack.function("accept-invite"),
                            bearer: jwt,
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

/// A tenant with an owner, and `n` of its users: (admin id, admin email, tenant id, users).
async fn fresh_tenant(db: &Client, n: usize) -> (Uuid, String, Uuid, Vec<(Uuid, String)>) {
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

async fn onboarding_scenarios(stack: &Stack, runs: &mut Vec<Run>) {
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for variant in ["rust-wasm", "direct-rpc"] {
            let (admin, admin_email, tenant, users) = fresh_tenant(&stack.db, n).await;
            let jwt = stack.user_jwt(admin, &admin_email);
            let calls = users
                .iter()
                .map(|(id, email)| {
                    let payload = json!({
                        "event_type": "tenant.user.onboarding_requested", "tenant_id": tenant, "tenant_name": "Bench Tenant",
                        "user_id": id, "user_role": "executor", "email": email, "full_name": "Exec",
                        "initiated_by": {"id": admin, "email": admin_email}, "correlation_id": Uuid::new_v4(),
                        "requested_at": "2026-11-21T10:00:00Z",
                    });
                    match variant {
                        "direct-rpc" => Call { url: stack.rpc("request_user_onboarding"), bearer: jwt.clone(), body: json!({"p_payload": payload, "p_start_token": new_token()}), expect: 200 },
                        _ => Call { url: stack.function("user-onboarding/request"), bearer: jwt.clone(), body: payload, expect: 202 },
                    }
                })
                .collect();
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
    let token = stack
        .vars
        .get("MAKE_ONBOARDING_CALLBACK_TOKEN")
        .cloned()
        .unwrap_or_else(|| stack.var("SUPABASE_SERVICE_ROLE_KEY"));
    let service = stack.var("SUPABASE_SERVICE_ROLE_KEY");
    for concurrency in CONCURRENCY {
        let n = ops_for(concurrency);
        for variant in ["rust-wasm", "direct-rpc"] {
            let (_, _, tenant, _) = fresh_tenant(&stack.db, n).await;
            let rows = stack
                .db
                .query(
                    "update tenant_users set bot_correlation_id = gen_random_uuid(), bot_onboarding_status = 'invite_sent',
                       bot_onboarding_requested_at = now() where tenant_id = $1 returning bot_correlation_id, email",
                    &[&tenant],
                )
                .await
                .unwrap();
            // Each link's start token, as /request would have sent it to Make: the
            // callback carries it back, and only its hash is stored.
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
            let calls = rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let (correlation, email): (Uuid, String) = (row.get(0), row.get(1));
                    let start_token = start_token(correlation);
                    match variant {
                        "direct-rpc" => Call { url: stack.rpc("complete_user_onboarding"), bearer: service.clone(), body: json!({"p_correlation_id": correlation, "p_email": email, "p_chat_id": 1_000 + i, "p_start_token_hash": sha256_hex(&start_token)}), expect: 200 },
                        _ => Call { url: stack.function("user-onboarding/callback"), bearer: token.clone(), body: json!({"correlation_id": correlation, "email": email, "chat_id": 1_000 + i, "start_token": start_token}), expect: 200 },
                    }
                })
                .collect();
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

fn sizes(root: &Path) -> Value {
    let mut out = serde_json::Map::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("supabase/functions"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Some(wasm) = std::fs::read_dir(dir.join("pkg")).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with("_bg.wasm"))
        }) else {
            continue;
        };
        let raw = std::fs::metadata(&wasm).unwrap().len();
        let gzip = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -9c '{}' | wc -c", wasm.display()))
            .output()
            .unwrap();
        let gzip: u64 = String::from_utf8_lossy(&gzip.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        let shim = std::fs::metadata(dir.join("index.ts"))
            .map(|m| m.len())
            .unwrap_or(0);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        out.insert(
            name,
            json!({"wasm_bytes": raw, "wasm_gzip_bytes": gzip, "shim_bytes": shim}),
        );
    }
    json!({ "functions": out, "shared_host_bytes": std::fs::metadata(root.join("supabase/functions/_shared/wasm_host.ts")).map(|m| m.len()).unwrap_or(0) })
}

/// Cold start of each function as edge-runtime starts it: a fresh Deno 2.1.4 isolate
/// (local/stack/user-worker.ts) on the function's bundle, from spawning the process to the
/// first response the function itself gives (validate-invite: a real lookup, 200; the
/// others: their own refusal of an unauthenticated call). Ten starts each; the median.
async fn cold_start(stack: &Stack, root: &Path, token: &str) -> Value {
    let probes: [(&str, &str, String); 6] = [
        ("validate-invite", "GET", format!("?token={token}")),
        ("on-signup-create-org", "POST", String::new()),
        ("send-invite-email", "POST", String::new()),
        ("accept-invite", "POST", String::new()),
        ("user-onboarding", "POST", "/request".to_owned()),
        ("deliver-webhooks", "POST", String::new()),
    ];
    let client = reqwest::Client::new();
    let mut out = serde_json::Map::new();
    for (name, method, path) in probes {
        let bundle = stack.dir.join("functions").join(name);
        let mut times = Vec::new();
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let started = Instant::now();
            let mut child =
                tokio::process::Command::new(root.join("node_modules/deno-edge-runtime/deno"))
                    .args([
                        "run",
                        "--quiet",
                        "--no-lock",
                        "--no-prompt",
                        "--allow-env",
                        "--allow-net",
                    ])
                    .arg(format!("--allow-read={}", bundle.display()))
                    .arg(root.join("local/stack/user-worker.ts"))
                    .arg(name)
                    .arg(&bundle)
                    .arg(format!("supabase/functions/{name}/index.ts"))
                    .arg(port.to_string())
                    .envs(stack.vars.iter())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .unwrap();
            let url = format!("http://127.0.0.1:{port}/{name}{path}");
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            loop {
                let answered = client.request(method.clone(), &url).send().await;
                // Only the function's WebAssembly sets x-request-id.
                if answered.is_ok_and(|r| r.headers().contains_key("x-request-id")) {
                    break;
                }
                if started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            child.kill().await.ok();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let round = |ms: f64| (ms * 10.0).round() / 10.0;
        out.insert(
            name.to_owned(),
            json!({"median_ms": round(times[times.len() / 2]), "min_ms": round(times[0]), "max_ms": round(times[times.len() - 1]), "samples": times.len()}),
        );
    }
    Value::Object(out)
}

/// 10,000 signups inserted in batches; how long until every one has profile,
/// organization and membership, and how many are duplicated or missing.
async fn signup_storm(stack: &Stack) -> Value {
    let total: i32 = std::env::var("BENCH_STORM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let label = format!("storm{}", &Uuid::new_v4().simple().to_string()[..6]);
    let started = Instant::now();
    for batch in 0..(total + 499) / 500 {
        stack
            .db
            .execute(
                "insert into auth.users (email, raw_user_meta_data)
                 select $1 || '-' || ($2::int * 500 + i) || '@storm.test', jsonb_build_object('full_name', 'Storm ' || i)
                 from generate_series(1, least(500, $3::int - $2::int * 500)) i",
                &[&label, &batch, &total],
            )
            .await
            .unwrap();
    }
    let inserted = started.elapsed().as_secs_f64();
    let pattern = format!("{label}-%");
    let done_query = "select count(*) from auth.users u where u.email like $1
        and exists (select 1 from profiles p where p.id = u.id)
        and exists (select 1 from organizations o join organization_members m on m.organization_id = o.id and m.user_id = u.id and m.role = 'owner' where o.signup_user_id = u.id)";
    let mut done: i64 = 0;
    while started.elapsed() < Duration::from_secs(180) {
        done = stack
            .db
            .query_one(done_query, &[&pattern])
            .await
            .unwrap()
            .get(0);
        if done >= i64::from(total) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drained = started.elapsed().as_secs_f64();
    let duplicates: i64 = stack
        .db
        .query_one(
            "select count(*) from (select m.user_id from organization_members m join auth.users u on u.id = m.user_id
             where u.email like $1 and m.role = 'owner' group by m.user_id having count(*) > 1) d",
            &[&pattern],
        )
        .await
        .unwrap()
        .get(0);
    json!({"users": total, "insert_seconds": (inserted * 100.0).round() / 100.0, "drained_seconds": (drained * 100.0).round() / 100.0,
           "completed": done, "missing": i64::from(total) - done, "duplicates": duplicates})
}

/// Webhooks out, drained: 100 events to each of 20 endpoints at the receiver fake (which
/// verifies every delivery with the `standardwebhooks` library), queued by one transaction,
/// then delivered by `dispatchers` concurrent runs of deliver-webhooks, the schedule
/// paused so only they deliver. Deliveries per second, from the first run to the last
/// delivery, and each attempt's duration as `webhook_deliveries` records it.
async fn webhook_drain(stack: &Stack, dispatchers: usize) -> Value {
    const ENDPOINTS: usize = 20;
    const EVENTS: usize = 100;
    let receiver = stack.var("WEBHOOK_RECEIVER_URL");
    let db = &stack.db;
    let (owner, org, member) = stack
        .harness
        .organization_with_viewer(db, "Bench Hooks", "growth")
        .await;
    for _ in 0..ENDPOINTS {
        let name = format!("bench{}", Uuid::new_v4().simple());
        let (status, created) = stack
            .harness
            .rpc_answer(
                "create_webhook_endpoint",
                &owner.jwt,
                json!({"p_organization_id": org, "p_url": format!("{receiver}/hooks/{name}"),
                       "p_events": ["member.role_changed"]}),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        stack
            .http
            .put(format!("{receiver}/_fake/endpoints/{name}"))
            .json(&json!({"secrets": [created["secret"]], "then": 200}))
            .send()
            .await
            .unwrap();
    }
    db.execute(
        "update cron.job set active = false where jobname = 'deliver-webhooks'",
        &[],
    )
    .await
    .unwrap();
    let queued = Instant::now();
    test_harness::flip_role(db, org, member.id, EVENTS).await;
    let queue_ms = queued.elapsed().as_secs_f64() * 1000.0;
    let total = (ENDPOINTS * EVENTS) as i64;
    let delivered_query = "select count(*) filter (where o.status = 'delivered')
        from webhook_outbox o join webhook_endpoints e on e.id = o.endpoint_id where e.organization_id = $1";
    let service = stack.var("SUPABASE_SERVICE_ROLE_KEY");
    let started = Instant::now();
    let mut runs = 0;
    let mut delivered: i64 = 0;
    while delivered < total && started.elapsed() < Duration::from_secs(120) {
        join_all((0..dispatchers).map(|_| {
            stack
                .http
                .post(stack.function("deliver-webhooks"))
                .bearer_auth(&service)
                .send()
        }))
        .await;
        runs += dispatchers;
        delivered = db.query_one(delivered_query, &[&org]).await.unwrap().get(0);
    }
    let seconds = started.elapsed().as_secs_f64();
    db.execute(
        "update cron.job set active = true where jobname = 'deliver-webhooks'",
        &[],
    )
    .await
    .unwrap();
    let attempts = db
        .query_one(
            "select count(*), percentile_cont(0.5) within group (order by duration_ms)::float8,
                    percentile_cont(0.99) within group (order by duration_ms)::float8
             from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id where e.organization_id = $1",
            &[&org],
        )
        .await
        .unwrap();
    let round = |x: f64| (x * 10.0).round() / 10.0;
    json!({"dispatchers": dispatchers, "endpoints": ENDPOINTS, "messages": total, "delivered": delivered,
           "attempts": attempts.get::<_, i64>(0), "dispatcher_runs": runs,
           "queue_ms": round(queue_ms), "seconds": (seconds * 100.0).round() / 100.0,
           "deliveries_per_second": round(delivered as f64 / seconds),
           "attempt_p50_ms": attempts.get::<_, Option<f64>>(1), "attempt_p99_ms": attempts.get::<_, Option<f64>>(2)})
}

/// The gateway's memory, and each function isolate's (its RSS, V8 heap and WebAssembly
/// memory as the isolate reports it).
async fn memory(stack: &Stack) -> Value {
    let stats = stack
        .harness
        .get_json(&format!("{}/_stack/stats", stack.var("SUPABASE_URL")))
        .await;
    let isolates: serde_json::Map<String, Value> = stats["functions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, usage)| {
            (
                name.clone(),
                json!({"rss_bytes": usage["rss"], "heap_used_bytes": usage["heapUsed"], "wasm_memory_bytes": usage["wasm_memory_bytes"]}),
            )
        })
        .collect();
    json!({"gateway_rss_bytes": stats["gateway_rss_bytes"], "isolates": isolates})
}

fn print_table(runs: &[Run]) {
    println!(
        "\n{:<26} {:<12} {:>4} {:>6} {:>9} {:>8} {:>8} {:>8} {:>6} {:>7}",
        "scenario",
        "variant",
        "c",
        "ops",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "db rt/op"
    );
    for run in runs {
        println!(
            "{:<26} {:<12} {:>4} {:>6} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>7.2}",
            run.scenario,
            run.variant,
            run.concurrency,
            run.ops,
            run.rps,
            run.p50_ms,
            run.p95_ms,
            run.p99_ms,
            run.errors,
            run.round_trips_per_op
        );
    }
}

#[tokio::main]
async fn main() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .unwrap();
    let harness = test_harness::Stack::load();
    // The fixtures (users whose webhook has not run) need triggers off: the superuser's,
    // as `postgres` is not one on a hosted-shaped database.
    let db = harness.admin_db().await;
    let stack = Stack {
        vars: harness.vars.clone(),
        dir: harness.dir(),
        harness,
        db,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap(),
    };

    let memory_before = memory(&stack).await;
    let mut runs = Vec::new();
    eprintln!("[bench] on-signup-create-org");
    signup_scenario(&stack, &mut runs).await;
    eprintln!("[bench] validate-invite, accept-invite");
    invite_scenarios(&stack, &mut runs).await;
    eprintln!("[bench] user-onboarding request, callback");
    onboarding_scenarios(&stack, &mut runs).await;
    eprintln!("[bench] deliver-webhooks drain");
    let mut webhooks = Vec::new();
    for dispatchers in [1, 3] {
        webhooks.push(webhook_drain(&stack, dispatchers).await);
    }
    let memory_after = memory(&stack).await;
    print_table(&runs);
    // A run whose calls failed measured the refusal, not the work: say so loudly.
    for run in runs.iter().filter(|run| run.errors > 0) {
        println!(
            "WARNING: {} {} c={}: {} of {} calls did not answer as expected; its figures are not valid",
            run.scenario, run.variant, run.concurrency, run.errors, run.ops
        );
    }
    println!("\nwebhooks out (drain):");
    for drain in &webhooks {
        println!("  {drain}");
    }

    let ratio = |scenario: &str, concurrency: usize, other: &str| {
        let rps = |variant: &str| {
            runs.iter()
                .find(|r| {
                    r.scenario == scenario && r.variant == variant && r.concurrency == concurrency
                })
                .map(|r| r.rps)
        };
        match (rps("rust-wasm"), rps(other)) {
            (Some(a), Some(b)) if b > 0.0 => Some((a / b * 100.0).round() / 100.0),
            _ => None,
        }
    };
    let mut comparisons = Vec::new();
    for scenario in [
        "on-signup-create-org",
        "validate-invite",
        "accept-invite",
        "user-onboarding-request",
        "user-onboarding-callback",
    ] {
        for concurrency in CONCURRENCY {
            comparisons.push(json!({"scenario": scenario, "concurrency": concurrency,
                "function_vs_direct_rpc": ratio(scenario, concurrency, "direct-rpc"),
                "function_vs_ts_baseline": ratio(scenario, concurrency, "ts-baseline")}));
        }
    }
    println!("\nthroughput ratios (rust-wasm / other):");
    for c in &comparisons {
        println!(
            "  {:<26} c={:<3} vs direct rpc {:>6}   vs ts baseline {:>6}",
            c["scenario"].as_str().unwrap(),
            c["concurrency"],
            c["function_vs_direct_rpc"].to_string(),
            c["function_vs_ts_baseline"].to_string()
        );
    }

    let sizes = sizes(&root);
    println!("\nsizes: {sizes}");
    let (token, _, _) = fresh_invites(&stack.db, 1).await.remove(0);
    let cold = cold_start(&stack, &root, &token).await;
    println!("cold start: {cold}");
    eprintln!("[bench] signup storm");
    let storm = signup_storm(&stack).await;
    println!("signup storm: {storm}");
    let memory_end = memory(&stack).await;
    println!("memory: before {memory_before}\n        after load {memory_after}\n        after storm {memory_end}");

    let machine = std::process::Command::new("sh").arg("-c").arg("nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; free -g | awk '/Mem/{print $2\" GiB\"}'").output().unwrap();
    let report = json!({
        "machine": String::from_utf8_lossy(&machine.stdout).trim().replace('\n', ", "),
        "runs": runs, "webhooks": webhooks, "comparisons": comparisons, "sizes": sizes, "cold_start": cold, "signup_storm": storm,
        "memory": {"before": memory_before, "after_load": memory_after, "after_storm": memory_end},
    });
    let out = stack.dir.join("bench-results.json");
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("\nresults written to {}", out.display());
}
