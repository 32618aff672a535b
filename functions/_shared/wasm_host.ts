// Serves a Rust edge function compiled with
// `wasm-bindgen --target web --experimental-reset-state-function`.
//
// Loading, as hosted Edge Functions allow it (edge-runtime embeds Deno 2.1.4): the glue
// (`pkg/<name>.js`) is a plain static import, so it is in the deployed bundle; the module
// bytes (`pkg/<name>_bg.wasm`) are a static file (`static_files` in supabase/config.toml)
// read with Deno.readFile and compiled once. No source-phase import, no computed import.
//
// Panics: a Rust panic inside an async wasm-bindgen future traps outside the request's
// promise and would end the isolate. So the panic hook (installed by `configure`) reports
// it, that instance's in-flight requests get a JSON 500, and `__wbg_reset_state()` gives a
// fresh instance of the module already compiled: nothing is imported or read again. Global
// `error` / `unhandledrejection` handlers keep the trap from ending the isolate.
//
// A module that is missing, truncated or fails to instantiate leaves the function
// answering 503 `function_unavailable` (naming it); the reason is logged.

type WasmGlue = {
  initSync(options: { module: WebAssembly.Module }): unknown;
  __wbg_reset_state(): void;
  configure(env: Record<string, string>, onPanic: () => void): void;
  serve(request: Request): Promise<Response>;
  wasm_memory_bytes(): number;
};

const deadlineMs = Number(Deno.env.get("FUNCTION_DEADLINE_MS") ?? "15000");

// Browser-facing functions answer with CORS headers even when they cannot run at all, so
// a frontend sees this error instead of an opaque network failure.
const jsonError = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, {
    status,
    headers: { "access-control-allow-origin": "*", "access-control-expose-headers": "x-request-id" },
  });

const log = (event: Record<string, unknown>) => console.error(JSON.stringify(event));

export async function serveWasm(name: string, glue: WasmGlue, wasmFile: URL): Promise<void> {
  let failure: string | undefined;
  try {
    glue.initSync({ module: new WebAssembly.Module(await Deno.readFile(wasmFile)) });
    glue.configure(Deno.env.toObject(), onPanic); // a missing variable fails the start, with its name
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    log({ function: name, event: "function_unavailable", reason: failure });
  }

  // Requests in flight: how to fail each one now (a panic), and when its deadline passes.
  // One timer checks every deadline, instead of a timer set and cleared per request
  // (timers and promises were a twentieth of an isolate's profile: tools/bench/profile.ts).
  const inFlight = new Map<() => void, { deadline: number; expire: () => void }>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [fail, { deadline, expire }] of inFlight) {
      if (deadline <= now) {
        inFlight.delete(fail);
        expire();
      }
    }
  }, 250);
  // Not what keeps the isolate alive (and where a runtime lacks unrefTimer, harmless).
  Deno.unrefTimer?.(sweep);
  function onPanic() {
    log({ function: name, event: "panic", in_flight: inFlight.size });
    for (const fail of inFlight.keys()) fail();
    inFlight.clear();
    // Not from inside the panicking call: the trap is still unwinding through it.
    setTimeout(() => {
      try {
        glue.__wbg_reset_state();
        glue.configure(Deno.env.toObject(), onPanic);
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
        log({ function: name, event: "reset_failed", reason: failure });
      }
    }, 0);
  }
  // A trap, or a callback of an instance already replaced (a timer or fetch of a request
  // that was in flight when it panicked; wasm-bindgen's glue refuses to run it).
  const isTrap = (e: unknown) =>
    e instanceof WebAssembly.RuntimeError ||
    (e instanceof Error && e.message === "Cannot invoke closure from previous WASM instance");
  for (const type of ["error", "unhandledrejection"] as const) {
    addEventListener(type, (event) => {
      const cause = "reason" in event ? event.reason : (event as ErrorEvent).error;
      if (isTrap(cause)) event.preventDefault();
    });
  }
  // Read only by the local stack's runtime stand-in (local/stack/user-worker.ts), for
  // the benchmark's check that WebAssembly memory does not grow; edge-runtime never reads
  // it, and it costs a deployment one map entry.
  // deno-lint-ignore no-explicit-any
  const localStackWasmMemory: Map<string, () => number> = ((globalThis as any).__localStackWasmMemory ??= new Map());
  localStackWasmMemory.set(name, () => (failure ? 0 : glue.wasm_memory_bytes()));

  Deno.serve((request) => {
    if (failure) return jsonError(503, "function_unavailable", `${name} is unavailable; retry later`);
    return new Promise<Response>((resolve) => {
      const fail = () => resolve(jsonError(500, "internal_error", "the function failed; retry"));
      const expire = () => resolve(jsonError(504, "deadline_exceeded", "the function took too long"));
      // A rejection that is not a trap is an instance broken some other way: logged.
      const failed = (error: unknown) => {
        if (!isTrap(error)) log({ function: name, event: "error", error: String(error) });
        fail();
      };
      inFlight.set(fail, { deadline: performance.now() + deadlineMs, expire });
      Promise.resolve()
        .then(() => glue.serve(request))
        .then(resolve, failed)
        .finally(() => inFlight.delete(fail));
    });
  });
}
