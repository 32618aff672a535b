// What a deployed function holds: the entrypoint's local module graph plus the files its
// `static_files` patterns list in supabase/config.toml, nothing else — computed once, by
// the provisioning tool (`provision files`, as the Supabase CLI computes its upload).
//
// The local gateway runs every function from such a bundle (read access to it only), and
// the deploy check copies each one alone to a fresh directory and serves a request from it.
//
//   deno run … local/stack/bundle.ts <function name> <output dir>     prints the files copied
import { parse } from "smol-toml";

export type FunctionConfig = {
  name: string;
  verifyJwt: boolean;
  /** Relative to the repository root, e.g. supabase/functions/validate-invite/index.ts. */
  entrypoint: string;
  /** Patterns relative to the repository root; `*` matches within one path segment. */
  staticFiles: string[];
};

const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
/** The Deno that edge-runtime embeds (npm `@deno/linux-x64-glibc@2.1.4`, aliased). */
export const edgeDeno = `${root}/node_modules/deno-edge-runtime/deno`;

/** The `[functions.<name>]` sections of supabase/config.toml, paths made repo-relative. */
export async function readFunctionConfigs(): Promise<FunctionConfig[]> {
  const config = parse(await Deno.readTextFile(`${root}/supabase/config.toml`));
  const functions = (config.functions ?? {}) as Record<string, Record<string, unknown>>;
  const fromSupabaseDir = (path: string) => `supabase/${path.replace(/^\.\//, "")}`;
  return Object.entries(functions).map(([name, section]) => ({
    name,
    verifyJwt: section.verify_jwt !== false,
    entrypoint: fromSupabaseDir(String(section.entrypoint ?? `./functions/${name}/index.ts`)),
    staticFiles: ((section.static_files ?? []) as string[]).map(fromSupabaseDir),
  }));
}

/** A test fixture or benchmark function outside supabase/ (never deployed): its
 * index.ts, and the WebAssembly in its pkg/ when it is a Rust crate. */
export function extraFunctionConfig(dir: string): FunctionConfig {
  const relative = dir.replace(/\/$/, "").replace(`${root}/`, "");
  return {
    name: relative.split("/").pop()!,
    verifyJwt: false,
    entrypoint: `${relative}/index.ts`,
    staticFiles: [`${relative}/pkg/*.wasm`],
  };
}

/** The command line that runs `fn` from `dir` in its own Deno 2.1.4 isolate
 * (local/stack/user-worker.ts) with edge-runtime's permissions: all env, all net, read access to
 * `readAccess` only (its bundle), and a V8 heap capped at `memoryMb`. */
export function userWorkerArgs(
  fn: FunctionConfig, dir: string, readAccess: string, port: number, memoryMb = "256",
): string[] {
  return [
    "run", "--quiet", "--no-lock", "--no-prompt", "--allow-env", "--allow-net", `--allow-read=${readAccess}`,
    `--v8-flags=--max-old-space-size=${memoryMb}`,
    `${root}/local/stack/user-worker.ts`, fn.name, dir, fn.entrypoint, String(port),
  ];
}

/** The provisioning tool's binary, which the stack has built (`provision migrate`). */
const provisionBin = `${Deno.env.get("CARGO_TARGET_DIR") ?? `${root}/target`}/debug/provision`;

/** The files a deployment of `fn` holds, repo-relative: the one computation of it, the
 * provisioning tool's (`provision files`: the Supabase CLI's upload, which the deploy
 * check compares with the real CLI's). */
export async function deployedFiles(fn: FunctionConfig): Promise<string[]> {
  const output = await new Deno.Command(provisionBin, {
    args: ["files", "--project-dir", root, "--entrypoint", fn.entrypoint, ...fn.staticFiles.flatMap((p) => ["--static", p])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(`provision files ${fn.name}: ${new TextDecoder().decode(output.stderr).trim()}`);
  return new TextDecoder().decode(output.stdout).split("\n").filter(Boolean).sort();
}

/** Copies the deployed files of `fn` into `out` (emptied first), keeping their paths. */
export async function bundle(fn: FunctionConfig, out: string): Promise<string[]> {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const files = await deployedFiles(fn);
  for (const file of files) {
    const target = `${out}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${root}/${file}`, target);
  }
  return files;
}

if (import.meta.main) {
  const [name, out] = Deno.args;
  const fn = (await readFunctionConfigs()).find((candidate) => candidate.name === name);
  if (!fn || !out) {
    console.error("usage: bundle.ts <function name from supabase/config.toml> <output dir>");
    Deno.exit(2);
  }
  for (const file of await bundle(fn, out)) console.log(file);
}
