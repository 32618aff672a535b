// A webhook receiver for the tests, as an organization would run one: it verifies every
// delivery with the reference Standard Webhooks library from npm (`standardwebhooks`, not
// our code) — the signature, and the timestamp within its 5 minutes of tolerance — and
// answers as each endpoint is scripted to. Endpoints are paths: POST /hooks/<name>.
//   PUT  /_fake/endpoints/<name>  {secrets: [whsec…], script?: [status…], then?: status}
//        the secrets each delivery must verify with (every one of them: during a
//        rotation both), the answers for the next deliveries, then the steady answer
//        (default 200)
//   GET  /_fake/endpoints/<name>  {deliveries: [{id, timestamp, type, status, verified, at}]}
//        every delivery seen, in order, with what it was answered and which secrets verified it
import { Webhook } from "standardwebhooks";

const port = Number(Deno.env.get("FAKE_RECEIVER_PORT") ?? "0");

type Delivery = { id: string; timestamp: string; type: string; status: number; verified: boolean[]; at: number };
type Endpoint = { secrets: string[]; script: number[]; then: number; deliveries: Delivery[] };
const endpoints = new Map<string, Endpoint>();

async function receive(name: string, request: Request): Promise<Response> {
  const endpoint = endpoints.get(name);
  if (!endpoint) return new Response("no such endpoint", { status: 404 });
  const body = await request.text();
  const headers = Object.fromEntries(request.headers);
  const verified = endpoint.secrets.map((secret) => {
    try {
      new Webhook(secret).verify(body, headers);
      return true;
    } catch {
      return false;
    }
  });
  let type = "";
  try {
    type = JSON.parse(body).type;
  } catch { /* recorded as unverifiable below */ }
  // A delivery that does not verify with every secret is refused, as a receiver would.
  const status = verified.every(Boolean) && verified.length > 0
    ? (endpoint.script.shift() ?? endpoint.then)
    : 401;
  endpoint.deliveries.push({
    id: headers["webhook-id"] ?? "", timestamp: headers["webhook-timestamp"] ?? "", type, status, verified, at: Date.now(),
  });
  return new Response(status === 200 ? "ok" : "scripted", { status });
}

Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (request) => {
  const url = new URL(request.url);
  const hook = url.pathname.match(/^\/hooks\/([\w-]+)$/);
  if (hook && request.method === "POST") return receive(hook[1], request);
  const control = url.pathname.match(/^\/_fake\/endpoints\/([\w-]+)$/);
  if (control && request.method === "PUT") {
    const { secrets, script, then } = await request.json();
    const previous = endpoints.get(control[1]);
    endpoints.set(control[1], { secrets, script: script ?? [], then: then ?? 200, deliveries: previous?.deliveries ?? [] });
    return Response.json({ ok: true });
  }
  if (control && request.method === "GET") {
    return Response.json({ deliveries: endpoints.get(control[1])?.deliveries ?? [] });
  }
  if (url.pathname === "/") return new Response("webhook receiver");
  return new Response("Not Found", { status: 404 });
});
