// The pg_net stand-in's claim on its queue (local/stack/worker.ts), apart so that a test
// can run it (tests/stack/pg_net_queue_test.ts).
import type postgres from "postgres";

export type Queued = {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  timeout_milliseconds: number;
};

/**
 * Removes up to `limit` queued requests, oldest first, skipping any another claimer holds,
 * and returns them: at most once, as pg_net delivers.
 *
 * The batch is a materialized CTE, evaluated once. Written as
 * `delete … where id in (select … limit n for update skip locked)`, the statement is only
 * bounded under some plans: when the planner, from the queue's statistics, makes the
 * subquery the inner side of a nested-loop semi join, every rescan of it skips the rows
 * this same statement has just deleted and locks the next n, so a claim of 200 took the
 * whole queue (4,300 and 7,600 requests sent at once in two signup storms, nearly all
 * timing out behind each other).
 */
export function claimQueuedRequests(sql: postgres.Sql | postgres.TransactionSql, limit: number) {
  return sql<Queued[]>`
    with batch as materialized (
      select id from net.http_request_queue order by id limit ${limit} for update skip locked)
    delete from net.http_request_queue queued using batch where queued.id = batch.id
    returning queued.id, queued.method, queued.url, queued.headers, queued.body, queued.timeout_milliseconds`;
}
