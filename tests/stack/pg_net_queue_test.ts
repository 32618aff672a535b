// The pg_net stand-in claims at most a batch of its queue, whatever plan the planner picks.
// A claim that took the whole queue sent thousands of webhook deliveries at once in the
// signup storm (`make bench`), and nearly all of them timed out behind each other.
//
// Needs a running stack (STACK_ENV_FILE). Runs in a transaction that is rolled back: the
// requests it queues are never seen, nor delivered, by the stack's own worker.
import assert from "node:assert/strict";
import postgres from "postgres";
import { readEnvFile } from "../support/stack.mjs";
import { claimQueuedRequests } from "../../local/stack/pg-net-queue.ts";

const env = readEnvFile(Deno.env.get("STACK_ENV_FILE")!);

/** Plans the planner may choose from a queue's statistics, forced one at a time. */
const plans: Record<string, string[]> = {
  "the planner's own": [],
  "nested loops that rescan the batch": [
    "enable_hashjoin", "enable_mergejoin", "enable_material", "enable_hashagg", "enable_sort",
  ],
};

for (const [plan, disabled] of Object.entries(plans)) {
  Deno.test(`a claim takes at most its batch, oldest first (${plan})`, async () => {
    // The superuser, as the worker (pg_net's background worker) connects.
    const sql = postgres(env.ADMIN_DATABASE_URL, { max: 1, onnotice: () => {} });
    const rollback = new Error("rolled back");
    try {
      await sql.begin(async (tx) => {
        const queued = await tx<{ id: string }[]>`
          insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
          select 'POST', 'http://127.0.0.1:9/never', '{}', 5000 from generate_series(1, 1000)
          returning id`;
        for (const setting of disabled) await tx`select set_config(${setting}, 'off', true)`;
        const claimed = await claimQueuedRequests(tx, 200);
        assert.equal(claimed.length, 200);
        const ascending = (rows: { id: string }[]) => rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : 1));
        assert.deepEqual(ascending(claimed), ascending(queued).slice(0, 200));
        const [{ left }] = await tx`select count(*)::int as left from net.http_request_queue
                                    where id = any(${queued.map((row) => row.id)}::bigint[])`;
        assert.equal(left, 800);
        throw rollback;
      }).catch((error) => {
        if (error !== rollback) throw error;
      });
    } finally {
      await sql.end();
    }
  });
}
