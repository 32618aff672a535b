// /functions/v1/<name>/<subpath>: the platform's key handling, `verify_jwt`, then the
// function's own process, which sees /<name>/<subpath>?<query> as on Supabase.
import type { ProjectKeys } from "../project-keys.ts";
import { translateCredentials } from "../project-keys.ts";
import type { FunctionProcess } from "./function-process.ts";
import { log, problem } from "./respond.ts";
import { forward, type Outgoing, relay } from "./upstream.ts";

export type FunctionLimits = {
  /** How long a request waits for a (re)starting process before it is answered 503. */
  bootWaitMs: number;
  /** Edge-runtime's CPU budget per request; measured and logged here, not enforced. */
  cpuLimitMs: number;
};

/** Callers that went away before their request was read (never answered), counted in the
 * log once a second rather than reported one by one as failures. */
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

/** `verify_jwt`: a JWT signed with the project's current key or its legacy secret. */
async function verifyJwt(keys: ProjectKeys, headers: Headers): Promise<boolean> {
  const token = headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  return token !== undefined && (await keys.verify(token)) !== null;
}

export async function toFunction(
  keys: ProjectKeys,
  limits: FunctionLimits,
  original: Request,
  functionProcess: FunctionProcess,
  subpath: string,
  search: string,
): Promise<Response> {
  const name = functionProcess.fn.name;
  const headers = await translateCredentials(keys, original, "functions", false);
  if (headers instanceof Response) return headers;
  const request: Outgoing = { method: original.method, headers };
  if (functionProcess.fn.verifyJwt && request.method !== "OPTIONS" && !(await verifyJwt(keys, headers))) {
    return problem(401, "invalid_jwt", "missing or invalid JWT");
  }
  if (!(await functionProcess.whenReady(limits.bootWaitMs))) {
    return problem(503, "function_unavailable", `${name} is not running; retry`);
  }
  const cpuMark = functionProcess.cpu.mark();
  const started = performance.now();
  // Function bodies are small (the functions refuse more than 128 KiB): kept, so a request
  // a retiring process refused without running it can be sent to its successor.
  let body: ArrayBuffer | null;
  try {
    body = original.body ? await original.arrayBuffer() : null;
  } catch {
    // The caller went away before its body was read: nothing to run, nobody to answer.
    return gone(name);
  }
  const target = `${functionProcess.url}/${name}${subpath}${search}`;
  const instance = functionProcess.instance;
  try {
    let upstream = await forward(request, target, body).catch(async (error) => {
      // A pooled connection the process had just closed (it does so after answering
      // without reading a body, e.g. a 413): the request never reached it. If the same
      // process is still up a moment later, send it again; if it died, it is the crash,
      // and the answer is 502.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (functionProcess.instance !== instance || !functionProcess.isReady()) throw error;
      return await forward(request, target, body);
    });
    if (upstream.headers.has("x-edge-runtime-retiring")) {
      functionProcess.retire();
      if (upstream.status === 503 && (await functionProcess.whenReady(limits.bootWaitMs))) {
        await upstream.body?.cancel();
        upstream = await forward(request, target, body);
      }
    }
    return relay(upstream);
  } catch {
    return problem(502, "function_crashed", `${name} stopped while handling the request; retry`);
  } finally {
    // The process's CPU while this request was in flight (shared with any concurrent
    // ones); it cannot exceed the wall time, so short requests are not even looked at.
    const wall = performance.now() - started;
    const cpu = wall > limits.cpuLimitMs / 10 ? functionProcess.cpu.since(cpuMark) ?? 0 : 0;
    if (cpu > limits.cpuLimitMs / 10) {
      log({
        event: cpu > limits.cpuLimitMs ? "cpu_limit_exceeded" : "cpu_time",
        function: name,
        cpu_ms: Math.round(cpu),
        wall_ms: Math.round(wall),
        limit_ms: limits.cpuLimitMs,
      });
    }
  }
}
