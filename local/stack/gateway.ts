// The local stand-in for Supabase's API gateway and edge runtime's main worker:
//   /rest/v1/*                  → PostgREST
//   /functions/v1/<name>/<sub>  → the function's own isolate, which sees /<name>/<sub>?<query>
//                                 as on Supabase; `verify_jwt` from supabase/config.toml is
//                                 enforced here first
//   /auth/v1/*                  → the local Supabase Auth stand-in (local/stack/auth.ts)
//   /_inbox                     → the local inbox of the emails the stack sent (local/stack/inbox.ts)
//   /, /admin, /onboarding/*, /tenant/*, /assets/*  → the reference web app (web/dist); any
//                                 other page a browser asks for gets the app's own
//                                 "not found" page (404), never a JSON body
//   /app-config.json            → the web app's Supabase URL and publishable key
//   /health                     → 200 once every function's isolate answers
//   /_stack/stats               → memory of the gateway and of each function's isolate
// On /rest/v1, /functions/v1 and /auth/v1, API keys are handled as Supabase's gateway
// does (local/stack/project-keys.ts): `sb_publishable_…` / `sb_secret_…` in `apikey` become
// short-lived `anon` / `service_role` JWTs upstream, a user's JWT passes through, and with
// LEGACY_API_KEYS=off the legacy keys are refused.
//
// Each function runs in a process of its own on Deno 2.1.4 (local/stack/user-worker.ts), from a
// bundle holding exactly what a deployment holds (local/stack/bundle.ts), with edge-runtime's
// permissions: all env, all net, read access to its bundle only. This process supervises
// them: one that exits (a crash, its memory limit) is started again and the others never
// notice; requests that arrive meanwhile wait for it. SIGHUP re-reads the function
// secrets and restarts every isolate with them, as `supabase secrets set` redeploys
// (`local/stack/stack.sh secrets set|unset`).
import postgres from "postgres";
import { authHandler } from "./auth.ts";
import { deliverToInbox, inboxHandler } from "./inbox.ts";
import { resendFake } from "../fakes/resend.ts";
import {
  bundle, edgeDeno, extraFunctionConfig, type FunctionConfig, readFunctionConfigs, userWorkerArgs,
} from "./bundle.ts";
import { ProjectKeys, type Surface, translateCredentials } from "./project-keys.ts";

const env = (name: string, fallback?: string): string => {
  const value = Deno.env.get(name) ?? fallback;
  if (value === undefined) throw new Error(`gateway: missing environment variable ${name}`);
  return value;
};
const port = Number(env("GATEWAY_PORT"));
const postgrestUrl = env("POSTGREST_URL").replace(/\/$/, "");
const stackDir = env("STACK_DIR");
const keys = await ProjectKeys.load(`${env("SUPABASE_URL")}/auth/v1`);
const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
// How long a request waits for a (re)starting isolate before it is answered 503.
const bootWaitMs = Number(env("GATEWAY_BOOT_WAIT_MS", "10000"));
// How long PostgREST has to begin its answer (its slowest legitimate one: a statement
// under `authenticated`'s 8 s statement timeout) before the caller gets 504.
const upstreamTimeoutMs = Number(env("GATEWAY_UPSTREAM_TIMEOUT_MS", "10000"));
// Edge-runtime's CPU budget per request; here measured and logged, not enforced.
const cpuLimitMs = Number(env("USER_WORKER_CPU_MS", "2000"));

const auth = authHandler({
  // Supabase Auth's own login, as GoTrue connects.
  sql: postgres(env("AUTH_DATABASE_URL"), { max: 4, onnotice: () => {} }),
  keys,
  siteUrl: env("SUPABASE_URL"),
  defaultRedirect: env("AUTH_SITE_URL", env("SUPABASE_URL")),
  confirmEmail: env("AUTH_CONFIRM_EMAIL", "true") !== "false",
});
// As Supabase's gateway answers browsers on other origins for Auth.
const authCors = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
  "access-control-expose-headers": "x-supabase-api-version",
};
const withCors = (response: Response) => {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(authCors)) headers.set(name, value);
  return new Response(response.body, { status: response.status, headers });
};

const webDist = env("WEB_DIST", `${root}/web/dist`);
const contentTypes: Record<string, string> = {
  html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8",
  svg: "image/svg+xml", png: "image/png", ico: "image/x-icon", json: "application/json",
};
const appRoute = /^\/(admin|reset-password|onboarding\/join\/[^/]+|onboarding\/[0-9a-f-]{36}|tenant\/[0-9a-f-]{36})?\/?$/;
/** The web app's files; its routes answer index.html (the app routes in the browser), and
 * so does any other page a browser asks for (`accept: text/html`), with status 404: the
 * app shows its own "not found" page there. */
async function webApp(pathname: string, accept: string): Promise<Response | null> {
  const isRoute = appRoute.test(pathname);
  const isAsset = /^\/(assets\/[\w.-]+|favicon\.svg)$/.test(pathname);
  const isPage = !isRoute && !isAsset && accept.includes("text/html") && !/^\/(rest|auth|functions)\/v1(\/|$)/.test(pathname);
  if (!isRoute && !isAsset && !isPage) return null;
  const file = isAsset ? `${webDist}${pathname}` : `${webDist}/index.html`;
  try {
    const body = await Deno.readFile(file);
    const type = contentTypes[file.split(".").pop() ?? ""] ?? "application/octet-stream";
    return new Response(body, {
      status: isPage ? 404 : 200,
      headers: { "content-type": type, "cache-control": isAsset ? "public, max-age=31536000, immutable" : "no-cache" },
    });
  } catch {
    return isAsset ? null : problem(404, "not_found", "the web app is not built (cd web && npm run build)");
  }
}

// Resend, where no real one is configured: the one Resend fake, its emails into the inbox.
const resend = resendFake(env("RESEND_API_KEY", "re_local_inbox"), (email) => {
  deliverToInbox(email);
});

const log = (event: Record<string, unknown>) => console.log(JSON.stringify({ service: "gateway", ...event }));
const problem = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

class Isolate {
  readonly port = freePort();
  private restarts = 0;
  private generation = 0;
  private answering = false;
  private pid?: number;

  /** Which process this is: changes at every (re)start. */
  get instance(): number {
    return this.generation;
  }

  constructor(
    readonly fn: FunctionConfig,
    private readonly bundleDir: string,
    private readonly readAccess: string,
    private env: Record<string, string>,
  ) {}

  /** Started again with `env` (new function secrets): the running process is stopped and
   * the supervisor's restart brings up its successor. */
  reload(env: Record<string, string>) {
    this.env = env;
    this.answering = false;
    this.restarts = 0;
    try {
      if (this.pid) Deno.kill(this.pid, "SIGTERM");
    } catch { /* already gone: its restart is under way */ }
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  start() {
    const generation = ++this.generation;
    this.answering = false;
    this.cpuSamples = []; // a new process: its CPU clock starts again
    const started = performance.now();
    const child = new Deno.Command(edgeDeno, {
      args: userWorkerArgs(this.fn, this.bundleDir, this.readAccess, this.port, env("USER_WORKER_MEMORY_MB", "256")),
      // Only what Supabase gives a function, and its secrets: nothing of this process's.
      clearEnv: true,
      env: this.env,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    this.pid = child.pid;
    this.waitUntilAnswering(generation, started);
    child.status.then((status) => {
      this.answering = false;
      this.restarts++;
      const delay = Math.min(5000, 100 * 2 ** Math.min(this.restarts - 1, 6));
      log({ event: "function_exited", function: this.fn.name, code: status.code, signal: status.signal, restart_in_ms: delay });
      setTimeout(() => this.start(), delay);
    });
  }

  private async waitUntilAnswering(generation: number, started: number) {
    while (generation === this.generation) {
      try {
        const response = await fetch(`${this.url}/__edge_runtime/stats`);
        await response.body?.cancel();
        if (response.ok) break;
      } catch { /* not listening yet */ }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (generation !== this.generation) return;
    this.answering = true;
    log({ event: "function_ready", function: this.fn.name, ms: Math.round(performance.now() - started) });
    this.restarts = Math.max(0, this.restarts - 1);
  }

  /** Resolves once the isolate answers; false when it did not within `ms`. */
  async whenReady(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!this.answering && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.answering;
  }

  isReady(): boolean {
    return this.answering;
  }

  /** The isolate said it is going away: wait for its successor from now on. */
  retire() {
    this.answering = false;
  }

  /** CPU time of the isolate's thread so far, in ms (the first field of
   * /proc/<pid>/schedstat, in ns: the main thread, where JavaScript and WebAssembly run). */
  cpuMs(): number | undefined {
    try {
      return Number(Deno.readTextFileSync(`/proc/${this.pid}/schedstat`).split(" ")[0]) / 1e6;
    } catch {
      return undefined;
    }
  }

  // The isolate's CPU clock, sampled every 100 ms, so that requests pay nothing for it:
  // a request's CPU is read (from the sample before it started) only when it ran long
  // enough to matter, i.e. for longer than the smallest CPU time worth logging.
  private cpuSamples: number[] = [];
  private cpuTicks = 0;

  sampleCpu() {
    const cpu = this.cpuMs();
    if (cpu === undefined) return;
    this.cpuSamples.push(cpu);
    this.cpuTicks++;
    if (this.cpuSamples.length > 2000) this.cpuSamples.shift(); // 200 s > the wall clock limit
  }

  cpuMark(): number {
    if (this.cpuSamples.length === 0) this.sampleCpu(); // just (re)started: none taken yet
    return this.cpuTicks;
  }

  /** CPU used since `mark` (within one sampling period), or undefined if unknown. */
  cpuSince(mark: number): number | undefined {
    const index = this.cpuSamples.length - 1 - (this.cpuTicks - mark);
    const now = this.cpuMs();
    if (index < 0 || now === undefined) return undefined;
    return now - this.cpuSamples[index];
  }
}

// Bundle and start every function: those of supabase/config.toml, and the extra
// directories (test fixtures, the benchmark's TypeScript baseline; never deployed).
const only = (Deno.env.get("GATEWAY_FUNCTIONS") ?? "").split(",").filter(Boolean);
const configs = (await readFunctionConfigs()).filter((fn) => only.length === 0 || only.includes(fn.name));
const extras = (Deno.env.get("EXTRA_FUNCTION_DIRS") ?? "").split(",").filter(Boolean);
const isolates = new Map<string, Isolate>();
const environment = await functionEnv();
for (const fn of configs) {
  const dir = `${stackDir}/functions/${fn.name}`;
  await bundle(fn, dir);
  isolates.set(fn.name, new Isolate(fn, dir, dir, environment));
}
for (const extra of extras) {
  const fn = extraFunctionConfig(extra);
  const rust = await Deno.stat(`${extra}/Cargo.toml`).then(() => true, () => false);
  if (rust) {
    const dir = `${stackDir}/functions/${fn.name}`;
    await bundle(fn, dir);
    isolates.set(fn.name, new Isolate(fn, dir, dir, environment));
  } else {
    // TypeScript baselines import npm packages from the checkout's node_modules.
    isolates.set(fn.name, new Isolate(fn, root, root, environment));
  }
}
for (const isolate of isolates.values()) isolate.start();
// Where `stack.sh secrets` sends its SIGHUP (the supervisor's pid is not this process's).
await Deno.writeTextFile(`${stackDir}/run/gateway-process.pid`, String(Deno.pid));
Deno.addSignalListener("SIGHUP", async () => {
  const reloaded = await functionEnv();
  log({ event: "function_secrets_reloaded", functions: isolates.size });
  for (const isolate of isolates.values()) isolate.reload(reloaded);
});
setInterval(() => isolates.forEach((isolate) => isolate.sampleCpu()), 100);

/**
 * What a function is given, as Supabase gives it today: the project's URL and database
 * URL, its keys as JSON objects (`{"default": …}`), its public JWT key set, the legacy
 * keys only while legacy keys are on; then the function secrets the stack was started
 * with (`$STACK_DIR/function-secrets.env`, from supabase/functions/.env or
 * FUNCTIONS_ENV_FILE); and the stand-in's own limits.
 */
async function functionEnv(): Promise<Record<string, string>> {
  const given: Record<string, string> = {
    SUPABASE_URL: env("SUPABASE_URL"),
    SUPABASE_DB_URL: env("DATABASE_URL"),
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishable }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secret }),
    SUPABASE_JWKS: JSON.stringify(keys.jwks),
  };
  if (keys.legacyOn) {
    given.SUPABASE_ANON_KEY = keys.legacyAnon;
    given.SUPABASE_SERVICE_ROLE_KEY = keys.legacyServiceRole;
  }
  const secrets = await Deno.readTextFile(`${stackDir}/function-secrets.env`).catch(() => "");
  for (const line of secrets.split("\n")) {
    const at = line.indexOf("=");
    // Names starting with SUPABASE_ are Supabase's own: `supabase secrets set` refuses them.
    if (at > 0 && !line.startsWith("#") && !line.startsWith("SUPABASE_")) given[line.slice(0, at)] = line.slice(at + 1);
  }
  for (const name of ["USER_WORKER_MEMORY_MB", "USER_WORKER_WALL_CLOCK_MS", "HOME", "PATH"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) given[name] = value;
  }
  given.DENO_NO_UPDATE_CHECK = "1";
  // Recorded with the stack (0600), so tests that run a function outside the gateway give
  // it exactly this.
  await Deno.writeTextFile(`${stackDir}/function-env.json`, JSON.stringify(given), { mode: 0o600 });
  return given;
}

/** `verify_jwt`: a JWT signed with the project's current key or its legacy secret. */
async function verifyJwt(headers: Headers): Promise<boolean> {
  const token = headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  return token !== undefined && (await keys.verify(token)) !== null;
}

/** The request with the platform's credentials applied (see translateCredentials). */
async function withCredentials(request: Request, surface: Surface, requireApiKey: boolean): Promise<Request | Response> {
  const headers = await translateCredentials(keys, request, surface, requireApiKey);
  return headers instanceof Response ? headers : new Request(request, { headers });
}

/** What goes upstream of a request: its method and the headers to send (a copy of the
 * caller's, credentials applied, owned by this request). Kept apart from a `Request` so
 * that each hop copies the headers once, not three times. (The caller's `signal` is not
 * passed on: reading it makes Deno build an abort event and a DOMException for every
 * request when its answer completes, measurable per request; a caller that goes away
 * before its body is read is still recognised, below.) */
type Outgoing = { method: string; headers: Headers };

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

async function forward(
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
  // A deadline for the upstream's answer to begin, not for its body: a long streamed
  // answer is not cut, but an upstream that accepts connections and never answers (a
  // stopped process: the kernel still completes the handshake) is given up on.
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

function relay(upstream: Response): Response {
  const headers = new Headers(upstream.headers);
  headers.delete("content-length");
  headers.delete("x-edge-runtime-retiring");
  return new Response(upstream.body, { status: upstream.status, headers });
}

async function toPostgrest(request: Request, path: string, search: string): Promise<Response> {
  const headers = await translateCredentials(keys, request, "rest", request.method !== "OPTIONS");
  if (headers instanceof Response) return headers;
  // Bodies whole, not streamed: a streamed (chunked) request costs PostgREST and this
  // process a millisecond more than the same few bytes with a Content-Length.
  const body = request.body ? await request.arrayBuffer() : null;
  const outgoing = { method: request.method, headers };
  return relay(await forward(outgoing, `${postgrestUrl}${path}${search}`, body, upstreamTimeoutMs));
}

/** The answer to a caller that has gone away (it is never read), counted in the log. */
let gonePerFunction = new Map<string, number>();
function gone(name: string): Response {
  gonePerFunction.set(name, (gonePerFunction.get(name) ?? 0) + 1);
  return new Response(null, { status: 499 });
}
setInterval(() => {
  if (gonePerFunction.size === 0) return;
  log({ event: "callers_gone", functions: Object.fromEntries(gonePerFunction) });
  gonePerFunction = new Map();
}, 1000);

async function toFunction(original: Request, isolate: Isolate, subpath: string, search: string): Promise<Response> {
  const name = isolate.fn.name;
  const headers = await translateCredentials(keys, original, "functions", false);
  if (headers instanceof Response) return headers;
  const request: Outgoing = { method: original.method, headers };
  if (isolate.fn.verifyJwt && request.method !== "OPTIONS" && !(await verifyJwt(headers))) {
    return problem(401, "invalid_jwt", "missing or invalid JWT");
  }
  if (!(await isolate.whenReady(bootWaitMs))) {
    return problem(503, "function_unavailable", `${name} is not running; retry`);
  }
  const cpuMark = isolate.cpuMark();
  const started = performance.now();
  // Function bodies are small (the functions refuse more than 128 KiB): kept, so a request
  // a retiring isolate refused without running it can be sent to its successor.
  let body: ArrayBuffer | null;
  try {
    body = original.body ? await original.arrayBuffer() : null;
  } catch {
    // The caller went away before its body was read: nothing to run, nobody to answer.
    return gone(name);
  }
  const target = `${isolate.url}/${name}${subpath}${search}`;
  const instance = isolate.instance;
  try {
    let upstream = await forward(request, target, body).catch(async (error) => {
      // A pooled connection the isolate had just closed (it does so after answering
      // without reading a body, e.g. a 413): the request never reached it. If the same
      // isolate is still up a moment later, send it again; if the isolate died, it is the
      // crash, and the answer is 502.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (isolate.instance !== instance || !isolate.isReady()) throw error;
      return await forward(request, target, body);
    });
    if (upstream.headers.has("x-edge-runtime-retiring")) {
      isolate.retire();
      if (upstream.status === 503 && (await isolate.whenReady(bootWaitMs))) {
        await upstream.body?.cancel();
        upstream = await forward(request, target, body);
      }
    }
    return relay(upstream);
  } catch {
    return problem(502, "function_crashed", `${name} stopped while handling the request; retry`);
  } finally {
    // The isolate's CPU while this request was in flight (shared with any concurrent
    // ones); it cannot exceed the wall time, so short requests are not even looked at.
    const wall = performance.now() - started;
    const cpu = wall > cpuLimitMs / 10 ? isolate.cpuSince(cpuMark) ?? 0 : 0;
    if (cpu > cpuLimitMs / 10) {
      log({
        event: cpu > cpuLimitMs ? "cpu_limit_exceeded" : "cpu_time",
        function: name,
        cpu_ms: Math.round(cpu),
        wall_ms: Math.round(wall),
        limit_ms: cpuLimitMs,
      });
    }
  }
}

// Methods `fetch` cannot send on: nothing here serves them. Said as such (405, with what
// is served), not reported as the upstream's failure.
const unforwardable = new Set(["CONNECT", "TRACE", "TRACK"]);
const forwardable = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => log({ event: "listening", port }) }, async (request) => {
  const url = new URL(request.url);
  if (unforwardable.has(request.method.toUpperCase())) {
    return Response.json(
      { error: { code: "method_not_allowed", message: `${request.method} is not served; use ${forwardable}` } },
      { status: 405, headers: { allow: forwardable } },
    );
  }
  if (url.pathname === "/health") {
    const states = Object.fromEntries([...isolates].map(([name, isolate]) => [name, isolate.isReady() ? "ready" : "starting"]));
    const ready = Object.values(states).every((state) => state === "ready");
    return Response.json({ status: ready ? "ok" : "starting", functions: states }, { status: ready ? 200 : 503 });
  }
  if (url.pathname === "/_stack/stats") {
    const functions: Record<string, unknown> = {};
    await Promise.all([...isolates].map(async ([name, isolate]) => {
      functions[name] = await fetch(`${isolate.url}/__edge_runtime/stats`).then((r) => r.json(), () => null);
    }));
    const own = Deno.memoryUsage();
    return Response.json({ gateway_rss_bytes: own.rss, gateway_heap_used_bytes: own.heapUsed, functions });
  }
  if (url.pathname.startsWith("/rest/v1/") || url.pathname === "/rest/v1") {
    try {
      return await toPostgrest(request, url.pathname.slice("/rest/v1".length) || "/", url.search);
    } catch (error) {
      if (error instanceof DOMException && error.name === "TimeoutError") {
        return problem(504, "upstream_timeout", `PostgREST did not answer within ${upstreamTimeoutMs} ms`);
      }
      return problem(502, "upstream_error", "PostgREST is not answering");
    }
  }
  if (url.pathname.startsWith("/auth/v1/")) {
    try {
      // The links in emails and the public key set are opened without a key, as on Supabase.
      const open = /^\/auth\/v1\/(verify|callback|authorize|\.well-known\/jwks\.json)$/.test(url.pathname);
      const translated = await withCredentials(request, "auth", !open && request.method !== "OPTIONS");
      if (translated instanceof Response) return withCors(translated);
      return withCors(await auth(translated, url));
    } catch (error) {
      log({ event: "auth_error", error: String(error) });
      return withCors(Response.json({ code: 500, error_code: "unexpected_failure", msg: "Unexpected failure" }, { status: 500 }));
    }
  }
  if (url.pathname.startsWith("/_inbox/resend/")) return await resend(request, url.pathname.slice("/_inbox/resend".length));
  if (url.pathname.startsWith("/_inbox")) return await inboxHandler(request, url);
  if (url.pathname === "/app-config.json") {
    return Response.json({ supabaseUrl: env("SUPABASE_URL"), publishableKey: keys.publishable });
  }
  if (request.method === "GET") {
    const page = await webApp(url.pathname, request.headers.get("accept") ?? "");
    if (page) return page;
  }
  const match = url.pathname.match(/^\/functions\/v1\/([A-Za-z0-9_-]+)(\/.*)?$/);
  const isolate = match && isolates.get(match[1]);
  if (!isolate) return problem(404, "not_found", "no such route");
  return await toFunction(request, isolate, match![2] ?? "", url.search);
});
