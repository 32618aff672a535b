// Where a function's isolate spends its CPU: a V8 CPU profile of one function's isolate
// under load, summed by what the time was spent on.
//
//   node_modules/.bin/deno run --no-lock -A tools/bench/profile.ts [function] [requests] [concurrency]
//   (defaults: on-signup-create-org 4000 32; on-signup-create-org and validate-invite)
//
// Needs a running stack (STACK_DIR, default .local). It starts a second isolate of the
// function exactly as the gateway starts one (Deno 2.1.4, its bundle, its env), with V8's
// inspector on, and sends it the requests straight (not through the gateway, whose own
// cost is measured by `make bench`); each request makes the function's one database call
// through the stack's gateway, as in production. The profile is taken through the
// inspector protocol (Profiler.start / Profiler.stop, 100 µs sampling).
//
// PROFILE_GATEWAY=<host:port> profiles the stack's gateway instead (start the stack with
// GATEWAY_INSPECT=<host:port>), with the requests sent through it to the function.
// PROFILE=off prints the CPU alone. Otherwise it prints, per request: the process's CPU
// from /proc (user + system), unprofiled and profiled, the profile's
// categories (HTTP in, the WASM bridge, WASM, the outgoing fetch, JSON, logging, timers
// and promises, GC, native), and the functions with the most self time.

import { edgeDeno, readFunctionConfigs, userWorkerArgs } from "../../local/stack/bundle.ts";
import postgres from "postgres";

const [name = "on-signup-create-org", requestsArg = "4000", concurrencyArg = "32"] = Deno.args;
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const stackDir = Deno.env.get("STACK_DIR") ?? `${root}/.local`;
const readEnv = (file: string) =>
  Object.fromEntries(
    Deno.readTextFileSync(file).split("\n").filter((line) => line.includes("=")).map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)];
    }),
  );
const stack = readEnv(`${stackDir}/stack.env`);
const functionEnv: Record<string, string> = JSON.parse(Deno.readTextFileSync(`${stackDir}/function-env.json`));

const fn = (await readFunctionConfigs()).find((config) => config.name === name);
if (!fn) throw new Error(`no function ${name} in supabase/config.toml`);
const bundleDir = `${stackDir}/functions/${name}`;
const freePort = () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
};
// PROFILE_GATEWAY=<host:port>: profile the stack's gateway instead (started with
// GATEWAY_INSPECT=<host:port>), driving the function through it.
const gatewayInspector = Deno.env.get("PROFILE_GATEWAY");
const port = freePort();
const inspectorAddress = gatewayInspector ?? `127.0.0.1:${freePort()}`;
const args = userWorkerArgs(fn, bundleDir, bundleDir, port);
args.splice(1, 0, `--inspect=${inspectorAddress}`);
const child = gatewayInspector
  ? undefined
  : new Deno.Command(edgeDeno, { args, clearEnv: true, env: functionEnv, stdout: "null", stderr: "null" }).spawn();
const profiledPid = child?.pid ?? Number(Deno.readTextFileSync(`${stackDir}/run/gateway-process.pid`));

async function until<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    try {
      return await attempt();
    } catch { /* not yet */ }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not come up`);
}
if (child) {
  await until("the isolate", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/__edge_runtime/stats`);
    await response.body?.cancel();
    if (!response.ok) throw new Error();
  });
}
const targets = await until("the inspector", async () => (await fetch(`http://${inspectorAddress}/json/list`)).json());
const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
let nextId = 1;
const pending = new Map<number, (result: unknown) => void>();
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  pending.get(message.id)?.(message.result);
  pending.delete(message.id);
});
// deno-lint-ignore no-explicit-any
const send = (method: string, params: Record<string, unknown> = {}): Promise<any> =>
  new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });

// One request of the kind the function serves, whose work is one database call.
type Prepared = { path: string; init: RequestInit };
async function prepare(): Promise<Prepared> {
  if (name === "on-signup-create-org") {
    // A user who has signed up already: the call is the same one database round trip,
    // answered from what exists (the function's idempotent path).
    const sql = postgres(stack.DATABASE_URL, { max: 1, onnotice: () => {} });
    const [user] = await sql`select id, email from auth.users order by created_at limit 1`;
    await sql.end();
    if (!user) throw new Error("no user in the stack to sign up again; run a test or the bench first");
    const body = JSON.stringify({
      type: "INSERT", table: "users", schema: "auth", old_record: null,
      record: { id: user.id, email: user.email, raw_user_meta_data: { full_name: "Profile" } },
    });
    return {
      path: "",
      init: {
        method: "POST", body,
        headers: { "content-type": "application/json", authorization: `Bearer ${functionEnv.ONBOARDING_WEBHOOK_SECRET}` },
      },
    };
  }
  if (name === "validate-invite") {
    return { path: `?token=${"A".repeat(43)}`, init: { method: "GET" } };
  }
  throw new Error(`no request prepared for ${name}; profile on-signup-create-org or validate-invite`);
}
const { path, init } = await prepare();
const url = gatewayInspector ? `${stack.SUPABASE_URL}/functions/v1/${name}${path}` : `http://127.0.0.1:${port}/${name}${path}`;
const drive = async (count: number) => {
  let next = 0;
  const statuses = new Map<number, number>();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < count) {
      const response = await fetch(url, init);
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  }));
  return statuses;
};

const cpuTicks = () => {
  const fields = Deno.readTextFileSync(`/proc/${profiledPid}/stat`).split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
};
await drive(500); // warm-up: JIT and WASM tiers, connection pools
// First without the profiler (sampling costs the isolate CPU of its own), then with it.
let ticksBefore = cpuTicks();
let started = performance.now();
await drive(requests);
const unprofiled = { ticks: cpuTicks() - ticksBefore, elapsed: performance.now() - started };
if (Deno.env.get("PROFILE") === "off") {
  // The CPU alone (for comparing two versions of the isolate, run after run).
  console.log(`${name}: CPU of the ${child ? "isolate" : "gateway"}'s process (/proc): ${(unprofiled.ticks * 10 / requests * 1000).toFixed(0)} µs per request`);
  socket.close();
  child?.kill("SIGTERM");
  await child?.status;
  Deno.exit(0);
}
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
ticksBefore = cpuTicks();
await send("Profiler.start");
started = performance.now();
const statuses = await drive(requests);
const elapsed = performance.now() - started;
const { profile } = await send("Profiler.stop");
const ticks = cpuTicks() - ticksBefore;
socket.close();
child?.kill("SIGTERM");
await child?.status;

type Node = { id: number; callFrame: { functionName: string; url: string }; children?: number[] };
const nodes = new Map<number, Node>((profile.nodes as Node[]).map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
(profile.samples as number[]).forEach((id, index) => {
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas as number[])[index] / 1000);
});

function category({ functionName, url }: Node["callFrame"]): string {
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(program)") return "native (Deno's Rust side: sockets, HTTP parsing, ops)";
  if (url.startsWith("wasm://") || /^\$?wasm-function/.test(functionName)) return "WASM (the function's Rust)";
  if (url.includes("/pkg/")) return "the WASM bridge (wasm-bindgen glue)";
  if (url.includes("wasm_host.ts")) return "the shim (wasm_host.ts)";
  if (url.includes("user-worker.ts")) return "the runtime stand-in (user-worker.ts)";
  if (url.includes("/local/stack/gateway")) return "the gateway's own code (gateway.ts, gateway/)";
  if (url.includes("project-keys.ts")) return "API keys and credentials (project-keys.ts)";
  if (/ext:deno_http|ext:deno_net|ext:deno_web\/06_streams|00_serve/.test(url)) return "HTTP in (Deno.serve) and streams";
  if (/ext:deno_fetch\/26_fetch|22_http_client|ext:deno_fetch\/23_request/.test(url)) return "fetch out (the database call)";
  if (/ext:deno_fetch/.test(url)) return "Request/Response/Headers objects";
  if (/ext:deno_console|ext:deno_io|01_console/.test(url)) return "logging (console)";
  if (functionName === "parse" || functionName === "stringify" || url.includes("JSON")) return "JSON";
  if (/ext:core|ext:deno_web\/02_timers|ext:deno_web/.test(url)) return "timers, promises, text codecs (ext:core, deno_web)";
  return `other (${url.split("/").pop() || functionName})`;
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const node = nodes.get(id)!;
  const key = category(node.callFrame);
  byCategory.set(key, (byCategory.get(key) ?? 0) + ms);
  const label = `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.split("/").slice(-2).join("/")}`;
  byFunction.set(label, (byFunction.get(label) ?? 0) + ms);
}
const busy = [...byCategory].filter(([key]) => key !== "idle").reduce((sum, [, ms]) => sum + ms, 0);
const perRequest = (ms: number) => (ms / requests * 1000).toFixed(1).padStart(7);
console.log(`${name}: ${requests} requests at concurrency ${concurrency} straight to its isolate in ${(elapsed / 1000).toFixed(2)} s (${
  Math.round(requests / elapsed * 1000)
} req/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
console.log(`CPU of the ${child ? "isolate" : "gateway"}'s process (/proc): ${(unprofiled.ticks * 10 / requests * 1000).toFixed(0)} µs per request (${
  Math.round(requests / unprofiled.elapsed * 1000)
} req/s); ${(ticks * 10 / requests * 1000).toFixed(0)} µs while profiled`);
console.log(`the profile's busy time (main thread): ${perRequest(busy).trim()} µs per request, by what it was spent on:`);
for (const [key, ms] of [...byCategory].filter(([key]) => key !== "idle").sort((a, b) => b[1] - a[1])) {
  console.log(`  ${perRequest(ms)} µs  ${(ms / busy * 100).toFixed(0).padStart(3)}%  ${key}`);
}
console.log("the functions with the most self time:");
for (const [label, ms] of [...byFunction].filter(([label]) => !label.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`  ${perRequest(ms)} µs  ${label}`);
}
