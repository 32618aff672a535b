// A local fake of a Make scenario's custom webhook, for the tests only (Make is not
// reachable from here). Like a Make webhook it takes any JSON POST and answers 200
// "Accepted"; it records what it received and can be told, per invited email, to fail
// (any status, with Retry-After), to hang, or to be down:
//   GET  /_fake/received?email=<email>   the bodies received for that email, in order
//   POST /_fake/script  {email, responses: [{status, body?, retry_after?, hang_ms?}]}
//   POST /_fake/down    {email, down: true|false}
//   GET  /_fake/unsigned                 how many requests it refused for their signature
import { Webhook } from "standardwebhooks";

const port = Number(Deno.env.get("FAKE_MAKE_PORT") ?? "0");
// As the seed's scenario does ("Make validates signature"): every request must carry a
// valid Standard Webhooks signature, checked with the reference library; others get 401.
const verifier = new Webhook(Deno.env.get("FAKE_MAKE_SIGNING_SECRET") ?? "");

type Scripted = { status?: number; body?: string; retry_after?: number; hang_ms?: number };
type Received = { at: string; correlation_header: string | null; webhook_id: string; content_type: string | null; body: Record<string, unknown>; answered: number };

const received = new Map<string, Received[]>();
const scripts = new Map<string, Scripted[]>();
const down = new Set<string>();
// Requests refused for a missing or wrong signature.
let unsigned = 0;

async function webhook(request: Request): Promise<Response> {
  const raw = await request.text();
  const signed = {
    "webhook-id": request.headers.get("webhook-id") ?? "",
    "webhook-timestamp": request.headers.get("webhook-timestamp") ?? "",
    "webhook-signature": request.headers.get("webhook-signature") ?? "",
  };
  try {
    verifier.verify(raw, signed);
  } catch {
    unsigned++;
    return new Response("Invalid signature", { status: 401 });
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw);
  } catch {
    return new Response("Invalid JSON", { status: 400 });
  }
  const email = String(body.email ?? "");
  const log: Received = {
    at: new Date().toISOString(),
    correlation_header: request.headers.get("x-correlation-id"),
    webhook_id: signed["webhook-id"],
    content_type: request.headers.get("content-type"),
    body,
    answered: 0,
  };
  received.set(email, [...(received.get(email) ?? []), log]);
  if (down.has(email)) return (log.answered = 503), new Response("Service Unavailable", { status: 503 });
  const next = scripts.get(email)?.shift();
  if (next?.hang_ms) await new Promise((resolve) => setTimeout(resolve, next.hang_ms));
  const status = next?.status ?? 200;
  log.answered = status;
  const headers: Record<string, string> = next?.retry_after === undefined ? {} : { "retry-after": String(next.retry_after) };
  return new Response(next?.body ?? "Accepted", { status, headers });
}

Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => console.log(`fake make on ${port}`) }, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/_fake/received") return Response.json(received.get(url.searchParams.get("email") ?? "") ?? []);
  if (url.pathname === "/_fake/unsigned") return Response.json({ unsigned });
  if (url.pathname === "/_fake/script" && request.method === "POST") {
    const { email, responses } = await request.json();
    scripts.set(email, responses);
    return Response.json({ ok: true });
  }
  if (url.pathname === "/_fake/down" && request.method === "POST") {
    const { email, down: isDown } = await request.json();
    isDown ? down.add(email) : down.delete(email);
    return Response.json({ ok: true });
  }
  if (request.method === "POST") return await webhook(request);
  return new Response("Not Found", { status: 404 });
});
