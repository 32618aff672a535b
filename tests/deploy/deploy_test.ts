// The deploy check: what would be deployed loads and serves on Supabase's edge-runtime
// Deno (2.1.4), alone, with read access to nothing but itself.
//
//   1. Each function of supabase/config.toml, copied alone as a deployment holds it (its
//      entrypoint's static module graph and its static_files, local/stack/bundle.ts), runs in
//      its own Deno 2.1.4 isolate with --allow-read on that copy only and answers a real
//      request (through PostgREST where the function reads the database).
//   2. A copy whose .wasm is truncated or missing answers 503 `function_unavailable`
//      naming the function.
//   3. The real Supabase CLI (npm `supabase`) runs `functions deploy --use-api` against a
//      fake of the Management API (local/fakes/management-api.ts); exactly what it uploads
//      is the same file set, and it serves the same requests on Deno 2.1.4.
//
// Needs a running stack (STACK_ENV_FILE) and the functions' secrets (FUNCTIONS_ENV_FILE).
import assert from "node:assert/strict";
import {
  bundle, deployedFiles, edgeDeno, type FunctionConfig, readFunctionConfigs, userWorkerArgs,
} from "../../local/stack/bundle.ts";
import { readEnvFile } from "../support/stack.mjs";

const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const stackEnv = readEnvFile(Deno.env.get("STACK_ENV_FILE")!);
// What the stack's gateway gives every function (Supabase's variables, the secrets).
const stackDir = Deno.env.get("STACK_ENV_FILE")!.replace(/\/[^/]*$/, "");
const functionEnv: Record<string, string> = JSON.parse(Deno.readTextFileSync(`${stackDir}/function-env.json`));
const functions = await readFunctionConfigs();

/** A request each function answers for real, and what it must answer. */
type Probe = { path: string; init: RequestInit; status: number; code?: string };
const unknownToken = "A".repeat(43);
const probes: Record<string, Probe[]> = {
  "on-signup-create-org": [{ path: "", init: { method: "POST", body: "{}" }, status: 401, code: "unauthorized" }],
  "send-invite-email": [{ path: "", init: { method: "POST", body: "{}" }, status: 401, code: "unauthorized" }],
  "validate-invite": [{ path: `?token=${unknownToken}`, init: {}, status: 404, code: "invite_not_found" }],
  "export-organization": [{ path: "", init: { method: "POST", body: "{}" }, status: 401, code: "unauthorized" }],
  "accept-invite": [
    { path: "", init: { method: "OPTIONS", headers: { origin: "https://app.test", "access-control-request-method": "POST" } }, status: 204 },
    { path: "", init: { method: "POST", body: "{}" }, status: 401, code: "unauthorized" },
  ],
  // The anon key is a valid JWT but not the service role: refused (by the gateway when
  // legacy keys are off, else by PostgREST on the claim). A server key is not presented.
  "deliver-webhooks": [{
    path: "",
    init: { method: "POST", headers: { authorization: `Bearer ${stackEnv.SUPABASE_ANON_KEY}` } },
    status: 401,
    code: "unauthorized",
  }],
  // SCIM's own error shape (no `code`): a token of the right shape that no directory has
  // is refused by the database.
  "scim": [
    { path: "/v2/Users", init: {}, status: 401 },
    { path: "/v2/Users", init: { headers: { authorization: `Bearer scim_${unknownToken}` } }, status: 401 },
  ],
  "user-onboarding": [{
    path: "/dispatch",
    init: { method: "POST", headers: { authorization: `Bearer ${stackEnv.SUPABASE_ANON_KEY}` } },
    status: 401,
    code: "unauthorized",
  }],
};

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Runs `fn` from `dir` in a Deno 2.1.4 isolate that may read `dir` and nothing else. */
async function isolate(fn: FunctionConfig, dir: string) {
  const port = freePort();
  const child = new Deno.Command(edgeDeno, {
    args: userWorkerArgs(fn, dir, dir, port),
    env: { ...functionEnv, DENO_NO_UPDATE_CHECK: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const url = `http://127.0.0.1:${port}/${fn.name}`;
  for (let tries = 0; ; tries++) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/__edge_runtime/stats`)).body?.cancel();
      break;
    } catch {
      if (tries > 400) throw new Error(`${fn.name} did not start: ${(await stop()).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  async function stop() {
    child.kill("SIGTERM");
    await child.status;
    return await output;
  }
  return { url, stop };
}

async function checkProbes(fn: FunctionConfig, url: string) {
  for (const probe of probes[fn.name] ?? []) {
    const response = await fetch(`${url}${probe.path}`, probe.init);
    const text = await response.text();
    assert.deepEqual(response.status, probe.status, `${fn.name} ${probe.init.method ?? "GET"} ${probe.path}: ${text}`);
    // Only the WebAssembly bridge sets x-request-id: the module really ran.
    assert(response.headers.get("x-request-id"), `${fn.name}: no x-request-id, so the WebAssembly did not answer`);
    if (probe.code) assert.deepEqual(JSON.parse(text).error.code, probe.code, fn.name);
  }
}

Deno.test("every function has a probe", () => {
  assert.deepEqual(functions.map((fn) => fn.name).sort(), Object.keys(probes).sort());
});

Deno.test("each function, copied alone as deployed, serves on Deno 2.1.4 reading only its own files", async () => {
  const work = await Deno.makeTempDir({ prefix: "deploy-check-" });
  try {
    for (const fn of functions) {
      const dir = `${work}/${fn.name}`;
      const files = await bundle(fn, dir);
      assert(files.includes(fn.entrypoint), `${fn.name}: the bundle lacks its entrypoint`);
      assert(files.some((file) => file.endsWith("_bg.wasm")), `${fn.name}: the bundle lacks its .wasm`);
      const running = await isolate(fn, dir);
      try {
        await checkProbes(fn, running.url);
      } finally {
        const [stdout, stderr] = await running.stop();
        assert(!/NotCapable|Requires read access/.test(stdout + stderr), `${fn.name} tried to read outside its bundle:\n${stderr}`);
      }
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a truncated or missing .wasm answers 503 function_unavailable naming the function", async () => {
  const fn = functions.find((candidate) => candidate.name === "validate-invite")!;
  const work = await Deno.makeTempDir({ prefix: "deploy-broken-" });
  try {
    const files = await bundle(fn, work);
    const wasm = `${work}/${files.find((file) => file.endsWith("_bg.wasm"))}`;
    const bytes = await Deno.readFile(wasm);
    for (const breakIt of [() => Deno.writeFile(wasm, bytes.slice(0, bytes.length / 2)), () => Deno.remove(wasm)]) {
      await breakIt();
      const running = await isolate(fn, work);
      try {
        const response = await fetch(`${running.url}?token=${unknownToken}`);
        const body = await response.json();
        assert.deepEqual(response.status, 503);
        assert.deepEqual(body.error.code, "function_unavailable");
        assert.match(body.error.message, /validate-invite/);
        assert.deepEqual(response.headers.get("access-control-allow-origin"), "*");
      } finally {
        await running.stop();
      }
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("`supabase functions deploy --use-api` uploads the deployed file set, and it serves on Deno 2.1.4", async () => {
  const work = await Deno.makeTempDir({ prefix: "deploy-cli-" });
  const projectRef = "deploycheckprojectrf";
  const port = freePort();
  const fake = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", "--allow-env", `--allow-read=${work}`, `--allow-write=${work}`,
      `${root}/local/fakes/management-api.ts`],
    env: { FAKE_MGMT_PORT: String(port), FAKE_MGMT_DIR: `${work}/uploads`, FAKE_MGMT_PROJECT_REF: projectRef },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const fakeOutput = Promise.all([new Response(fake.stdout).text(), new Response(fake.stderr).text()]);
  try {
    await Deno.mkdir(`${work}/uploads`);
    for (let tries = 0; ; tries++) {
      try {
        await (await fetch(`http://127.0.0.1:${port}/`)).body?.cancel();
        break;
      } catch {
        if (tries > 200) throw new Error("the Management API fake did not start");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    // A CLI profile (documented in the CLI's source: name, api_url, dashboard_url,
    // project_host) that points it at the fake.
    await Deno.writeTextFile(`${work}/profile.yaml`, [
      "name: deploy-check",
      `api_url: http://127.0.0.1:${port}`,
      `dashboard_url: http://127.0.0.1:${port}/dashboard`,
      "project_host: supabase.test",
    ].join("\n"));
    const cli = await new Deno.Command(`${root}/node_modules/.bin/supabase`, {
      args: ["functions", "deploy", "--use-api", "--project-ref", projectRef, "--yes"],
      cwd: root,
      env: {
        SUPABASE_PROFILE: `${work}/profile.yaml`,
        SUPABASE_ACCESS_TOKEN: `sbp_${"0123456789abcdef".repeat(3).slice(0, 40)}`,
        HOME: work,
        DO_NOT_TRACK: "1",
        SUPABASE_TELEMETRY_DISABLED: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const cliLog = new TextDecoder().decode(cli.stdout) + new TextDecoder().decode(cli.stderr);
    assert(cli.success, `supabase functions deploy failed:\n${cliLog}`);

    // The CLI reads supabase/functions, a link to the top-level functions/ (as
    // supabase/migrations links to migrations/); through it each function uploads exactly
    // what it uploaded when the folders lived under supabase/: its shim, its glue, its
    // module bytes and the shared host, under supabase/functions/.
    assert.equal(Deno.readLinkSync(`${root}/supabase/functions`), "../functions");
    for (const fn of functions) {
      const uploaded = JSON.parse(await Deno.readTextFile(`${work}/uploads/${fn.name}.json`));
      assert.deepEqual(uploaded.files, await deployedFiles(fn), `${fn.name}: the CLI uploaded another file set`);
      const lib = fn.name.replaceAll("-", "_");
      assert.deepEqual([...uploaded.files].sort(), [
        "supabase/functions/_shared/wasm_host.ts",
        `supabase/functions/${fn.name}/index.ts`,
        `supabase/functions/${fn.name}/pkg/${lib}.js`,
        `supabase/functions/${fn.name}/pkg/${lib}_bg.wasm`,
      ], `${fn.name}: the files a deployment has always held`);
      assert.deepEqual(uploaded.entrypoint_path, fn.entrypoint);
      assert.deepEqual(uploaded.verify_jwt, fn.verifyJwt, `${fn.name}: verify_jwt`);
      const running = await isolate(fn, `${work}/uploads/${fn.name}`);
      try {
        await checkProbes(fn, running.url);
      } finally {
        await running.stop();
      }
    }
  } finally {
    fake.kill("SIGTERM");
    await fake.status;
    await fakeOutput;
    await Deno.remove(work, { recursive: true });
  }
});
