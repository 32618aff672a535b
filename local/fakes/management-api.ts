// A fake of Supabase's Management API (v1), the part `supabase functions deploy --use-api`
// speaks, following the published API's contract:
//   GET  /v1/projects/{ref}                          the project (the CLI checks it exists)
//   POST /v1/projects/{ref}/functions/deploy?slug=…   multipart/form-data: one `metadata`
//        field (JSON: entrypoint_path, name, verify_jwt, static_patterns, import_map_path)
//        and one `file` part per uploaded file, named by its path; 201 with the function.
//        `bundleOnly=true` stores the bundle without activating it (bulk deploys).
//   PUT  /v1/projects/{ref}/functions                bulk update: activates bundled functions
//   GET  /v1/projects/{ref}/functions                the deployed functions
// Every call needs `Authorization: Bearer sbp_…` (a personal access token's shape).
//
// Uploaded files are written to $FAKE_MGMT_DIR/<slug>/<their path>, with the metadata in
// $FAKE_MGMT_DIR/<slug>.json, so a test can serve exactly what was uploaded.
const port = Number(Deno.env.get("FAKE_MGMT_PORT") ?? "0");
const dir = Deno.env.get("FAKE_MGMT_DIR");
const projectRef = Deno.env.get("FAKE_MGMT_PROJECT_REF") ?? "abcdefghijklmnopqrst";
if (!dir) throw new Error("management-api fake: FAKE_MGMT_DIR is required");

type Deployed = {
  id: string;
  slug: string;
  name: string;
  version: number;
  status: "ACTIVE" | "REMOVED" | "THROTTLED";
  entrypoint_path: string;
  import_map_path?: string;
  verify_jwt: boolean;
  created_at: number;
  updated_at: number;
};
const functions = new Map<string, Deployed>();
const problem = (status: number, message: string) => Response.json({ message }, { status });
const log = (event: Record<string, unknown>) => console.log(JSON.stringify({ service: "fake-management-api", ...event }));

async function deploy(request: Request, url: URL): Promise<Response> {
  const slug = url.searchParams.get("slug");
  if (!slug || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(slug)) return problem(400, "slug is required and must be a valid function slug");
  if (!(request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
    return problem(400, "expected multipart/form-data");
  }
  const form = await request.formData();
  const metadataField = form.get("metadata");
  if (typeof metadataField !== "string") return problem(400, "metadata field is required");
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(metadataField);
  } catch {
    return problem(400, "metadata is not JSON");
  }
  if (typeof metadata.entrypoint_path !== "string" || metadata.entrypoint_path === "") {
    return problem(400, "metadata.entrypoint_path is required");
  }
  const files = form.getAll("file").filter((part): part is File => part instanceof File);
  if (!files.some((file) => file.name === metadata.entrypoint_path)) {
    return problem(400, `the entrypoint ${metadata.entrypoint_path} was not uploaded`);
  }
  const out = `${dir}/${slug}`;
  await Deno.remove(out, { recursive: true }).catch(() => {});
  for (const file of files) {
    if (file.name.startsWith("/") || file.name.split("/").includes("..")) return problem(400, `bad file path ${file.name}`);
    const target = `${out}/${file.name}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(target, new Uint8Array(await file.arrayBuffer()));
  }
  await Deno.writeTextFile(`${dir}/${slug}.json`, JSON.stringify({ ...metadata, files: files.map((f) => f.name).sort() }, null, 2));
  const now = Date.now();
  const previous = functions.get(slug);
  const deployed: Deployed = {
    id: previous?.id ?? crypto.randomUUID(),
    slug,
    name: typeof metadata.name === "string" ? metadata.name : slug,
    version: (previous?.version ?? 0) + 1,
    status: "ACTIVE",
    entrypoint_path: metadata.entrypoint_path,
    verify_jwt: metadata.verify_jwt !== false,
    created_at: previous?.created_at ?? now,
    updated_at: now,
  };
  functions.set(slug, deployed);
  log({ event: "deployed", slug, files: files.length, bundle_only: url.searchParams.get("bundleOnly") === "true" });
  return Response.json(deployed, { status: 201 });
}

Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => log({ event: "listening", port }) }, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/") return new Response("ok");
  if (!/^Bearer sbp_[0-9a-f]{40}$/.test(request.headers.get("authorization") ?? "")) {
    return problem(401, "Unauthorized");
  }
  const match = url.pathname.match(/^\/v1\/projects\/([a-z]{20})(\/.*)?$/);
  if (!match) return problem(404, "Not found");
  if (match[1] !== projectRef) return problem(404, "Project not found");
  const rest = match[2] ?? "";
  if (request.method === "GET" && rest === "") {
    return Response.json({
      id: projectRef, ref: projectRef, organization_id: "fake-org", organization_slug: "fake-org",
      name: "deploy-check", region: "eu-central-1", created_at: new Date().toISOString(), status: "ACTIVE_HEALTHY",
    });
  }
  if (request.method === "POST" && rest === "/functions/deploy") return await deploy(request, url);
  if (request.method === "GET" && rest === "/functions") return Response.json([...functions.values()]);
  if (request.method === "PUT" && rest === "/functions") {
    const body = await request.json().catch(() => null);
    if (!Array.isArray(body)) return problem(400, "expected an array of functions");
    for (const item of body) {
      if (!functions.has(item?.slug)) return problem(400, `unknown function ${item?.slug}`);
    }
    return Response.json({ functions: body.map((item) => functions.get(item.slug)) });
  }
  log({ event: "unhandled", method: request.method, path: url.pathname });
  return problem(404, "Not found");
});
