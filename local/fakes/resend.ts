// The one local fake of Resend's email API (Resend is not reachable from here): the
// tests run it on a port of its own, and the stack's gateway serves the same fake at
// /_inbox/resend, where the functions send when no real Resend is configured. It speaks
// the documented contract of POST /emails — bearer API key,
// JSON body with from / to / subject / html / text, Idempotency-Key, Resend's error
// bodies `{statusCode, name, message}` and its 429 `retry-after` — and rejects requests
// that break it the way Resend does. Tests drive it through /_fake/*:
//   GET  /_fake/emails?to=<email>   emails accepted for that recipient, and the attempts seen
//   (each accepted email also lands in the stack's local inbox, /_inbox)
//   POST /_fake/script              {to, responses: [{status, name, message, retry_after?, hang_ms?}]}
//                                   answers the next requests for that recipient from the script
//                                   (hang_ms: only after that long, as a Resend that hangs)
export type Accepted = { from: string; to: string[]; subject: string; html?: string; text?: string };
type Sent = { id: string; from: string; to: string[]; subject: string; html?: string; text?: string; idempotency_key: string | null };
type Scripted = { status: number; name: string; message: string; retry_after?: number; hang_ms?: number };

const EMAIL = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;
const fail = (statusCode: number, name: string, message: string, headers: Record<string, string> = {}) =>
  Response.json({ statusCode, name, message }, { status: statusCode, headers });

/** A fake Resend accepting `apiKey`; `onAccepted` sees every email it accepts. Returns the
 * handler of its routes (`path`: the request's path below where it is mounted). */
export function resendFake(apiKey: string, onAccepted: (email: Accepted) => Promise<void> | void = () => {}) {
  const emails: Sent[] = [];
  const attempts = new Map<string, number>();
  const scripts = new Map<string, Scripted[]>();
  const idempotent = new Map<string, { payload: string; id: string }>();

  async function sendEmail(request: Request): Promise<Response> {
    const auth = request.headers.get("authorization");
    if (!auth?.startsWith("Bearer ")) return fail(401, "missing_api_key", "Missing API key in the authorization header.");
    if (auth.slice(7) !== apiKey) return fail(403, "invalid_api_key", "API key is invalid.");
    let body: Record<string, unknown>;
    try {
      body = await request.json();
    } catch {
      return fail(422, "validation_error", "Invalid JSON body.");
    }
    const key = request.headers.get("idempotency-key");
    if (key !== null && (key.length < 1 || key.length > 256)) {
      return fail(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
    }
    const from = body.from;
    const fromAddress = typeof from === "string" ? (from.match(/<([^>]+)>$/)?.[1] ?? from) : "";
    if (!EMAIL.test(fromAddress)) {
      return fail(422, "invalid_from_address", "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.");
    }
    const to = typeof body.to === "string" ? [body.to] : body.to;
    if (!Array.isArray(to) || to.length < 1 || to.length > 50 || !to.every((t) => typeof t === "string" && EMAIL.test(t))) {
      return fail(422, "validation_error", "Invalid `to` field. Use an email or an array of up to 50 emails.");
    }
    if (typeof body.subject !== "string" || body.subject === "") return fail(422, "missing_required_field", "Missing `subject` field.");
    if (typeof body.html !== "string" && typeof body.text !== "string") {
      return fail(422, "missing_required_field", "Missing `html` or `text` field.");
    }
    for (const recipient of to) attempts.set(recipient, (attempts.get(recipient) ?? 0) + 1);

    const next = scripts.get(to[0])?.shift();
    if (next) {
      if (next.hang_ms) await new Promise((resolve) => setTimeout(resolve, next.hang_ms));
      const headers: Record<string, string> = next.retry_after === undefined ? {} : { "retry-after": String(next.retry_after) };
      return fail(next.status, next.name, next.message, headers);
    }
    const payload = JSON.stringify(body);
    if (key !== null) {
      const earlier = idempotent.get(key);
      if (earlier && earlier.payload !== payload) {
        return fail(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.");
      }
      if (earlier) return Response.json({ id: earlier.id });
    }
    const id = crypto.randomUUID();
    if (key !== null) idempotent.set(key, { payload, id });
    emails.push({ id, from: String(from), to, subject: body.subject, html: body.html as string, text: body.text as string, idempotency_key: key });
    await onAccepted({ from: String(from), to, subject: body.subject, html: body.html as string | undefined, text: body.text as string | undefined });
    return Response.json({ id });
  }

  return async function handle(request: Request, path: string): Promise<Response> {
    if (path === "/emails") {
      return request.method === "POST" ? await sendEmail(request) : fail(405, "method_not_allowed", "Method is not allowed for the requested path.");
    }
    if (path === "/_fake/emails") {
      const to = new URL(request.url).searchParams.get("to") ?? "";
      return Response.json({ emails: emails.filter((e) => e.to.includes(to)), attempts: attempts.get(to) ?? 0 });
    }
    if (path === "/_fake/script" && request.method === "POST") {
      const { to, responses } = await request.json();
      scripts.set(to, responses);
      return Response.json({ ok: true });
    }
    return fail(404, "not_found", "The requested endpoint does not exist.");
  };
}

/** On its own port (the tests'): each accepted email is also delivered to the stack's
 * local inbox, as a developer reads mail locally (the stack's address is in
 * $STACK_DIR/stack.env once it is up). */
async function copyToInbox(email: Accepted) {
  const stackDir = Deno.env.get("STACK_DIR");
  if (!stackDir) return;
  try {
    const stackEnv = await Deno.readTextFile(`${stackDir}/stack.env`);
    const gateway = stackEnv.match(/^SUPABASE_URL=(.+)$/m)?.[1];
    if (gateway) {
      await (await fetch(`${gateway}/_inbox/api/messages`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(email),
      })).body?.cancel();
    }
  } catch { /* no stack yet: the fake's own record is enough */ }
}

if (import.meta.main) {
  const handle = resendFake(Deno.env.get("FAKE_RESEND_API_KEY") ?? "re_test_key", copyToInbox);
  const port = Number(Deno.env.get("FAKE_RESEND_PORT") ?? "0");
  Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => console.log(`fake resend on ${port}`) },
    (request) => handle(request, new URL(request.url).pathname));
}
