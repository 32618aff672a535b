// The local stand-in for Supabase's API gateway and edge runtime, in one Deno process:
//   /rest/v1/*            → PostgREST
//   /functions/v1/<name>  → the function's own index.ts (the same file Supabase deploys),
//                           loaded in-process; `verify_jwt` from supabase/config.toml is enforced
//   /health               → 200 once every function has loaded
// Functions call `Deno.serve(handler)` as they would on Supabase; here that call
// registers the handler under the function's name instead of opening a port.
import { jwtVerify } from "jose";

const env = (name: string, fallback?: string): string => {
  const value = Deno.env.get(name) ?? fallback;
  if (value === undefined) throw new Error(`gateway: missing environment variable ${name}`);
  return value;
};
const port = Number(env("GATEWAY_PORT"));
const postgrestUrl = env("POSTGREST_URL").replace(/\/$/, "");
const jwtKey = new TextEncoder().encode(env("SUPABASE_JWT_SECRET"));
const root = new URL("../", import.meta.url);
// Extra function directories (absolute paths): test fixtures and the benchmark's
// baseline; never deployed, served without the gateway's JWT check.
const extraDirs = (Deno.env.get("EXTRA_FUNCTION_DIRS") ?? "").split(",").filter(Boolean);

type Handler = (request: Request) => Response | Promise<Response>;
const problem = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });
const functions = new Map<string, { handler: Handler; verifyJwt: boolean }>();

// [functions.<name>] sections of supabase/config.toml and their verify_jwt.
const config = await Deno.readTextFile(new URL("supabase/config.toml", root));
const declared = new Map<string, boolean>();
let section: string | undefined;
for (const line of config.split("\n")) {
  const header = line.match(/^\s*\[functions\.([A-Za-z0-9_-]+)\]\s*$/);
  if (header) declared.set((section = header[1]), true);
  else if (/^\s*\[/.test(line)) section = undefined;
  const verify = line.match(/^\s*verify_jwt\s*=\s*(true|false)/);
  if (section && verify) declared.set(section, verify[1] === "true");
}

const realServe = Deno.serve;
let loading: string | undefined;
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  const handler = args.find((arg) => typeof arg === "function") ?? args[0]?.handler;
  if (!loading || typeof handler !== "function") throw new Error("gateway: unexpected Deno.serve call");
  functions.set(loading, { handler, verifyJwt: declared.get(loading) ?? false });
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {} };
};
// GATEWAY_FUNCTIONS (comma-separated) serves only those, as Supabase runs each function
// on its own; the benchmark uses it to measure one function's cold start.
const only = (Deno.env.get("GATEWAY_FUNCTIONS") ?? "").split(",").filter(Boolean);
const entries: [string, URL][] = [...declared.keys()]
  .filter((name) => only.length === 0 || only.includes(name))
  .map((name) => [name, new URL(`supabase/functions/${name}/index.ts`, root)]);
for (const dir of extraDirs) entries.push([dir.split("/").filter(Boolean).pop()!, new URL(`file://${dir}/index.ts`)]);
// A function that cannot start (e.g. a missing secret) answers 503 with the reason;
// the others are served. On Supabase, too, one function's failure is its own.
for (const [name, url] of entries) {
  loading = name;
  try {
    await import(url.href);
    if (!functions.has(name)) throw new Error(`${name} did not call Deno.serve`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(JSON.stringify({ service: "gateway", event: "function_failed_to_start", function: name, reason }));
    functions.set(name, {
      handler: () => problem(503, "function_unavailable", `${name} failed to start: ${reason}`),
      verifyJwt: false,
    });
  }
}
loading = undefined;
Deno.serve = realServe;

async function verifyJwt(request: Request): Promise<boolean> {
  const token = request.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (!token) return false;
  try {
    await jwtVerify(token, jwtKey, { algorithms: ["HS256"] });
    return true;
  } catch {
    return false;
  }
}

async function proxyToPostgrest(request: Request, path: string, search: string): Promise<Response> {
  const headers = new Headers(request.headers);
  const apikey = headers.get("apikey");
  if (!headers.has("authorization") && apikey) headers.set("authorization", `Bearer ${apikey}`);
  headers.delete("host");
  const upstream = await fetch(`${postgrestUrl}${path}${search}`, {
    method: request.method,
    headers,
    body: request.body,
    redirect: "manual",
  });
  return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
}

realServe({ hostname: "127.0.0.1", port, onListen: () => console.log(`gateway listening on http://127.0.0.1:${port}`) }, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/health") return Response.json({ status: "ok", functions: [...functions.keys()] });
  if (url.pathname === "/_stack/stats") {
    // deno-lint-ignore no-explicit-any
    const stats: Map<string, () => number> = (globalThis as any).__wasmStats ?? new Map();
    const wasm = Object.fromEntries([...stats].map(([name, bytes]) => [name, bytes()]));
    return Response.json({ rss_bytes: Deno.memoryUsage().rss, wasm_memory_bytes: wasm });
  }
  if (url.pathname.startsWith("/rest/v1/") || url.pathname === "/rest/v1") {
    try {
      return await proxyToPostgrest(request, url.pathname.slice("/rest/v1".length) || "/", url.search);
    } catch {
      return problem(502, "upstream_error", "PostgREST is not answering");
    }
  }
  const match = url.pathname.match(/^\/functions\/v1\/([A-Za-z0-9_-]+)(\/.*)?$/);
  const target = match && functions.get(match[1]);
  if (!target) return problem(404, "not_found", "no such route");
  if (target.verifyJwt && request.method !== "OPTIONS" && !(await verifyJwt(request))) {
    return problem(401, "invalid_jwt", "missing or invalid JWT");
  }
  return await target.handler(request);
});
