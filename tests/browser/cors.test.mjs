// CORS as a browser enforces it: headless Chromium (Debian's `chromium`, driven by
// playwright-core) on a page of another origin calls validate-invite and accept-invite
// with `fetch`, sending what supabase-js sends (authorization, apikey, x-client-info,
// content-type: so every call is preflighted), through the gateway and the WebAssembly
// in each function's isolate. Error responses must be readable by the page too.
//
// Needs a running stack (STACK_ENV_FILE). Run: node --test tests/browser/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { chromium } from "playwright-core";
import postgres from "postgres";
import { importJWK, SignJWT } from "jose";
import { readFileSync } from "node:fs";
import { readEnvFile } from "../support/stack.mjs";

const env = readEnvFile(process.env.STACK_ENV_FILE);
const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
// Access tokens as Auth signs them today: ES256 with the project's current key.
const signingJwk = JSON.parse(readFileSync(env.SUPABASE_JWT_SIGNING_KEY_FILE, "utf8"));
const jwtKey = await importJWK(signingJwk, "ES256");
const screenshots = new URL("../../.local/screenshots/", import.meta.url).pathname;

let browser, page, server, pageOrigin;

async function confirmedUser(prefix, { aal = "aal1" } = {}) {
  const email = `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
  const [{ id }] = await sql`insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data)
    values (gen_random_uuid(), ${email}, now(), ${sql.json({ full_name: prefix })}) returning id`;
  const jwt = await new SignJWT({ sub: id, role: "authenticated", aud: "authenticated", email, aal })
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: signingJwk.kid })
    .setExpirationTime("1h")
    .sign(jwtKey);
  return { id, email, jwt };
}

/** `fetch` from the page, as a frontend on another origin would call a function. */
async function fromPage(name, { method = "POST", jwt, body, query = "" } = {}) {
  return await page.evaluate(async ({ url, method, jwt, body, anon }) => {
    try {
      const response = await fetch(url, {
        method,
        headers: {
          apikey: anon,
          authorization: `Bearer ${jwt ?? anon}`,
          "x-client-info": "supabase-js-web/2.119.1",
          "content-type": "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json(), requestId: response.headers.get("x-request-id") };
    } catch (error) {
      return { failed: String(error) };
    }
  }, { url: `${env.SUPABASE_URL}/functions/v1/${name}${query}`, method, jwt, body, anon: env.SUPABASE_PUBLISHABLE_KEY });
}

before(async () => {
  // The frontend: a page served from another origin (another host name and port).
  server = http.createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>frontend</title><h1>Join</h1>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  pageOrigin = `http://localhost:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  await page.goto(pageOrigin);
  assert.notEqual(new URL(pageOrigin).origin, new URL(env.SUPABASE_URL).origin);
});

after(async () => {
  await browser?.close();
  server?.close();
  await sql.end();
});

test("a page on another origin previews and accepts an invite, and reads the errors", async () => {
  // A platform admin with a second factor: platform admins act on tenants only at aal2.
  const admin = await confirmedUser("admin", { aal: "aal2" });
  await sql`select private.set_platform_role(${admin.email}, 'platform_admin')`;
  const owner = await confirmedUser("owner");
  const slug = `cors-${randomUUID().slice(0, 8)}`;
  const created = await fetch(`${env.SUPABASE_URL}/rest/v1/rpc/admin_create_organization`, {
    method: "POST",
    headers: { apikey: env.SUPABASE_PUBLISHABLE_KEY, authorization: `Bearer ${admin.jwt}`, "content-type": "application/json" },
    body: JSON.stringify({ p_name: "Cors & Co", p_slug: slug, p_owner_email: owner.email, p_plan: "starter" }),
  }).then((r) => r.json());
  assert.ok(created.invite_id, JSON.stringify(created));

  // The admin screen (another origin too) sends the invite and gets the link back.
  const sent = await fromPage("send-invite-email", { jwt: admin.jwt, body: { invite_id: created.invite_id } });
  assert.equal(sent.failed, undefined, sent.failed);
  assert.ok([200, 502, 503].includes(sent.status), JSON.stringify(sent));
  const token = new URL(sent.body.link ?? sent.body.error?.link).pathname.split("/").pop();

  // The join page: preview with the token, as anon.
  const preview = await fromPage("validate-invite", { body: { token } });
  assert.equal(preview.failed, undefined, `the browser refused the call: ${preview.failed}`);
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.equal(preview.body.organization.name, "Cors & Co");
  assert.ok(preview.requestId, "x-request-id is exposed to the page");

  // A malformed link: the page reads the function's error, not an opaque failure.
  const malformed = await fromPage("validate-invite", { method: "GET", query: "?token=short" });
  assert.equal(malformed.status, 400);
  assert.equal(typeof malformed.body.error.code, "string");

  // Accept, signed in as the invited owner.
  const accepted = await fromPage("accept-invite", { jwt: owner.jwt, body: { token } });
  assert.equal(accepted.failed, undefined, `the browser refused the call: ${accepted.failed}`);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.organization_id, created.organization_id);

  // Accepting someone else's invite: a 4xx the page can read.
  const stranger = await confirmedUser("stranger");
  const refused = await fromPage("accept-invite", { jwt: stranger.jwt, body: { token } });
  assert.equal(refused.failed, undefined, refused.failed);
  assert.ok(refused.status >= 400 && refused.status < 500, JSON.stringify(refused));
  assert.equal(typeof refused.body.error.code, "string");

  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: `${screenshots}/cors-join.png` });
});
