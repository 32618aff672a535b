// The local stand-in for two Supabase background services:
//   pg_net: delivers requests queued in net.http_request_queue (by database webhooks)
//           after their transaction commits, and records responses in net._http_response;
//   pg_cron: runs the jobs in cron.job on their schedule, each as the role that scheduled
//            it (cron.job.username), in a transaction of its own.
// It logs in as the cluster's superuser, as those extensions' background workers run.
// Like pg_net, delivery is at most once: a request is removed from the queue when it
// is claimed. Work that must not be lost is reconciled by cron jobs, as on Supabase.
import postgres from "postgres";
import { claimQueuedRequests, type Queued } from "./pg-net-queue.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");
if (!databaseUrl) throw new Error("worker: missing environment variable DATABASE_URL");
const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
const batchSize = 200;
const log = (event: Record<string, unknown>) => console.log(JSON.stringify({ service: "worker", ...event }));

async function deliver(request: Queued) {
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? undefined,
      signal: AbortSignal.timeout(request.timeout_milliseconds),
    });
    const content = await response.text();
    await sql`insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
              values (${request.id}, ${response.status}, ${response.headers.get("content-type")},
                      ${sql.json(Object.fromEntries(response.headers))}, ${content}, false)`;
    log({ event: "delivered", id: request.id, status: response.status, ms: Math.round(performance.now() - started) });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    await sql`insert into net._http_response (id, timed_out, error_msg)
              values (${request.id}, ${timedOut}, ${String(error).slice(0, 500)})`;
    log({ event: "failed", id: request.id, timed_out: timedOut });
  }
}

let draining = false;
let again = false;
async function drain() {
  if (draining) return void (again = true);
  draining = true;
  try {
    do {
      again = false;
      const claimed: Queued[] = await claimQueuedRequests(sql, batchSize);
      await Promise.all(claimed.map(deliver));
      if (claimed.length === batchSize) again = true;
    } while (again);
  } catch (error) {
    log({ event: "drain_error", error: String(error) });
  } finally {
    draining = false;
  }
}

// Supported schedules: '<n> seconds' (every n seconds from the worker's start, as
// pg_cron's second-level jobs), '* * * * *' and '*/<n> * * * *' (at wall-clock minute
// marks, as cron: minute % n == 0).
type Due = (now: Date, last: number | undefined) => boolean;
function dueRule(schedule: string): Due | undefined {
  const seconds = schedule.match(/^\s*(\d+)\s+seconds?\s*$/);
  if (seconds) {
    const period = Number(seconds[1]) * 1000;
    return (now, last) => now.getTime() - (last ?? now.getTime()) >= period;
  }
  const minutes = schedule.trim().match(/^(\*|\*\/(\d+)) \* \* \* \*$/);
  if (minutes) {
    const every = minutes[2] ? Number(minutes[2]) : 1;
    const minuteOf = (ms: number) => Math.floor(ms / 60_000);
    return (now, last) =>
      now.getUTCMinutes() % every === 0 && (last === undefined || minuteOf(last) !== minuteOf(now.getTime()));
  }
  return undefined;
}

const lastRun = new Map<string, number>();
const started = Date.now();
async function runDueJobs() {
  const jobs = await sql`select jobid, jobname, schedule, command, username from cron.job where active`;
  const now = new Date();
  for (const job of jobs) {
    const due = dueRule(job.schedule);
    if (due === undefined) continue;
    if (!lastRun.has(job.jobid) && job.schedule.includes("second")) lastRun.set(job.jobid, started);
    if (!due(now, lastRun.get(job.jobid))) continue;
    lastRun.set(job.jobid, now.getTime());
    try {
      await sql.begin(async (tx) => {
        await tx`select set_config('role', ${job.username}, true)`;
        await tx.unsafe(job.command);
      });
      log({ event: "cron", job: job.jobname });
    } catch (error) {
      log({ event: "cron_error", job: job.jobname, error: String(error) });
    }
  }
}

await sql.listen("net_http_request_queue", () => drain());
setInterval(drain, 1000); // anything queued while the listener was reconnecting
setInterval(() => runDueJobs().catch((error) => log({ event: "cron_error", error: String(error) })), 1000);
drain();
log({ event: "started" });
