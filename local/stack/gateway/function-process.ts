// One function's isolate, as edge-runtime's user worker: a Deno 2.1.4 process of its own
// (local/stack/user-worker.ts) on the function's bundle, with edge-runtime's permissions
// (all env, all net, read access to its bundle only) and nothing of the gateway's
// environment. Supervised: a process that exits (a crash, its memory limit) is started
// again with a growing delay, and requests wait for its successor.
import { edgeDeno, type FunctionConfig, userWorkerArgs } from "../bundle.ts";
import { CpuClock } from "./cpu-clock.ts";
import { log } from "./respond.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export class FunctionProcess {
  readonly port = freePort();
  readonly cpu = new CpuClock();
  private restarts = 0;
  private generation = 0;
  private answering = false;
  private pid?: number;

  constructor(
    readonly fn: FunctionConfig,
    private readonly bundleDir: string,
    private readonly readAccess: string,
    private env: Record<string, string>,
    private readonly memoryMb: string,
  ) {}

  /** Which process this is: changes at every (re)start. */
  get instance(): number {
    return this.generation;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  start() {
    const generation = ++this.generation;
    this.answering = false;
    const started = performance.now();
    const child = new Deno.Command(edgeDeno, {
      args: userWorkerArgs(this.fn, this.bundleDir, this.readAccess, this.port, this.memoryMb),
      // Only what Supabase gives a function, and its secrets: nothing of this process's.
      clearEnv: true,
      env: this.env,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    this.pid = child.pid;
    this.cpu.restart(child.pid);
    this.waitUntilAnswering(generation, started);
    child.status.then((status) => {
      this.answering = false;
      this.restarts++;
      const delay = Math.min(5000, 100 * 2 ** Math.min(this.restarts - 1, 6));
      log({ event: "function_exited", function: this.fn.name, code: status.code, signal: status.signal, restart_in_ms: delay });
      setTimeout(() => this.start(), delay);
    });
  }

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

  /** Resolves once the process answers; false when it did not within `ms`. */
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

  /** The process said it is going away: wait for its successor from now on. */
  retire() {
    this.answering = false;
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
}
