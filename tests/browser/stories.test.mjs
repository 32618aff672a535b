// The reference web app's stories in a real browser (Debian's Chromium, driven by
// playwright-core), against the running stack: the web app the gateway serves, Supabase
// Auth's local stand-in, the functions, PostgREST, and the Resend and Make fakes. Each
// story saves screenshots under .local/screenshots/.
//
// Needs a running stack (STACK_ENV_FILE) with the fakes (FUNCTIONS_ENV_FILE, MAKE_FAKE_URL).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { chromium } from "playwright-core";
import postgres from "postgres";
import { inboxLink as linkIn, readEnvFile } from "../support/stack.mjs";

const env = { ...readEnvFile(process.env.STACK_ENV_FILE), ...readEnvFile(process.env.FUNCTIONS_ENV_FILE) };
const base = env.SUPABASE_URL;
const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
const screenshots = new URL("../../.local/screenshots/", import.meta.url).pathname;
mkdirSync(screenshots, { recursive: true });
let browser;

const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

const inboxLink = (email, type) => linkIn(base, email, type, 100);

/** An account with a password, confirmed, made through the Auth stand-in as a user would. */
async function account(prefix) {
  const email = unique(prefix);
  const password = "correct horse battery";
  const signup = await fetch(`${base}/auth/v1/signup`, {
    method: "POST", headers: { apikey: env.SUPABASE_PUBLISHABLE_KEY, "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(signup.status, 200);
  await (await fetch(await inboxLink(email, "signup"), { redirect: "manual" })).body?.cancel();
  return { email, password };
}

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function signIn(page, who) {
  await page.fill('input[name="email"]', who.email);
  await page.fill('input[name="password"]', who.password);
  await page.click('button:has-text("Sign in")');
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await sql.end();
});

test("admin invites, the owner signs up, confirms, accepts, completes the phases: the organization is active", async () => {
  const admin = await account("admin");
  await sql`select private.set_platform_role(${admin.email}, 'platform_admin')`;
  const ownerEmail = unique("owner");
  const slug = `story-${randomUUID().slice(0, 8)}`;

  const adminPage = await newPage();
  await adminPage.goto(`${base}/admin`);
  await signIn(adminPage, admin);
  await adminPage.fill('input[name="name"]', "Story Ltd");
  await adminPage.fill('input[name="slug"]', slug);
  await adminPage.fill('input[name="owner_email"]', ownerEmail);
  await adminPage.selectOption('select[name="plan"]', "starter");
  await adminPage.check('input[name="feature:webhooks"]');
  await adminPage.click('button:has-text("Create and send invite")');
  const linkShown = adminPage.locator('[data-testid="invite-link"] code');
  const firstLink = await linkShown.textContent();
  await adminPage.locator(`tr[data-invite="${ownerEmail}"] .status:has-text("pending")`).waitFor();
  await adminPage.screenshot({ path: `${screenshots}story-1-admin-invited.png`, fullPage: true });
  // Resending from the list: at once, told to wait; a minute later, a new link, and the
  // first one stops working.
  const resend = adminPage.locator(`tr[data-invite="${ownerEmail}"] button:has-text("Resend")`);
  await resend.click();
  await adminPage.locator('[role="alert"][data-code="rate_limited"]').waitFor();
  assert.match(await adminPage.locator('[role="alert"]').textContent(), /Wait a moment/);
  await sql`update onboarding_invites set sent_at = now() - interval '61 seconds' where email = ${ownerEmail}`;
  await resend.click();
  await adminPage.waitForFunction((old) =>
    document.querySelector('[data-testid="invite-link"] code')?.textContent !== old, firstLink);
  const link = await linkShown.textContent();
  assert.match(await adminPage.locator('[data-testid="invite-link"]').textContent(), /^Invite sent/);
  const joinPath = new URL(link).pathname;
  assert.match(joinPath, /^\/onboarding\/join\/[A-Za-z0-9_-]{43}$/);
  const stale = await newPage();
  await stale.goto(`${base}${new URL(firstLink).pathname}`);
  await stale.locator('[data-page="invite_not_found"]').waitFor();
  // The invite email, as the Resend fake received it, is in the local inbox page.
  const inbox = await newPage();
  await inbox.goto(`${base}/_inbox`);
  await inbox.locator("article", { hasText: ownerEmail }).first().waitFor();
  await inbox.screenshot({ path: `${screenshots}story-1b-inbox.png`, fullPage: true });

  const owner = await newPage();
  await owner.goto(`${base}${joinPath}`);
  await owner.locator("h1", { hasText: "Join Story Ltd" }).waitFor();
  assert.equal(await owner.inputValue('[data-page="preview"] input'), ownerEmail, "the invited address, read-only");
  assert.match(await owner.locator('[data-page="preview"] ul').textContent(), /Webhooks/, "the override's feature is previewed");
  await owner.screenshot({ path: `${screenshots}story-2-preview.png`, fullPage: true });
  await owner.fill('input[name="new-password"]', "correct horse battery");
  await owner.click('button:has-text("Create account")');
  await owner.locator('[data-page="check-inbox"]').waitFor();
  await owner.screenshot({ path: `${screenshots}story-3-check-inbox.png`, fullPage: true });

  // The confirmation link brings the owner back to the join page, signed in.
  await owner.goto(await inboxLink(ownerEmail, "signup"));
  await owner.click('button:has-text("Accept the invitation")');
  await owner.locator('form[data-phase="organization-setup"]').waitFor();
  await owner.screenshot({ path: `${screenshots}story-4-phases.png`, fullPage: true });

  // A refusal reads as words, naming the field.
  await owner.fill('form[data-phase="organization-setup"] input[name="name"]', "Story Ltd");
  await owner.fill('form[data-phase="organization-setup"] input[name="industry"]', "Recruiting");
  await owner.fill('form[data-phase="organization-setup"] input[name="size_band"]', "lots");
  await owner.click('form[data-phase="organization-setup"] button:has-text("Save")');
  const refusal = owner.locator('form[data-phase="organization-setup"] [role="alert"]');
  assert.equal(await refusal.getAttribute("data-code"), "invalid_size_band");
  assert.doesNotMatch(await refusal.textContent(), /object Object|undefined/);

  const save = async (phase, fields) => {
    for (const [name, value] of Object.entries(fields)) {
      await owner.fill(`form[data-phase="${phase}"] input[name="${name}"]`, value);
    }
    await owner.click(`form[data-phase="${phase}"] button:has-text("Save")`);
    await owner.locator(`form[data-phase="${phase}"] .done`).waitFor();
  };
  await save("organization-setup", { name: "Story Ltd", industry: "Recruiting", size_band: "11-50", time_zone: "Africa/Nairobi" });
  await save("billing", { billing_email: "billing@story.example", legal_name: "Story Ltd", "address.line1": "1 Moi Ave", "address.city": "Nairobi", "address.country": "KE" });
  await owner.check('form[data-phase="team"] input[name="completed"]');
  await owner.click('form[data-phase="team"] button:has-text("Save")');
  await owner.locator('form[data-phase="team"] .done').waitFor();
  await save("privacy", { data_region: "af" });
  await save("integrations", { ats_provider: "Greenhouse" });
  await owner.click('button:has-text("Complete onboarding")');
  await owner.locator('[data-page="active"]').waitFor();
  await owner.screenshot({ path: `${screenshots}story-5-active.png`, fullPage: true });
  const [{ status }] = await sql`select status from organizations where slug = ${slug}`;
  assert.equal(status, "active");
  // The active page leads to the dashboard.
  await owner.click('[data-page="active"] a:has-text("Open the dashboard")');
  await owner.locator("h1", { hasText: "Story Ltd: users" }).waitFor();
  // The link, opened again once used, says so, and leads on to the owner's organization.
  await owner.goto(`${base}${joinPath}`);
  await owner.locator('[data-page="invite_already_accepted"]').waitFor();
  assert.doesNotMatch(await owner.locator('[role="alert"]').textContent(), /object Object|undefined/);
  const yours = owner.locator('[data-testid="your-organizations"] a', { hasText: "Story Ltd" });
  await yours.waitFor();
  await owner.screenshot({ path: `${screenshots}story-6-already-accepted.png`, fullPage: true });
  await yours.click();
  await owner.locator("h1", { hasText: "Story Ltd: users" }).waitFor();
});

test("a wrong account, a revoked and an expired link get pages of their own", async () => {
  const admin = await account("admin");
  await sql`select private.set_platform_role(${admin.email}, 'platform_admin')`;
  const ownerEmail = unique("owner");
  const page = await newPage();
  await page.goto(`${base}/admin`);
  await signIn(page, admin);
  await page.fill('input[name="name"]', "Wrong Account Ltd");
  await page.fill('input[name="slug"]', `wrong-${randomUUID().slice(0, 8)}`);
  await page.fill('input[name="owner_email"]', ownerEmail);
  await page.click('button:has-text("Create and send invite")');
  const joinPath = new URL(await page.locator('[data-testid="invite-link"] code').textContent()).pathname;

  // Signed in as someone else: told so, with the way out.
  const stranger = await account("stranger");
  const other = await newPage();
  await other.goto(`${base}/admin`);
  await signIn(other, stranger);
  await other.locator('input[name="name"]').waitFor();
  await other.goto(`${base}${joinPath}`);
  await other.locator('[data-page="wrong-account"]').waitFor();
  await other.screenshot({ path: `${screenshots}wrong-account.png`, fullPage: true });
  await other.click('button:has-text("Sign out and use the invited address")');
  await other.locator('button:has-text("Create account")').waitFor();

  // Revoked by the admin from the list: its own page.
  const revokedEmail = unique("revoked");
  await page.fill('input[name="name"]', "Revoked Ltd");
  await page.fill('input[name="slug"]', `revoked-${randomUUID().slice(0, 8)}`);
  await page.fill('input[name="owner_email"]', revokedEmail);
  await page.click('button:has-text("Create and send invite")');
  const revokedRow = page.locator(`tr[data-invite="${revokedEmail}"]`);
  await revokedRow.locator('.status:has-text("pending")').waitFor();
  const revokedPath = new URL(await page.locator('[data-testid="invite-link"] code').textContent()).pathname;
  assert.notEqual(revokedPath, joinPath);
  await revokedRow.locator('button:has-text("Revoke")').click();
  await revokedRow.locator('.status:has-text("revoked")').waitFor();
  await other.goto(`${base}${revokedPath}`);
  await other.locator('[data-page="invite_revoked"]').waitFor();

  // Expired: its own page, in words.
  await sql`update onboarding_invites set expires_at = now() - interval '1 minute' where email = ${ownerEmail}`;
  await other.goto(`${base}${joinPath}`);
  await other.locator('[data-page="invite_expired"]').waitFor();
  assert.match(await other.locator('[role="alert"]').textContent(), /expired/);
  await other.screenshot({ path: `${screenshots}expired.png`, fullPage: true });
});

test("when Resend refuses the email, the admin is told why and gets the link to share, which works", async () => {
  const admin = await account("admin");
  await sql`select private.set_platform_role(${admin.email}, 'platform_admin')`;
  const ownerEmail = unique("bounced");
  // The Resend fake answers the next send to this address as Resend refuses one.
  const scripted = await fetch(`${env.RESEND_API_URL}/_fake/script`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: ownerEmail, responses: [{ status: 422, name: "validation_error", message: "The recipient address is suppressed." }] }),
  });
  assert.equal(scripted.status, 200);
  const page = await newPage();
  await page.goto(`${base}/admin`);
  await signIn(page, admin);
  await page.fill('input[name="name"]', "Bounced Ltd");
  await page.fill('input[name="slug"]', `bounced-${randomUUID().slice(0, 8)}`);
  await page.fill('input[name="owner_email"]', ownerEmail);
  await page.click('button:has-text("Create and send invite")');
  await page.locator('[role="alert"][data-code="email_rejected"]').waitFor();
  const fallback = page.locator('[data-testid="invite-link"]');
  assert.match(await fallback.textContent(), /^The email did not go out; share this link/);
  await page.screenshot({ path: `${screenshots}admin-email-refused.png`, fullPage: true });
  const owner = await newPage();
  await owner.goto(`${base}${new URL(await fallback.locator("code").textContent()).pathname}`);
  await owner.locator("h1", { hasText: "Join Bounced Ltd" }).waitFor();
});

test("when the network fails the page says so and offers a retry that works", async () => {
  const page = await newPage();
  let offline = true;
  await page.route("**/functions/v1/validate-invite", (route) => offline ? route.abort("internetdisconnected") : route.continue());
  await page.goto(`${base}/onboarding/join/${"A".repeat(43)}`);
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-code"), "network_error");
  assert.match(await alert.textContent(), /could not be reached/);
  await page.screenshot({ path: `${screenshots}network-error.png`, fullPage: true });
  offline = false;
  await page.click('button:has-text("Retry")');
  // Back online, the server's own answer: this token matches no invitation.
  await page.locator('[data-page="invite_not_found"]').waitFor();
});

test("a tenant admin onboards a user over Telegram and sees it complete in the dashboard", async () => {
  const tenantAdmin = await account("tenant-admin");
  const [{ id: adminId }] = await sql`select id from auth.users where email = ${tenantAdmin.email}`;
  // The signup webhook gave the tenant admin a workspace: that is the tenant.
  let tenantId;
  for (let i = 0; i < 100 && !tenantId; i++) {
    [{ organization_id: tenantId } = {}] = await sql`select organization_id from organization_members where user_id = ${adminId}`;
    if (!tenantId) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(tenantId, "the signup webhook made a workspace");
  const page = await newPage();
  await page.goto(`${base}/tenant/${tenantId}`);
  await signIn(page, tenantAdmin);
  await page.locator('button:has-text("Add user")').waitFor();
  const userEmail = unique("executor");
  await page.fill('input[name="email"]', userEmail);
  await page.fill('input[name="full_name"]', "Exe Cutor");
  await page.click('button:has-text("Add user")');
  const row = page.locator(`tr[data-user="${userEmail}"]`);
  await row.locator('.status:has-text("pending")').waitFor();
  await row.locator('button:has-text("Onboard over Telegram")').click();
  await row.locator('.status:has-text("invite_sent")').waitFor();
  await page.locator('[data-testid="unread"]').waitFor();
  await page.screenshot({ path: `${screenshots}tenant-1-invite-sent.png`, fullPage: true });

  // Make's scenario received the signed request; the bot got /start with its token.
  const received = await (await fetch(`${process.env.MAKE_FAKE_URL}/_fake/received?email=${encodeURIComponent(userEmail)}`)).json();
  const { correlation_id, start_token } = received.at(-1).body;
  const callback = await fetch(`${base}/functions/v1/user-onboarding/callback`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.MAKE_ONBOARDING_CALLBACK_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ correlation_id, email: userEmail, chat_id: 424242, start_token }),
  });
  assert.equal(callback.status, 200);

  // The dashboard polls: the user turns completed without a reload.
  await row.locator('.status:has-text("completed (active)")').waitFor();
  const unread = Number(await page.locator('[data-testid="unread"]').textContent());
  assert.ok(unread >= 3, `queued, sent and completed are unread: ${unread}`);
  await page.locator('li[data-status="unread"] button:has-text("Mark read")').first().click();
  await page.locator('[data-testid="unread"]', { hasText: String(unread - 1) }).waitFor();
  await row.locator('button:has-text("Timeline")').click();
  await page.locator('[data-testid="timeline"] li', { hasText: "completed" }).waitFor();
  await page.screenshot({ path: `${screenshots}tenant-2-completed.png`, fullPage: true });
});
