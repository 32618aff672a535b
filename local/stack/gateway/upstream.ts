// Sending a request on upstream (PostgREST, a function's process) and its answer back.

/** What goes upstream of a request: its method and the headers to send (a copy of the
 * caller's, credentials applied, owned by this request). Kept apart from a `Request` so
 * that each hop copies the headers once, not three times. (The caller's `signal` is not
 * passed on: reading it makes Deno build an abort event and a DOMException for every
 * request when its answer completes, measurable per request; a caller that goes away
 * before its body is read is still recognised.) */
export type Outgoing = { method: string; headers: Headers };

/** Upstream requests that must answer by a deadline, checked on one timer (a timer and
 * a combined signal per request cost more than the check). */
const deadlines = new Map<AbortController, number>();
setInterval(() => {
  const now = performance.now();
  for (const [controller, deadline] of deadlines) {
    if (deadline <= now) {
      deadlines.delete(controller);
      controller.abort(new DOMException("no answer", "TimeoutError"));
    }
  }
}, 250);

/** Sends `outgoing` to `target`. With `headersWithinMs`, an upstream whose answer has not
 * begun by then is given up on (a `TimeoutError`); a long streamed answer is not cut, but
 * one that accepts connections and never answers (a stopped process: the kernel still
 * completes the handshake) is. */
export async function forward(
  outgoing: Outgoing,
  target: string,
  body: ArrayBuffer | null,
  headersWithinMs?: number,
): Promise<Response> {
  const { method, headers } = outgoing;
  headers.delete("host");
  // Uncompressed from upstream (fetch would decompress a body but keep its length and
  // encoding headers); this server compresses for the client when the client asks.
  headers.set("accept-encoding", "identity");
  const deadline = headersWithinMs === undefined ? undefined : new AbortController();
  if (deadline) deadlines.set(deadline, performance.now() + headersWithinMs!);
  // `fetch` normalizes a lowercase `get`/`head` to GET/HEAD and then refuses any body,
  // even an empty one, which the server side hands over for a method it does not know.
  const bodyless = ["GET", "HEAD"].includes(method.toUpperCase());
  try {
    return await fetch(target, { method, headers, body: bodyless ? null : body, redirect: "manual", signal: deadline?.signal });
  } finally {
    if (deadline) deadlines.delete(deadline);
  }
}

/** The upstream's answer as this gateway's: its own length and the runtime's internal
 * header dropped. */
export function relay(upstream: Response): Response {
  const headers = new Headers(upstream.headers);
  headers.delete("content-length");
  headers.delete("x-edge-runtime-retiring");
  return new Response(upstream.body, { status: upstream.status, headers });
}
