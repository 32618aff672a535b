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

mod cpu;
mod directory;
mod footprint;
mod harness;
mod invites;
mod onboarding;
mod report;
mod scale;
mod signup;
mod soak;
mod webhooks;

use directory::*;
use footprint::*;
use harness::*;
use invites::*;
use onboarding::*;
use report::*;
use signup::*;
use webhooks::*;

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

    if std::env::args().nth(1).as_deref() == Some("soak") {
        soak::soak(&stack).await;
        return;
    }
    // BENCH_ONLY=storm: the storm alone; BENCH_ONLY=signup: the signup scenario alone (its
    // table, CPU and ratios); BENCH_ONLY=cold: the cold starts alone; BENCH_ONLY=scale: the
    // everyday paths as the data grows (scale.rs); BENCH_ONLY=directory: SCIM's first sync
    // and lookups (directory.rs). On whatever stack
    // STACK_ENV_FILE names, to study one thing after a change without the whole run.
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("storm") => {
            eprintln!("[bench] signup storm");
            println!("signup storm: {}", signup_storm(&stack).await);
            return;
        }
        Ok("cold") => {
            let (token, _, _) = fresh_invites(&stack.db, 1).await.remove(0);
            println!("cold start: {}", cold_start(&stack, &root, &token).await);
            return;
        }
        Ok("scale") => {
            let steps = scale::scale(&stack).await;
            let out = stack.dir.join("bench-scale.json");
            std::fs::write(&out, serde_json::to_string_pretty(&steps).unwrap()).unwrap();
            println!("\nresults written to {}", out.display());
            // What did not answer as expected is a broken path, not a slow one.
            let failed = steps
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|step| step["paths"].as_array().into_iter().flatten())
                .filter(|path| path["errors"].as_u64().unwrap_or(0) > 0)
                .count();
            if failed > 0 {
                eprintln!("[bench] scale: {failed} path measurements had calls that did not answer as expected");
                std::process::exit(1);
            }
            return;
        }
        Ok("directory") => {
            let mut runs = Vec::new();
            directory_scenarios(&stack, &mut runs).await;
            print_table(&runs);
            return;
        }
        Ok("signup") => {
            let mut runs = Vec::new();
            signup_scenario(&stack, &mut runs).await;
            print_table(&runs);
            return;
        }
        _ => {}
    }
    let memory_before = memory(&stack).await;
    let mut runs = Vec::new();
    eprintln!("[bench] on-signup-create-org");
    signup_scenario(&stack, &mut runs).await;
    eprintln!("[bench] validate-invite, accept-invite");
    invite_scenarios(&stack, &mut runs).await;
    eprintln!("[bench] user-onboarding request, callback");
    onboarding_scenarios(&stack, &mut runs).await;
    eprintln!("[bench] scim: a first sync, and lookups in a directory of 10,000");
    directory_scenarios(&stack, &mut runs).await;
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

    // The function's marginal cost: CPU per request on its path minus the direct RPC's.
    let cpu_total = |scenario: &str, variant: &str, concurrency: usize| {
        runs.iter()
            .find(|r| {
                r.scenario == scenario && r.variant == variant && r.concurrency == concurrency
            })
            .and_then(|r| r.cpu_ms_per_op.get("total").copied())
    };
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
            let marginal = |variant: &str| match (
                cpu_total(scenario, variant, concurrency),
                cpu_total(scenario, "direct-rpc", concurrency),
            ) {
                (Some(function), Some(floor)) => Some(((function - floor) * 100.0).round() / 100.0),
                _ => None,
            };
            comparisons.push(json!({"scenario": scenario, "concurrency": concurrency,
                "function_vs_direct_rpc": ratio(scenario, concurrency, "direct-rpc"),
                "function_vs_ts_baseline": ratio(scenario, concurrency, "ts-baseline"),
                "marginal_cpu_ms_per_request": marginal("rust-wasm"),
                "passthrough_marginal_cpu_ms_per_request": marginal("ts-passthrough")}));
        }
    }
    println!("\nthroughput ratios (rust-wasm / other); marginal CPU ms per request (path − direct rpc) of the function, and of a function that only makes the call:");
    for c in &comparisons {
        println!(
            "  {:<26} c={:<3} vs direct rpc {:>6}   vs ts baseline {:>6}   marginal {:>6}   passthrough {:>6}",
            c["scenario"].as_str().unwrap(),
            c["concurrency"],
            c["function_vs_direct_rpc"].to_string(),
            c["function_vs_ts_baseline"].to_string(),
            c["marginal_cpu_ms_per_request"].to_string(),
            c["passthrough_marginal_cpu_ms_per_request"].to_string()
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
