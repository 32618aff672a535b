// Serves a Rust edge function compiled with `wasm-bindgen --target module`.
//
// A Rust panic inside an async wasm-bindgen future traps outside the request's promise
// and would end the whole Deno process. So: the instance reports its panic (the hook
// installed by `configure`), in-flight requests of that instance get a JSON 500, a
// fresh instance is created by re-importing the glue module (the `module` target
// instantiates the shared compiled wasm on import), and global `error` /
// `unhandledrejection` handlers keep the trap from ending the process.

type WasmFunction = {
  configure(env: Record<string, string>, onPanic: () => void): void;
  serve(request: Request): Promise<Response>;
  wasm_memory_bytes(): number;
};

const deadlineMs = Number(Deno.env.get("FUNCTION_DEADLINE_MS") ?? "15000");

const jsonError = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });

// `first` is the statically imported glue (so bundlers see it); `glue` is its URL, used
// to import a fresh instance after a panic.
export function serveWasm(name: string, first: WasmFunction, glue: URL): void {
  let instance = first;
  let generation = 0;
  const inFlight = new Set<() => void>();
  const load = async () => {
    const fresh: WasmFunction = await import(`${glue.href}?instance=${++generation}`);
    fresh.configure(Deno.env.toObject(), onPanic);
    instance = fresh;
  };
  const onPanic = () => {
    console.error(JSON.stringify({ function: name, event: "panic", in_flight: inFlight.size }));
    for (const fail of inFlight) fail();
    inFlight.clear();
    queueMicrotask(() => load().catch((e) => console.error(`${name}: re-init failed`, e)));
  };
  const isTrap = (e: unknown) => e instanceof WebAssembly.RuntimeError;
  for (const type of ["error", "unhandledrejection"] as const) {
    addEventListener(type, (event) => {
      const cause = "reason" in event ? event.reason : (event as ErrorEvent).error;
      if (isTrap(cause)) event.preventDefault();
    });
  }
  first.configure(Deno.env.toObject(), onPanic); // a missing variable fails the start, with its name
  // For the local stack's /_stack/stats (benchmarks watch that memory does not grow).
  // deno-lint-ignore no-explicit-any
  ((globalThis as any).__wasmStats ??= new Map()).set(name, () => instance.wasm_memory_bytes());
  Deno.serve((request) =>
    new Promise<Response>((resolve) => {
      const fail = () => resolve(jsonError(500, "internal_error", "the function failed; retry"));
      const timer = setTimeout(() => resolve(jsonError(504, "deadline_exceeded", "the function took too long")), deadlineMs);
      inFlight.add(fail);
      Promise.resolve()
        .then(() => instance.serve(request))
        .then(resolve, (e) => (isTrap(e) ? fail() : (console.error(`${name}:`, e), fail())))
        .finally(() => (clearTimeout(timer), inFlight.delete(fail)));
    })
  );
}
