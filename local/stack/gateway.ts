// The local stand-in for Supabase's API gateway and edge runtime's main worker. Its
// routes are the table at the bottom; each concern is a module of its own (gateway/):
//   respond.ts           the log line, the JSON error, Auth's CORS
//   function-process.ts  a function's isolate as a supervised Deno 2.1.4 process
//   cpu-clock.ts         that process's CPU, sampled (edge-runtime's 2 s budget, logged)
//   function-env.ts      what a function is given, as Supabase gives it
//   function-route.ts    /functions/v1/<name>/<sub>: keys, verify_jwt, the process
//   upstream.ts          forwarding a request upstream and relaying the answer
//   web-app.ts           the reference web app's files and pages
// On /rest/v1, /functions/v1 and /auth/v1, API keys are handled as Supabase's gateway
// does (local/stack/project-keys.ts): `sb_publishable_…` / `sb_secret_…` in `apikey` become
// short-lived `anon` / `service_role` JWTs upstream, a user's JWT passes through, and with
// LEGACY_API_KEYS=off the legacy keys are refused.
//
// Every function of supabase/config.toml runs from a bundle holding exactly what a
// deployment holds (local/stack/bundle.ts). SIGHUP re-reads the function secrets and
// restarts every function with them, as `supabase secrets set` redeploys
// (`local/stack/stack.sh secrets set|unset`).
import postgres from "postgres";
import { authHandler } from "./auth.ts";
import { deliverToInbox, inboxHandler } from "./inbox.ts";
import { resendFake } from "../fakes/resend.ts";
import { bundle, extraFunctionConfig, readFunctionConfigs } from "./bundle.ts";
import { ProjectKeys, translateCredentials } from "./project-keys.ts";
import { functionEnv } from "./gateway/function-env.ts";
import { FunctionProcess } from "./gateway/function-process.ts";
import { type FunctionLimits, toFunction } from "./gateway/function-route.ts";
import { log, problem, withAuthCors } from "./gateway/respond.ts";
import { forward, relay } from "./gateway/upstream.ts";
import { webAppPage } from "./gateway/web-app.ts";

const env = (name: string, fallback?: string): string => {
  const value = Deno.env.get(name) ?? fallback;
  if (value === undefined) throw new Error(`gateway: missing environment variable ${name}`);
  return value;
};
const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const port = Number(env("GATEWAY_PORT"));
const postgrestUrl = env("POSTGREST_URL").replace(/\/$/, "");
const stackDir = env("STACK_DIR");
const supabaseUrl = env("SUPABASE_URL");
const webDist = env("WEB_DIST", `${root}/web/dist`);
const keys = await ProjectKeys.load(`${supabaseUrl}/auth/v1`);
// How long PostgREST has to begin its answer (its slowest legitimate one: a statement
// under `authenticated`'s 8 s statement timeout) before the caller gets 504.
const upstreamTimeoutMs = Number(env("GATEWAY_UPSTREAM_TIMEOUT_MS", "10000"));
const limits: FunctionLimits = {
  bootWaitMs: Number(env("GATEWAY_BOOT_WAIT_MS", "10000")),
  cpuLimitMs: Number(env("USER_WORKER_CPU_MS", "2000")),
};
const memoryMb = env("USER_WORKER_MEMORY_MB", "256");

const auth = authHandler({
  // Supabase Auth's own login, as GoTrue connects.
  sql: postgres(env("AUTH_DATABASE_URL"), { max: 4, onnotice: () => {} }),
  keys,
  siteUrl: supabaseUrl,
  defaultRedirect: env("AUTH_SITE_URL", supabaseUrl),
  confirmEmail: env("AUTH_CONFIRM_EMAIL", "true") !== "false",
});
// Resend, where no real one is configured: the one Resend fake, its emails into the inbox.
const resend = resendFake(env("RESEND_API_KEY", "re_local_inbox"), (email) => {
  deliverToInbox(email);
});

// Bundle and start every function: those of supabase/config.toml, and the extra
// directories (test fixtures, the benchmark's TypeScript baseline; never deployed).
const project = { url: supabaseUrl, databaseUrl: env("DATABASE_URL"), stackDir };
const only = (Deno.env.get("GATEWAY_FUNCTIONS") ?? "").split(",").filter(Boolean);
const configs = (await readFunctionConfigs()).filter((fn) => only.length === 0 || only.includes(fn.name));
const extras = (Deno.env.get("EXTRA_FUNCTION_DIRS") ?? "").split(",").filter(Boolean);
const functionProcesses = new Map<string, FunctionProcess>();
const environment = await functionEnv(keys, project);
for (const fn of configs) {
  const dir = `${stackDir}/functions/${fn.name}`;
  await bundle(fn, dir);
  functionProcesses.set(fn.name, new FunctionProcess(fn, dir, dir, environment, memoryMb));
}
for (const extra of extras) {
  const fn = extraFunctionConfig(extra);
  const rust = await Deno.stat(`${extra}/Cargo.toml`).then(() => true, () => false);
  if (rust) {
    const dir = `${stackDir}/functions/${fn.name}`;
    await bundle(fn, dir);
    functionProcesses.set(fn.name, new FunctionProcess(fn, dir, dir, environment, memoryMb));
  } else {
    // TypeScript baselines import npm packages from the checkout's node_modules.
    functionProcesses.set(fn.name, new FunctionProcess(fn, root, root, environment, memoryMb));
  }
}
for (const functionProcess of functionProcesses.values()) functionProcess.start();
// Where `stack.sh secrets` sends its SIGHUP (the supervisor's pid is not this process's).
await Deno.writeTextFile(`${stackDir}/run/gateway-process.pid`, String(Deno.pid));
Deno.addSignalListener("SIGHUP", async () => {
  const reloaded = await functionEnv(keys, project);
  log({ event: "function_secrets_reloaded", functions: functionProcesses.size });
  for (const functionProcess of functionProcesses.values()) functionProcess.reload(reloaded);
});
setInterval(() => functionProcesses.forEach((functionProcess) => functionProcess.cpu.sample()), 100);

/** 200 once every function's process answers. */
function health(): Response {
  const states = Object.fromEntries([...functionProcesses].map(([name, functionProcess]) => [name, functionProcess.isReady() ? "ready" : "starting"]));
  const ready = Object.values(states).every((state) => state === "ready");
  return Response.json({ status: ready ? "ok" : "starting", functions: states }, { status: ready ? 200 : 503 });
}

/** Memory of the gateway and of each function's process (the bench and the soak read it). */
async function stats(): Promise<Response> {
  const functions: Record<string, unknown> = {};
  await Promise.all([...functionProcesses].map(async ([name, functionProcess]) => {
    functions[name] = await fetch(`${functionProcess.url}/__edge_runtime/stats`).then((r) => r.json(), () => null);
  }));
  const own = Deno.memoryUsage();
  return Response.json({ gateway_rss_bytes: own.rss, gateway_heap_used_bytes: own.heapUsed, functions });
}

/** /rest/v1/*: PostgREST, with the platform's credentials applied. */
async function rest(request: Request, url: URL): Promise<Response> {
  const path = url.pathname.slice("/rest/v1".length) || "/";
  try {
    const headers = await translateCredentials(keys, request, "rest", request.method !== "OPTIONS");
    if (headers instanceof Response) return headers;
    // Bodies whole, not streamed: a streamed (chunked) request costs PostgREST and this
    // process a millisecond more than the same few bytes with a Content-Length.
    const body = request.body ? await request.arrayBuffer() : null;
    const outgoing = { method: request.method, headers };
    return relay(await forward(outgoing, `${postgrestUrl}${path}${url.search}`, body, upstreamTimeoutMs));
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return problem(504, "upstream_timeout", `PostgREST did not answer within ${upstreamTimeoutMs} ms`);
    }
    return problem(502, "upstream_error", "PostgREST is not answering");
  }
}

/** /auth/v1/*: the Auth stand-in. The links in emails and the public key set are opened
 * without a key, as on Supabase. */
async function authRoute(request: Request, url: URL): Promise<Response> {
  try {
    const open = /^\/auth\/v1\/(verify|callback|authorize|\.well-known\/jwks\.json)$/.test(url.pathname);
    const headers = await translateCredentials(keys, request, "auth", !open && request.method !== "OPTIONS");
    if (headers instanceof Response) return withAuthCors(headers);
    return withAuthCors(await auth(new Request(request, { headers }), url));
  } catch (error) {
    log({ event: "auth_error", error: String(error) });
    return withAuthCors(Response.json({ code: 500, error_code: "unexpected_failure", msg: "Unexpected failure" }, { status: 500 }));
  }
}

/** /functions/v1/<name>/<subpath>: the function's process, or 404 for an unknown name. */
function functionRoute(request: Request, url: URL): Promise<Response> | Response {
  const [, name, subpath = ""] = url.pathname.match(/^\/functions\/v1\/([A-Za-z0-9_-]+)(\/.*)?$/) ?? [];
  const functionProcess = name === undefined ? undefined : functionProcesses.get(name);
  if (!functionProcess) return problem(404, "not_found", "no such route");
  return toFunction(keys, limits, request, functionProcess, subpath, url.search);
}

type Route = [pattern: RegExp, handle: (request: Request, url: URL) => Promise<Response> | Response];
const routes: Route[] = [
  [/^\/health$/, health],
  [/^\/_stack\/stats$/, stats],
  [/^\/rest\/v1(\/|$)/, rest],
  [/^\/auth\/v1\//, authRoute],
  [/^\/_inbox\/resend\//, (request, url) => resend(request, url.pathname.slice("/_inbox/resend".length))],
  [/^\/_inbox/, inboxHandler],
  [/^\/app-config\.json$/, () => Response.json({ supabaseUrl, publishableKey: keys.publishable })],
  [/^\/functions\/v1\//, functionRoute],
];

// Methods `fetch` cannot send on: nothing here serves them. Said as such (405, with what
// is served), not reported as the upstream's failure.
const unforwardable = new Set(["CONNECT", "TRACE", "TRACK"]);
const forwardable = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => log({ event: "listening", port }) }, async (request) => {
  if (unforwardable.has(request.method.toUpperCase())) {
    return Response.json(
      { error: { code: "method_not_allowed", message: `${request.method} is not served; use ${forwardable}` } },
      { status: 405, headers: { allow: forwardable } },
    );
  }
  const url = new URL(request.url);
  const route = routes.find(([pattern]) => pattern.test(url.pathname));
  if (route) return await route[1](request, url);
  // Anything else a browser GETs is the web app's: its files, its routes, its 404 page.
  const page = request.method === "GET" ? await webAppPage(webDist, url.pathname, request.headers.get("accept") ?? "") : null;
  return page ?? problem(404, "not_found", "no such route");
});
