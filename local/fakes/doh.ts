// A local fake of a DNS-over-HTTPS resolver's JSON API, for the tests only (the public
// resolvers are not reachable from here). It answers as Cloudflare's and Google's do —
// GET /dns-query?name=<name>&type=<TXT|16> with `accept: application/dns-json` →
// `{Status, TC, RD, RA, AD, CD, Question, Answer?}` with TXT data in quoted strings,
// Status 3 (NXDOMAIN) for a name with no records, 400 for a request without `name`.
// Tests publish records through /_fake/*:
//   PUT    /_fake/txt   {name, values: [string]}   the TXT records of a name (replaces)
//   DELETE /_fake/txt   {name}                     the name no longer exists
//   GET    /_fake/queries                          the names looked up, in order
const port = Number(Deno.env.get("FAKE_DOH_PORT") ?? "0");

const records = new Map<string, string[]>();
const queries: string[] = [];
const canonical = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** TXT data as DNS presents it: quoted strings of at most 255 characters each. */
const txtData = (value: string) =>
  (value.match(/.{1,255}/g) ?? [""]).map((part) => `"${part.replaceAll('"', '\\"')}"`).join(" ");

function resolve(url: URL, request: Request): Response {
  const accept = request.headers.get("accept") ?? "";
  if (!accept.includes("application/dns-json")) return new Response("Unsupported Media Type", { status: 415 });
  const name = url.searchParams.get("name");
  if (!name) return Response.json({ error: "Invalid query name `'." }, { status: 400 });
  const type = (url.searchParams.get("type") ?? "A").toUpperCase();
  const typeNumber = ({ TXT: 16, "16": 16, A: 1, "1": 1, AAAA: 28, "28": 28 } as Record<string, number>)[type] ?? null;
  if (typeNumber === null) return Response.json({ error: `Invalid type \`${type}'.` }, { status: 400 });
  queries.push(canonical(name));
  const values = records.get(canonical(name));
  const body: Record<string, unknown> = {
    Status: values === undefined ? 3 : 0,
    TC: false, RD: true, RA: true, AD: false, CD: false,
    Question: [{ name: `${canonical(name)}.`, type: typeNumber }],
  };
  if (values !== undefined && typeNumber === 16 && values.length > 0) {
    body.Answer = values.map((value) => ({ name: `${canonical(name)}.`, type: 16, TTL: 300, data: txtData(value) }));
  }
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/dns-json" } });
}

Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/dns-query" && request.method === "GET") return resolve(url, request);
  if (url.pathname === "/_fake/txt" && request.method === "PUT") {
    const { name, values } = await request.json();
    records.set(canonical(name), values);
    return Response.json({ ok: true });
  }
  if (url.pathname === "/_fake/txt" && request.method === "DELETE") {
    const { name } = await request.json();
    records.delete(canonical(name));
    return Response.json({ ok: true });
  }
  if (url.pathname === "/_fake/queries") return Response.json(queries);
  if (url.pathname === "/") return new Response("doh fake");
  return new Response("Not Found", { status: 404 });
});
