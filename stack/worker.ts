// The local stand-in for two Supabase background services:
//   pg_net: delivers requests queued in net.http_request_queue (by database webhooks)
//           after their transaction commits, and records responses in net._http_response;
//   pg_cron: runs the jobs in cron.job on their schedule.
// Like pg_net, delivery is at most once: a request is removed from the queue when it
// is claimed. Work that must not be lost is reconciled by cron jobs, as on Supabase.
import postgres from "postgres";

const databaseUrl = Deno.env.get("DATABASE_URL");
if (!databaseUrl) throw new Error("worker: missing environment variable DATABASE_URL");
const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
const batchSize = 200;
const log = (event: Record<string, unknown>) => console.log(JSON.stringify({ service: "worker", ...event }));

type Queued = { id: string; method: string; url: string; headers: Record<string, string>; body: Uint8Array | null; timeout_milliseconds: number };

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
      const claimed: Queued[] = await sql`
        delete from net.http_request_queue where id in (
          select id from net.http_request_queue order by id limit ${batchSize} for update skip locked)
        returning id, method, url, headers, body, timeout_milliseconds`;
      await Promise.all(claimed.map(deliver));
      if (claimed.length === batchSize) again = true;
    } while (again);
  } catch (error) {
    log({ event: "drain_error", error: String(error) });
  } finally {
    draining = false;
  }
}

// Supported schedules: '<n> seconds', '* * * * *', '*/<n> * * * *'.
function periodMs(schedule: string): number | undefined {
  const seconds = schedule.match(/^\s*(\d+)\s+seconds?\s*$/);
  if (seconds) return Number(seconds[1]) * 1000;
  const minutes = schedule.trim().match(/^(\*|\*\/(\d+)) \* \* \* \*$/);
  if (minutes) return (minutes[2] ? Number(minutes[2]) : 1) * 60_000;
  return undefined;
}

const lastRun = new Map<string, number>();
async function runDueJobs() {
  const jobs = await sql`select jobid, jobname, schedule, command from cron.job where active`;
  for (const job of jobs) {
    const period = periodMs(job.schedule);
    if (period === undefined) continue;
    const last = lastRun.get(job.jobid) ?? Date.now();
    if (!lastRun.has(job.jobid)) lastRun.set(job.jobid, last);
    if (Date.now() - last < period) continue;
    lastRun.set(job.jobid, Date.now());
    try {
      await sql.unsafe(job.command);
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
