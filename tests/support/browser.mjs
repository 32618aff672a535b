// What the browser tests share: the running stack (STACK_ENV_FILE, FUNCTIONS_ENV_FILE),
// Debian's Chromium through playwright-core, accounts made as a user makes them, and the
// checks every page gets: no horizontal overflow, and axe-core finding no serious or
// critical violation. Screenshots go to .local/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import postgres from "postgres";
import { inboxLink as linkIn, readEnvFile } from "./stack.mjs";
import { totp } from "./totp.mjs";

export const env = { ...readEnvFile(process.env.STACK_ENV_FILE), ...readEnvFile(process.env.FUNCTIONS_ENV_FILE) };
export const base = env.SUPABASE_URL;
export const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
export const screenshots = new URL("../../.local/screenshots/", import.meta.url).pathname;
mkdirSync(screenshots, { recursive: true });
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export const PHONE = { width: 390, height: 844 };
export const PASSWORD = "correct horse battery";
export const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
export const inboxLink = (email, type) => linkIn(base, email, type, 100);

let browser;
export async function launch() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}
export async function close() {
  await browser?.close();
  await sql.end();
}

/** A fresh browser profile (its own storage) and a page in it. */
export async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** An account with a password, confirmed, made through the Auth stand-in as a user would
 * (at `options.email`, else a fresh address). */
export async function account(prefix, options = {}) {
  const email = options.email ?? unique(prefix);
  const signup = await fetch(`${base}/auth/v1/signup`, {
    method: "POST", headers: { apikey: env.SUPABASE_PUBLISHABLE_KEY, "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD, data: options.data ?? {} }),
  });
  assert.equal(signup.status, 200);
  await (await fetch(await inboxLink(email, "signup"), { redirect: "manual" })).body?.cancel();
  if (options.platformAdmin) await sql`select private.set_platform_role(${email}, 'platform_admin')`;
  return { email, password: PASSWORD };
}

/** Clicks the newest `subject` email to `email` inside the local inbox page, as a person
 * does: the link opens at the top level. */
export async function clickInInbox(page, email, subject) {
  await page.goto(`${base}/_inbox`);
  const message = page.locator("article", { hasText: email }).filter({ hasText: subject }).first();
  await message.frameLocator("iframe").locator("a").first().click();
  await page.waitForURL((url) => !url.pathname.startsWith("/_inbox") && !url.pathname.startsWith("/auth/"));
}

export async function signIn(page, who) {
  await page.fill('input[name="email"]', who.email);
  await page.fill('input[name="password"]', who.password);
  await page.click('form button:has-text("Sign in")');
}

/** Enrols an authenticator from the step-up card and verifies with its code (a new
 * account's first second factor). Returns the TOTP secret. */
export async function enrolAndVerify(page) {
  const card = page.locator('[data-testid="step-up"]');
  await card.locator('button:has-text("Set up an authenticator app")').click();
  await card.locator("img.qr").waitFor();
  const secret = await card.locator('[data-testid="totp-secret"]').textContent();
  await card.locator('input[name="totp-code"]').fill(totp(secret));
  await card.locator('button:has-text("Verify")').click();
  return secret;
}

/** Verifies the second factor already enrolled (its TOTP secret) on the step-up card. */
export async function verifySecondFactor(page, secret) {
  const card = page.locator('[data-testid="step-up"]');
  await card.locator('input[name="totp-code"]').fill(totp(secret));
  await card.locator('button:has-text("Verify")').click();
}

/** On /admin: signs a platform admin in and verifies a second factor, which the console
 * asks for before anything else (platform admins act on tenants only at aal2). */
export async function signInAsPlatformAdmin(page, admin) {
  await signIn(page, admin);
  await page.locator('[data-testid="step-up"]').waitFor();
  await enrolAndVerify(page);
  await page.locator('input[name="owner_email"]').waitFor();
}

/** On /admin, signed in as a platform admin: creates an organization and returns the
 * path of its owner's join link. */
export async function createOrganization(page, { name, ownerEmail, plan = "starter", features = [] }) {
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${randomUUID().slice(0, 8)}`;
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="slug"]', slug);
  await page.fill('input[name="owner_email"]', ownerEmail);
  await page.selectOption('select[name="plan"]', plan);
  for (const feature of features) await page.check(`input[name="feature:${feature}"]`);
  const before = await page.locator('[data-testid="invite-link"] code').textContent().catch(() => null);
  await page.click('button:has-text("Create and send invite")');
  await page.waitForFunction((old) => {
    const shown = document.querySelector('[data-testid="invite-link"] code')?.textContent;
    return shown && shown !== old;
  }, before);
  const link = await page.locator('[data-testid="invite-link"] code').textContent();
  return { slug, joinPath: new URL(link).pathname };
}

/** What a person checks on every page: it fits the screen (nothing wider than the
 * viewport) and axe-core finds no serious or critical violation. Saves a screenshot. */
export async function checkPage(page, name) {
  await page.waitForLoadState("networkidle").catch(() => {});
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true });
  assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than the viewport`);
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    // The app has no frames of its own; the inbox's previews are sandboxed email HTML
    // (no scripts), checked from outside: each frame's title.
    const { violations } = await globalThis.axe.run(document, { resultTypes: ["violations"], iframes: false });
    return violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `${name}: axe found serious or critical violations`);
}

/** The last organization the signed-up user owns, once the signup webhook made it. */
export async function workspaceOf(email) {
  const [{ id }] = await sql`select id from auth.users where email = ${email}`;
  for (let i = 0; i < 100; i++) {
    const [row] = await sql`select organization_id from organization_members where user_id = ${id} and role = 'owner'`;
    if (row) return row.organization_id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no workspace for ${email}`);
}
