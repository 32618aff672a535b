// The one local fake of Supabase's Management API (v1) (api.supabase.com is not reachable
// from here), following the published API's contract (the `openapi.json` the Supabase CLI
// generates its client from). Used by the deploy check (`supabase functions deploy
// --use-api`) and by the provisioning tests (`provision`), as each of them calls it:
//   GET  /v1/projects                                 the projects
//   POST /v1/projects                                 V1CreateProjectBody (checked strictly:
//        the deprecated organization_id / plan / region / kps_enabled are refused)
//   GET  /v1/projects/{ref}                           the project; its status walks through
//        the scripted statuses, then ACTIVE_HEALTHY
//   GET  /v1/projects/available-regions?organization_slug=…&continent=…
//   GET  /v1/organizations, /v1/organizations/{slug}/projects?limit=&offset=
//   GET  /v1/projects/{ref}/api-keys                  publishable, secret and legacy keys
//   GET|POST /v1/projects/{ref}/secrets               names (values are digests) / set them
//   GET  /v1/projects/{ref}/config/database/pooler
//   POST /v1/projects/{ref}/functions/deploy?slug=…   multipart/form-data: one `metadata`
//        part (entrypoint_path, import_map_path, name, verify_jwt, static_patterns, nothing
//        else) and one `file` part per file, named by its relative path; 201 with the
//        function. Files are also written to $FAKE_MGMT_DIR/<slug>/ (metadata beside, in
//        <slug>.json) when set, so a test can serve exactly what was uploaded.
//   GET|PUT /v1/projects/{ref}/functions              the deployed functions / bulk update
// Every call needs `Authorization: Bearer <FAKE_MGMT_TOKEN>` (any `sbp_…` token when unset).
//
// Tests script it and read what it saw through /_fake/*:
//   POST /_fake/script   {statuses?, failures?: [[status, retry_after_seconds|null]],
//                         create_failures?: [[status, {seconds}|{date_in}]], next_ref?,
//                         lose_create_response?, regions_unavailable?, legacy_keys_off?,
//                         hide_secret_keys?, add_project?: {project, statuses}}
//   GET  /_fake/state    {projects, create_bodies, create_times_ms, requests,
//                         organization_lookups, contract_violations, secrets, deployed}
// A request that breaks the published contract is answered 400 and recorded in
// `contract_violations`: a test fails on any.
const port = Number(Deno.env.get("FAKE_MGMT_PORT") ?? "0");
const dir = Deno.env.get("FAKE_MGMT_DIR");
const token = Deno.env.get("FAKE_MGMT_TOKEN");
const ORG_ID = "org-test-123";
const ORG_SLUG = "acme-org";
const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-east-1", "ap-southeast-1", "ap-northeast-1",
  "ap-northeast-2", "ap-southeast-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-central-1", "eu-central-2",
  "ca-central-1", "ap-south-1", "sa-east-1"];
const GROUPS = ["americas", "emea", "apac"];

type Json = Record<string, unknown>;
type Project = { project: Json; statuses: string[] };
type Deployed = { metadata: Json; files: Record<string, string>; version: number; created_at: number; updated_at: number };

const state = {
  projects: [] as Project[],
  // A project the deploy check finds without creating it (its ref and a healthy status).
  nextRef: Deno.env.get("FAKE_MGMT_PROJECT_REF") ?? "abcdefghijklmnopqrst",
  statuses: [] as string[],
  failures: [] as [number, number | null][],
  createFailures: [] as [number, { seconds?: number; date_in?: number }][],
  loseCreateResponse: false,
  regionsUnavailable: false,
  legacyKeysOff: false,
  hideSecretKeys: false,
  createBodies: [] as unknown[],
  createTimes: [] as number[],
  requests: 0,
  organizationLookups: 0,
  contractViolations: [] as string[],
  secrets: {} as Record<string, string>,
  deployed: {} as Record<string, Deployed>,
};
if (Deno.env.get("FAKE_MGMT_PROJECT_REF")) {
  state.projects.push({
    project: { id: state.nextRef, ref: state.nextRef, name: "deploy-check", organization_id: ORG_ID, organization_slug: ORG_SLUG,
      region: "eu-central-1", created_at: new Date().toISOString(), status: "ACTIVE_HEALTHY" },
    statuses: [],
  });
}

const problem = (status: number, message: string, headers: Record<string, string> = {}) =>
  Response.json({ message }, { status, headers });
const violation = (message: string) => {
  state.contractViolations.push(message);
  return problem(400, message);
};
const log = (event: Json) => console.log(JSON.stringify({ service: "fake-management-api", ...event }));
const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

/** `V1CreateProjectBody`: the listed properties only, `db_pass`, `name` (≤ 256) and
 * `organization_slug` (`^[\w-]+$`) required, `region_selection` one of `{type: "specific",
 * code: <region>}` or `{type: "smartGroup", code: <group>}`; the deprecated properties are
 * refused here, though the real API still accepts them: using them is the drift to catch. */
function createBodyViolations(body: unknown): string[] {
  const known = ["db_pass", "name", "organization_id", "organization_slug", "plan", "region", "region_selection",
    "kps_enabled", "desired_instance_size", "template_url"];
  const deprecated = ["organization_id", "plan", "region", "kps_enabled"];
  if (typeof body !== "object" || body === null || Array.isArray(body)) return ["the body is not an object"];
  const object = body as Json;
  const problems: string[] = [];
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) problems.push(`${key} is not a property of V1CreateProjectBody`);
    else if (deprecated.includes(key)) problems.push(`${key} is deprecated`);
  }
  for (const required of ["db_pass", "name", "organization_slug"]) {
    if (typeof object[required] !== "string") problems.push(`${required} is required (a string)`);
  }
  if (typeof object.name === "string" && [...object.name].length > 256) problems.push("name is longer than 256");
  if (typeof object.organization_slug === "string" && !/^[\w-]+$/.test(object.organization_slug)) {
    problems.push("organization_slug does not match ^[\\w-]+$");
  }
  if ("region_selection" in object) {
    const selection = object.region_selection as Json;
    const code = String(selection?.code ?? "");
    const valid = selection?.type === "specific" ? REGIONS.includes(code)
      : selection?.type === "smartGroup" ? GROUPS.includes(code) : false;
    const onlyTypeAndCode = typeof selection === "object" && selection !== null &&
      Object.keys(selection).every((k) => k === "type" || k === "code");
    if (!valid || !onlyTypeAndCode) {
      problems.push(`region_selection ${JSON.stringify(selection)} matches neither of its oneOf schemas`);
    }
  }
  return problems;
}

/** `POST …/functions/deploy?slug=`, checked against `FunctionDeployBody`. */
async function deploy(request: Request, url: URL): Promise<Response> {
  const slug = url.searchParams.get("slug") ?? "";
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(slug)) return violation(`slug ${slug} does not match ^[A-Za-z][A-Za-z0-9_-]*$`);
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.startsWith("multipart/form-data")) return violation(`not multipart/form-data: ${contentType}`);
  const form = await request.formData();
  let metadata: Json | null = null;
  const files: File[] = [];
  for (const [name, value] of form.entries()) {
    if (name === "metadata" && typeof value === "string") {
      try {
        metadata = JSON.parse(value);
      } catch {
        return violation("metadata is not JSON");
      }
    } else if (name === "file" && value instanceof File) {
      if (value.name.startsWith("/") || value.name.split("/").includes("..")) return violation(`file ${value.name} is not a relative path`);
      files.push(value);
    } else return violation(`unexpected part ${name}`);
  }
  if (metadata === null) return violation("the metadata part is required");
  if (typeof metadata !== "object" || Array.isArray(metadata)) return violation("metadata is not an object");
  for (const [key, value] of Object.entries(metadata)) {
    const typed = ["entrypoint_path", "import_map_path", "name"].includes(key) ? typeof value === "string"
      : key === "verify_jwt" ? typeof value === "boolean"
      : key === "static_patterns" ? Array.isArray(value) && value.every((v) => typeof v === "string")
      : null;
    if (typed === null) return violation(`${key} is not a property of FunctionDeployBody.metadata`);
    if (!typed) return violation(`metadata.${key} has the wrong type`);
  }
  const entrypoint = metadata.entrypoint_path;
  if (typeof entrypoint !== "string") return violation("metadata.entrypoint_path is required");
  if (!files.some((file) => file.name === entrypoint)) return violation(`the entrypoint ${entrypoint} was not uploaded`);

  const contents: Record<string, string> = {};
  for (const file of files) contents[file.name] = toBase64(new Uint8Array(await file.arrayBuffer()));
  if (dir) {
    await Deno.remove(`${dir}/${slug}`, { recursive: true }).catch(() => {});
    for (const file of files) {
      const target = `${dir}/${slug}/${file.name}`;
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(target, new Uint8Array(await file.arrayBuffer()));
    }
    await Deno.writeTextFile(`${dir}/${slug}.json`, JSON.stringify({ ...metadata, files: Object.keys(contents).sort() }, null, 2));
  }
  const now = Date.now();
  const previous = state.deployed[slug];
  state.deployed[slug] = { metadata, files: contents, version: (previous?.version ?? 0) + 1, created_at: previous?.created_at ?? now, updated_at: now };
  log({ event: "deployed", slug, files: files.length, bundle_only: url.searchParams.get("bundleOnly") === "true" });
  return Response.json(deployedView(slug), { status: 201 });
}

function deployedView(slug: string) {
  const d = state.deployed[slug];
  return {
    id: `fn-${slug}`, slug, name: typeof d.metadata.name === "string" ? d.metadata.name : slug, status: "ACTIVE",
    version: d.version, verify_jwt: d.metadata.verify_jwt !== false, entrypoint_path: d.metadata.entrypoint_path,
    import_map_path: d.metadata.import_map_path, created_at: d.created_at, updated_at: d.updated_at,
  };
}

function availableRegions(url: URL): Response {
  if (state.regionsUnavailable) return problem(403, "Forbidden");
  const continent = url.searchParams.get("continent");
  if (!url.searchParams.get("organization_slug") || (continent !== null && !["NA", "SA", "EU", "AF", "AS", "OC", "AN"].includes(continent))) {
    state.contractViolations.push(`available-regions query ${url.search}`);
    return problem(400, "organization_slug is required; continent must be a continent code");
  }
  const region = (code: string, name: string) => ({ name, code, type: "specific", provider: "AWS", status: "capacity" });
  return Response.json({
    recommendations: {
      smartGroup: { name: "EMEA", code: "emea", type: "smartGroup" },
      specific: [region("eu-west-2", "West EU (London)"), region("eu-central-1", "Central EU (Frankfurt)")],
    },
    all: {
      smartGroup: [{ name: "Americas", code: "americas", type: "smartGroup" }, { name: "EMEA", code: "emea", type: "smartGroup" },
        { name: "APAC", code: "apac", type: "smartGroup" }],
      specific: REGIONS.map((code) => region(code, code)),
    },
  });
}

async function createProject(request: Request): Promise<Response> {
  state.createTimes.push(Date.now());
  const failure = state.createFailures.shift();
  if (failure) {
    const [status, after] = failure;
    const value = after.seconds !== undefined ? String(after.seconds) : new Date(Date.now() + (after.date_in ?? 0) * 1000).toUTCString();
    return problem(status, "Too many requests", { "retry-after": value });
  }
  const body = await request.json().catch(() => undefined);
  if (body === undefined) return problem(400, "Invalid JSON");
  const problems = createBodyViolations(body);
  if (problems.length) {
    state.contractViolations.push(...problems);
    return problem(400, problems.join("; "));
  }
  state.createBodies.push(body);
  const selection = body.region_selection;
  const region = selection?.type === "specific" ? selection.code : "eu-central-1";
  const project = { id: state.nextRef, ref: state.nextRef, name: body.name, organization_id: ORG_ID,
    organization_slug: body.organization_slug, region, created_at: "2026-11-21T10:00:00Z", status: "COMING_UP" };
  state.projects.push({ project, statuses: [...state.statuses] });
  if (state.loseCreateResponse) return problem(503, "upstream connection reset");
  return Response.json(project, { status: 201 });
}

function apiKeys(ref: string): Response {
  const keys: Json[] = [{ name: "default", type: "publishable", api_key: `sb_publishable_${ref}` }];
  if (!state.hideSecretKeys) {
    keys.push({ name: "default", type: "secret", api_key: `sb_secret_${ref}_SECRET-KEY`, secret_jwt_template: { role: "service_role" } });
  }
  if (!state.legacyKeysOff) {
    keys.push({ name: "anon", type: "legacy", api_key: `anon.${ref}.public` });
    keys.push({ name: "service_role", type: "legacy", api_key: `service.${ref}.SECRET-KEY` });
  }
  return Response.json(keys);
}

function pooler(ref: string): Response {
  const host = "aws-0-eu-west-2.pooler.supabase.com";
  const connection = `postgresql://postgres.${ref}:[YOUR-PASSWORD]@${host}:6543/postgres`;
  return Response.json([{
    identifier: ref, database_type: "PRIMARY", is_using_scram_auth: true, db_user: `postgres.${ref}`, db_host: host,
    db_port: 6543, db_name: "postgres", connection_string: connection, connectionString: connection,
    default_pool_size: 15, max_client_conn: 200, pool_mode: "transaction",
  }]);
}

async function api(request: Request, url: URL): Promise<Response> {
  state.requests++;
  const authorization = request.headers.get("authorization") ?? "";
  if (token ? authorization !== `Bearer ${token}` : !/^Bearer sbp_\w+$/.test(authorization)) return problem(401, "Unauthorized");
  const failure = state.failures.shift();
  if (failure) {
    const [status, retryAfter] = failure;
    return problem(status, status === 429 ? "Too many requests" : "Internal server error",
      retryAfter === null ? {} : { "retry-after": String(retryAfter) });
  }
  // The route, with the project ref or organization slug as `:id`.
  const path = url.pathname.replace(/^\/v1\//, "");
  const id = path.split("/")[1] ?? "";
  const route = `${request.method} ${path === "projects/available-regions" ? path
    : path.replace(/^(projects|organizations)\/[^/]+/, "$1/:id")}`;
  switch (route) {
    case "GET projects":
      return Response.json(state.projects.map((p) => p.project));
    case "POST projects":
      return await createProject(request);
    case "GET organizations":
      state.organizationLookups++;
      return Response.json([{ id: "org-other-999", slug: "other-org", name: "Someone Else" }, { id: ORG_ID, slug: ORG_SLUG, name: "Acme" }]);
    case "GET organizations/:id/projects": {
      const limit = Number(url.searchParams.get("limit") ?? "100");
      const offset = Number(url.searchParams.get("offset") ?? "0");
      if (!(limit >= 1 && limit <= 100)) return violation(`limit ${limit} is outside 1..100`);
      const mine = state.projects.filter((p) => p.project.organization_slug === id).map(({ project: p }) => ({
        ref: p.ref, name: p.name, cloud_provider: "AWS", region: p.region, is_branch: false, status: p.status,
        inserted_at: p.created_at, databases: [],
      }));
      return Response.json({ projects: mine.slice(offset, offset + limit), pagination: { count: mine.length, limit, offset } });
    }
    case "GET projects/available-regions":
      return availableRegions(url);
    case "GET projects/:id": {
      const found = state.projects.find((p) => p.project.ref === id);
      if (!found) return problem(404, "Project not found");
      if (found.statuses.length > 1) found.statuses.shift();
      found.project.status = found.statuses[0] ?? "ACTIVE_HEALTHY";
      return Response.json(found.project);
    }
    case "GET projects/:id/api-keys":
      return apiKeys(id);
    case "GET projects/:id/secrets":
      return Response.json(Object.keys(state.secrets).sort().map((name) => ({ name, value: "digest" })));
    case "POST projects/:id/secrets": {
      const items = await request.json().catch(() => null);
      if (!Array.isArray(items)) return problem(400, "body must be an array of {name, value}");
      for (const item of items) state.secrets[String(item.name)] = String(item.value);
      return new Response(null, { status: 201 });
    }
    case "POST projects/:id/functions/deploy":
      return await deploy(request, url);
    case "GET projects/:id/functions":
      return Response.json(Object.keys(state.deployed).map(deployedView));
    case "PUT projects/:id/functions": {
      const body = await request.json().catch(() => null);
      if (!Array.isArray(body)) return problem(400, "expected an array of functions");
      for (const item of body) if (!state.deployed[item?.slug]) return problem(400, `unknown function ${item?.slug}`);
      return Response.json({ functions: body.map((item) => deployedView(item.slug)) });
    }
    case "GET projects/:id/config/database/pooler":
      return pooler(id);
  }
  log({ event: "unhandled", method: request.method, path: url.pathname });
  return problem(404, "Not found");
}

async function fake(request: Request, url: URL): Promise<Response> {
  if (url.pathname === "/_fake/state") {
    return Response.json({
      projects: state.projects.map((p) => p.project), create_bodies: state.createBodies, create_times_ms: state.createTimes,
      requests: state.requests, organization_lookups: state.organizationLookups, contract_violations: state.contractViolations,
      secrets: state.secrets, deployed: state.deployed,
    });
  }
  if (url.pathname === "/_fake/script" && request.method === "POST") {
    const script = await request.json();
    if (script.statuses) state.statuses = script.statuses;
    if (script.failures) state.failures.push(...script.failures);
    if (script.create_failures) state.createFailures.push(...script.create_failures);
    if (script.next_ref) state.nextRef = script.next_ref;
    if (script.add_project) state.projects.push({ project: script.add_project.project, statuses: script.add_project.statuses ?? [] });
    for (const [key, field] of [["lose_create_response", "loseCreateResponse"], ["regions_unavailable", "regionsUnavailable"],
      ["legacy_keys_off", "legacyKeysOff"], ["hide_secret_keys", "hideSecretKeys"]] as const) {
      if (typeof script[key] === "boolean") state[field] = script[key];
    }
    return Response.json({ ok: true });
  }
  return problem(404, "Not found");
}

Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => log({ event: "listening", port }) }, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/") return new Response("ok");
  if (url.pathname.startsWith("/_fake/")) return await fake(request, url);
  return await api(request, url);
});
