//! The table printed at the end.

use super::*;

pub(crate) fn print_table(runs: &[Run]) {
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
    println!(
        "{:<26} CPU ms per request: postgresql · postgrest · gateway · isolate = total",
        ""
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
        let cpu = |group: &str| run.cpu_ms_per_op.get(group).copied().unwrap_or(0.0);
        println!(
            "{:<26} cpu {:.2} · {:.2} · {:.2} · {:.2} = {:.2}",
            "",
            cpu("postgresql"),
            cpu("postgrest"),
            cpu("gateway"),
            cpu("isolate"),
            cpu("total")
        );
    }
}
