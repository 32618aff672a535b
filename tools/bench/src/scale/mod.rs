//! Cost as the data grows (`BENCH_ONLY=scale`): one database grown in steps — users each
//! with a signup workspace, three teams of 10, 1,000 and 10,000 members, audit rows,
//! pending invites, links, join requests, verified domains, webhook endpoints and Telegram
//! users in proportion (`grow.rs`) — and at each step every everyday path timed: the reads
//! a member makes (`reads.rs`), the writes and the jobs (`writes.rs`), through the gateway
//! with real JWTs, one call at a time as a person clicks, and what Auth or the cron runs in
//! the database itself (`in_sql.rs`): p50, p95 and PostgreSQL's CPU per request, each on a
//! settled database. It prints a table of each path at each step and the ratio of the
//! largest step's p50 to the smallest's.
//!
//! `BENCH_SCALE_USERS` is the largest step (default 1,000,000; `make test` runs a smoke of
//! 2,000); the steps are 1,000, 10,000, 100,000 and 1,000,000 up to it, and it itself.
//! The data is written by SQL as the superuser with triggers off (what a year of signups
//! leaves behind, without a year of webhooks), then analyzed.

use super::*;

mod grow;
mod in_sql;
mod reads;
mod writes;

use grow::*;
use in_sql::*;
use reads::*;
use writes::*;

const CALLS: usize = 150;
const WARM_UP: usize = 30;
const TEAM_SIZES: [usize; 3] = [10, 1_000, 10_000];

/// One everyday path: its calls, the first `warm_up` of them to warm it, the rest timed.
pub(super) struct Path {
    name: &'static str,
    calls: Vec<Call>,
    warm_up: usize,
}

impl Path {
    /// The same call, again and again (a read).
    fn repeated(name: &'static str, call: Call) -> Path {
        Path::each(name, vec![call; WARM_UP + CALLS])
    }

    /// Calls that each do something once (a write): WARM_UP + CALLS of them.
    fn each(name: &'static str, calls: Vec<Call>) -> Path {
        Path {
            name,
            calls,
            warm_up: WARM_UP,
        }
    }

    /// A path too costly to call 180 times a step, or limited by the product to fewer.
    fn few(name: &'static str, calls: Vec<Call>, warm_up: usize) -> Path {
        Path {
            name,
            calls,
            warm_up,
        }
    }
}

pub(crate) async fn scale(stack: &Stack) -> Value {
    let largest: usize = std::env::var("BENCH_SCALE_USERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut steps: Vec<usize> = [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&s| s < largest)
        .collect();
    steps.push(largest);
    let db = &stack.db;
    db.batch_execute("set session_replication_role = replica")
        .await
        .unwrap();
    eprintln!("[bench] scale: the teams of {TEAM_SIZES:?}");
    // This run's own names, so that a stack can be grown again.
    let run = Uuid::new_v4().simple().to_string()[..6].to_owned();
    let teams = grow_teams(db, &run).await;
    db.batch_execute("set session_replication_role = origin")
        .await
        .unwrap();
    let mut grown = 0;
    let mut table: Vec<(usize, Vec<(String, Run)>)> = Vec::new();
    for step in steps {
        let started = Instant::now();
        db.batch_execute("set session_replication_role = replica")
            .await
            .unwrap();
        grow_users(db, &run, grown, step).await;
        db.batch_execute("set session_replication_role = origin")
            .await
            .unwrap();
        grown = step;
        eprintln!(
            "[bench] scale: {step} users grown in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let (mut paths, workspace) = paths(stack, db, &run, &teams).await;
        paths.extend(write_paths(stack, db, teams[2]).await);
        let mut runs = Vec::new();
        for path in paths {
            settle(db, true).await;
            // Warmed first (its pages in the buffer cache, its plans and functions compiled
            // in the connections), as a path a thousand members use all day is.
            let mut calls = path.calls;
            let timed = calls.split_off(path.warm_up);
            load(stack, "scale", path.name, 1, calls).await;
            runs.push((
                path.name.to_owned(),
                load(stack, "scale", path.name, 1, timed).await,
            ));
        }
        runs.push((
            "access token hook (sql)".to_owned(),
            token_hooks(stack, db, &run).await,
        ));
        runs.push((
            "confirmation joins by domain (sql)".to_owned(),
            confirmations(stack, db, workspace).await,
        ));
        runs.push((
            format!("purge ({} members, sql)", in_sql::PURGED_SIZE),
            purges(stack, db).await,
        ));
        let calls = webhook_signups(stack, CALLS, &format!("scale{step}")).await;
        runs.push((
            "signup (webhook)".to_owned(),
            load(stack, "scale", "signup", 1, calls).await,
        ));
        table.push((step, runs));
    }
    print_scale_table(&table);
    json!(table
        .iter()
        .map(
            |(step, runs)| json!({"users": step, "paths": runs.iter().map(|(name, run)| json!({
            "path": name, "p50_ms": run.p50_ms, "p95_ms": run.p95_ms, "errors": run.errors,
            "postgresql_cpu_ms": run.cpu_ms_per_op.get("postgresql")})).collect::<Vec<_>>()})
        )
        .collect::<Vec<_>>())
}

fn print_scale_table(table: &[(usize, Vec<(String, Run)>)]) {
    let Some((_, first)) = table.first() else {
        return;
    };
    print!("\n{:<28}", "path (p50 ms · p95 · pg cpu ms)");
    for (step, _) in table {
        print!(" {:>22}", format!("{step} users"));
    }
    println!(" {:>8}", "p50 ×");
    for (i, (name, _)) in first.iter().enumerate() {
        print!("{name:<28}");
        for (_, runs) in table {
            let run = &runs[i].1;
            let cpu = run.cpu_ms_per_op.get("postgresql").copied().unwrap_or(0.0);
            let flag = if run.errors > 0 { "!" } else { "" };
            print!(
                " {:>22}",
                format!("{:.1} · {:.1} · {:.2}{flag}", run.p50_ms, run.p95_ms, cpu)
            );
        }
        let (smallest, largest) = (
            first[i].1.p50_ms,
            table.last().map_or(0.0, |(_, runs)| runs[i].1.p50_ms),
        );
        println!(
            " {:>8.2}",
            if smallest > 0.0 {
                largest / smallest
            } else {
                0.0
            }
        );
    }
    println!("(! = some calls did not answer as expected: that figure is not valid)");
}
