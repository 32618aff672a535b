//! `make soak`: a mixed workload at a fixed rate through the gateway for SOAK_MINUTES
//! (default 10) at SOAK_RATE requests a second (default 50): signups (the webhook),
//! invite previews, accepts, Telegram callbacks, and the web app's RPC, in turn. Each
//! minute it prints the errors, p50/p99, and the memory of the gateway and of each
//! function isolate (RSS, V8 heap, WebAssembly memory); at the end, whether memory kept
//! growing after the warm-up (the first two minutes).
//!
//! Open loop: requests leave on a fixed schedule whether or not earlier ones answered,
//! as a real workload's would, so a slowdown shows as latency and errors, not as a
//! slower workload.

use super::*;

/// One kind of request in the mix, and its prepared calls (used once each, in order).
struct Kind {
    name: &'static str,
    calls: Vec<Call>,
    next: AtomicUsize,
}

/// What the minute's requests did.
#[derive(Default)]
struct Minute {
    latencies_ms: Vec<f64>,
    errors: usize,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

async fn prepare(stack: &Stack, per_kind: usize) -> Vec<Kind> {
    let signups = webhook_signups(stack, per_kind, "soak").await;
    let invites = fresh_invites(&stack.db, per_kind).await;
    let (preview_token, _, _) = fresh_invites(&stack.db, 1).await.remove(0);
    let previews = (0..per_kind)
        .map(|_| Call {
            url: stack.function("validate-invite"),
            caller: Caller::Browser,
            body: json!({"token": preview_token}),
            expect: 200,
        })
        .collect();
    let accepts = invites
        .iter()
        .map(|(token, id, email)| Call {
            url: stack.function("accept-invite"),
            caller: Caller::Bearer(stack.user_jwt(*id, email)),
            body: json!({"token": token}),
            expect: 200,
        })
        .collect();
    // The web app's first call after sign-in: the organizations of the user (each
    // invitee, as they come back).
    let organizations = invites
        .iter()
        .map(|(_, id, email)| Call {
            url: format!("{}/rest/v1/rpc/my_organizations", stack.var("SUPABASE_URL")),
            caller: Caller::Bearer(stack.user_jwt(*id, email)),
            body: json!({}),
            expect: 200,
        })
        .collect();
    let (_, _, tenant, _) = fresh_tenant(&stack.db, per_kind).await;
    let rows = stack
        .db
        .query(
            "update tenant_users set bot_correlation_id = gen_random_uuid(), bot_onboarding_status = 'invite_sent',
               bot_onboarding_requested_at = now(),
               bot_start_token_hash = encode(sha256(convert_to('st' || replace(id::text, '-', ''), 'UTF8')), 'hex')
             where tenant_id = $1 returning bot_correlation_id, email, id",
            &[&tenant],
        )
        .await
        .unwrap();
    // Make's token, or when the project has none, the server key the function falls back to.
    let callback_token = stack
        .vars
        .get("MAKE_ONBOARDING_CALLBACK_TOKEN")
        .map(|token| Caller::Bearer(token.clone()))
        .unwrap_or(Caller::Server);
    let callbacks = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (correlation, email, id): (Uuid, String, Uuid) = (row.get(0), row.get(1), row.get(2));
            Call {
                url: stack.function("user-onboarding/callback"),
                caller: callback_token.clone(),
                body: json!({"correlation_id": correlation, "email": email, "chat_id": 5_000_000 + i,
                             "start_token": format!("st{}", id.simple())}),
                expect: 200,
            }
        })
        .collect();
    [
        ("signup", signups),
        ("preview", previews),
        ("accept", accepts),
        ("callback", callbacks),
        ("web-rpc", organizations),
    ]
    .into_iter()
    .map(|(name, calls)| Kind {
        name,
        calls,
        next: AtomicUsize::new(0),
    })
    .collect()
}

/// The memory line of a minute: the gateway's RSS and heap, and those of the isolates the
/// mix exercises (MB); and those isolates' heaps and WebAssembly memory together (bytes).
fn memory_line(stats: &Value) -> (String, (u64, u64)) {
    let mb = |value: &Value| value.as_f64().unwrap_or(0.0) / 1e6;
    let mut line = format!(
        "gateway rss {:.0} heap {:.0}",
        mb(&stats["gateway_rss_bytes"]),
        mb(&stats["gateway_heap_used_bytes"])
    );
    let (mut isolate_heaps, mut isolate_rss) = (0u64, 0u64);
    let exercised = [
        "on-signup-create-org",
        "validate-invite",
        "accept-invite",
        "user-onboarding",
    ];
    for (name, usage) in stats["functions"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| exercised.contains(&name.as_str()))
    {
        line.push_str(&format!(
            " | {name} rss {:.0} heap {:.1} wasm {:.1}",
            mb(&usage["rss"]),
            mb(&usage["heapUsed"]),
            mb(&usage["wasm_memory_bytes"])
        ));
        isolate_heaps += usage["heapUsed"].as_u64().unwrap_or(0)
            + usage["wasm_memory_bytes"].as_u64().unwrap_or(0);
        isolate_rss += usage["rss"].as_u64().unwrap_or(0);
    }
    (line, (isolate_heaps, isolate_rss))
}

pub(crate) async fn soak(stack: &Stack) {
    let minutes = env_number("SOAK_MINUTES", 10);
    let rate = env_number("SOAK_RATE", 50).max(1);
    let per_kind = (minutes * 60 * rate / 5 + 10) as usize;
    eprintln!("[soak] preparing {per_kind} calls of each kind");
    let kinds = Arc::new(prepare(stack, per_kind).await);
    let keys = stack.keys();
    let stats_url = format!("{}/_stack/stats", stack.var("SUPABASE_URL"));
    println!(
        "soak: {minutes} min at {rate} requests/s (signup, preview, accept, callback, web-rpc in turn), open loop"
    );
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut total_errors = 0;
    let mut memory_per_minute = Vec::new();
    let mut sent = 0usize;
    for minute in 1..=minutes {
        let (record, mut results) = tokio::sync::mpsc::unbounded_channel::<(f64, bool)>();
        let minute_ends = started + Duration::from_secs(minute * 60);
        let mut in_flight = Vec::new();
        while Instant::now() < minute_ends {
            ticker.tick().await;
            let kinds = kinds.clone();
            let (http, keys, record) = (stack.http.clone(), keys.clone(), record.clone());
            let kind_index = sent % kinds.len();
            sent += 1;
            in_flight.push(tokio::spawn(async move {
                let kind = &kinds[kind_index];
                let Some(call) = kind.calls.get(kind.next.fetch_add(1, Ordering::Relaxed)) else {
                    return;
                };
                let at = Instant::now();
                let ok = match call
                    .request(&http, &keys)
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.bytes().await.unwrap_or_default();
                        if status != call.expect {
                            eprintln!(
                                "[soak] {} answered {status}: {}",
                                kind.name,
                                String::from_utf8_lossy(&body[..body.len().min(200)])
                            );
                        }
                        status == call.expect
                    }
                    Err(error) => {
                        eprintln!("[soak] {} failed: {error}", kind.name);
                        false
                    }
                };
                let _ = record.send((at.elapsed().as_secs_f64() * 1000.0, ok));
            }));
        }
        drop(record);
        join_all(in_flight).await;
        let mut this = Minute::default();
        while let Ok((latency, ok)) = results.try_recv() {
            this.latencies_ms.push(latency);
            this.errors += usize::from(!ok);
        }
        this.latencies_ms.sort_by(f64::total_cmp);
        total_errors += this.errors;
        let stats = stack.harness.get_json(&stats_url).await;
        let (memory, heaps) = memory_line(&stats);
        memory_per_minute.push(heaps);
        println!(
            "minute {minute:>2}: {:>5} requests, {} errors, p50 {:.1} ms, p99 {:.1} ms | {memory}",
            this.latencies_ms.len(),
            this.errors,
            percentile(&this.latencies_ms, 0.5),
            percentile(&this.latencies_ms, 0.99),
        );
    }
    // Whether memory stopped growing once warm: the exercised isolates' RSS (a high-water
    // mark of the process) at the warm-up's end (minute 2), halfway and at the end; their
    // V8 heaps and WebAssembly memory (which GC moves up and down) as the mean of each half
    // after the warm-up.
    let mb = |bytes: f64| bytes / 1e6;
    let rss = |minute: usize| {
        memory_per_minute
            .get(minute.saturating_sub(1))
            .map_or(0.0, |(_, rss)| *rss as f64)
    };
    let half = (minutes as usize + 2) / 2;
    let mean = |range: std::ops::Range<usize>| {
        let heaps: Vec<f64> = memory_per_minute
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|(heap, _)| *heap as f64)
            .collect();
        heaps.iter().sum::<f64>() / heaps.len().max(1) as f64
    };
    if minutes < 4 {
        println!(
            "soak: {sent} requests, {total_errors} errors; the isolates' RSS {:.0} MB at the end (4 minutes or more compare memory after the warm-up)",
            mb(rss(minutes as usize)),
        );
        return;
    }
    let (first, second) = (mean(2..half), mean(half..minutes as usize));
    println!(
        "soak: {sent} requests, {total_errors} errors; the isolates' RSS {:.0} MB after the warm-up, {:.0} MB at minute {half}, {:.0} MB at the end; their heaps + WASM memory {:.1} MB on average in minutes 3–{half}, {:.1} MB in minutes {}–{minutes}",
        mb(rss(2)),
        mb(rss(half)),
        mb(rss(minutes as usize)),
        mb(first),
        mb(second),
        half + 1,
    );
}
