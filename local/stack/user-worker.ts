// One function in its own isolate, as Supabase's edge-runtime runs a "user worker".
// Runs on Deno 2.1.4 (the Deno edge-runtime embeds), started by the gateway:
//
//   deno run --allow-env --allow-net --allow-read=<bundle> --v8-flags=--max-old-space-size=256 \
//     local/stack/user-worker.ts <name> <bundle dir> <entrypoint relative to it> <port>
//
// <bundle> holds exactly what `supabase functions deploy` would upload (local/stack/bundle.ts),
// so the function can read its own files and nothing else. This file is the local stand-in
// for edge-runtime's worker boot; it is never deployed.
//
// What it enforces, as edge-runtime does:
//   - the function's `Deno.serve(handler)` receives requests at /<name>/<subpath>?<query>;
//   - a function that fails to load answers 503 `function_unavailable` naming it;
//   - memory: V8 heap + external memory (WebAssembly memory included) above
//     USER_WORKER_MEMORY_MB (256), checked every 100 ms → in-flight requests get 546
//     `worker_limit`, the isolate exits and the gateway starts a fresh one; the V8 heap is
//     also capped by the flag above;
//   - wall clock: a request still running after USER_WORKER_WALL_CLOCK_MS (150 s) gets
//     546 `wall_clock_limit` (within 100 ms).
// CPU time per request is measured by the gateway, from outside (Deno 2.1.4 has no CPU
// clock an isolate can read).

const [name, bundleDir, entrypoint, portArg] = Deno.args;
if (!name || !bundleDir || !entrypoint || !portArg) {
  console.error("usage: user-worker.ts <name> <bundle dir> <entrypoint> <port>");
  Deno.exit(2);
}
const limitNumber = (variable: string, fallback: number) => Number(Deno.env.get(variable) ?? fallback);
const memoryLimitBytes = limitNumber("USER_WORKER_MEMORY_MB", 256) * 1024 * 1024;
const wallClockMs = limitNumber("USER_WORKER_WALL_CLOCK_MS", 150_000);
const bootStarted = performance.now();

const log = (event: Record<string, unknown>) =>
  console.log(JSON.stringify({ service: "edge-runtime", function: name, ...event }));
const problem = (status: number, code: string, message: string, headers: HeadersInit = {}) =>
  Response.json({ error: { code, message } }, { status, headers });
// Marks the answers of an isolate that is going away, so the gateway sends what follows
// to its successor (and re-sends a request this isolate refused without running it).
const retiring = { "x-edge-runtime-retiring": "1" };

type Handler = (request: Request, info?: unknown) => Response | Promise<Response>;
let handler: Handler | undefined;
const realServe = Deno.serve;
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  const found = args.find((arg) => typeof arg === "function") ?? args[0]?.handler;
  if (typeof found !== "function") throw new TypeError("Deno.serve: no handler given");
  if (handler) throw new Error("Deno.serve called twice");
  handler = found;
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: {} };
};

try {
  await import(new URL(entrypoint, `file://${bundleDir.replace(/\/?$/, "/")}`).href);
  if (!handler) throw new Error("it did not call Deno.serve");
} catch (error) {
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  log({ event: "boot_failed", reason });
  handler = () => problem(503, "function_unavailable", `${name} is unavailable: it failed to start`);
}
Deno.serve = realServe;

// Requests in flight, each with a way to answer it now (used when the isolate must stop)
// and the time its wall clock runs out. Checked on one timer for all of them, with the
// memory, instead of a timer and a memory reading per request (the reading alone was
// 45 µs of an isolate's profiled time per request: tools/bench/profile.ts).
const inFlight = new Map<(response: Response) => void, number>();
let stopping = false;

function memoryUsed(): number {
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

function checkMemory() {
  const used = memoryUsed();
  if (stopping || used <= memoryLimitBytes) return;
  stopping = true;
  log({ event: "memory_limit_exceeded", used_bytes: used, limit_bytes: memoryLimitBytes, in_flight: inFlight.size });
  for (const answer of inFlight.keys()) {
    answer(problem(546, "worker_limit", `${name} exceeded its memory limit and was restarted; retry`, retiring));
  }
  // Let those answers leave, then end the isolate; the gateway starts a fresh one.
  setTimeout(() => Deno.exit(70), 50);
}
function checkWallClock() {
  const now = performance.now();
  for (const [answer, deadline] of inFlight) {
    if (deadline <= now) answer(problem(546, "wall_clock_limit", `${name} ran past its wall clock limit`));
  }
}
setInterval(() => (checkMemory(), checkWallClock()), 100);

realServe({
  hostname: "127.0.0.1",
  port: Number(portArg),
  onListen: () => log({ event: "booted", boot_ms: Math.round(performance.now() - bootStarted) }),
}, (request, info) => {
  if (request.url.endsWith("/__edge_runtime/stats")) {
    // deno-lint-ignore no-explicit-any
    const wasm: Map<string, () => number> | undefined = (globalThis as any).__localStackWasmMemory;
    const usage = Deno.memoryUsage();
    return Response.json({ ...usage, wasm_memory_bytes: wasm?.get(name)?.() ?? null });
  }
  if (stopping) return problem(503, "function_unavailable", `${name} is restarting; retry`, retiring);
  return new Promise<Response>((resolve) => {
    let answered = false;
    const answer = (response: Response) => {
      if (answered) return;
      answered = true;
      inFlight.delete(answer);
      resolve(response);
    };
    inFlight.set(answer, performance.now() + wallClockMs);
    Promise.resolve()
      .then(() => handler!(request, info))
      .then(answer, (error) => {
        log({ event: "uncaught_error", error: error instanceof Error ? error.message : String(error) });
        answer(problem(500, "internal_error", "the function failed; retry"));
      });
  });
});
