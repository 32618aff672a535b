// A function process's CPU clock: the first field of /proc/<pid>/schedstat (ns), the main
// thread, where JavaScript and WebAssembly run. Sampled every 100 ms by the gateway, so
// that requests pay nothing for it: a request's CPU is read (from the sample before it
// started) only when it ran long enough to matter.

export class CpuClock {
  private samples: number[] = [];
  private ticks = 0;

  constructor(private pid?: number) {}

  /** A new process: its clock starts again. */
  restart(pid: number) {
    this.pid = pid;
    this.samples = [];
  }

  /** CPU time of the process's main thread so far, in ms. */
  now(): number | undefined {
    try {
      return Number(Deno.readTextFileSync(`/proc/${this.pid}/schedstat`).split(" ")[0]) / 1e6;
    } catch {
      return undefined;
    }
  }

  sample() {
    const cpu = this.now();
    if (cpu === undefined) return;
    this.samples.push(cpu);
    this.ticks++;
    if (this.samples.length > 2000) this.samples.shift(); // 200 s > the wall clock limit
  }

  mark(): number {
    if (this.samples.length === 0) this.sample(); // just (re)started: none taken yet
    return this.ticks;
  }

  /** CPU used since `mark` (within one sampling period), or undefined if unknown. */
  since(mark: number): number | undefined {
    const index = this.samples.length - 1 - (this.ticks - mark);
    const now = this.now();
    if (index < 0 || now === undefined) return undefined;
    return now - this.samples[index];
  }
}
