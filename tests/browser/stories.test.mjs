// The reference web app's other stories in Chromium (playwright-core), against the
// running stack: the web app the gateway serves, Supabase Auth's local stand-in, the
// functions, PostgREST, and the Resend, Make and DoH fakes. Seed 002's journey itself is
// in journey.test.mjs. Screenshots under .local/screenshots/.
//
// Needs a running stack (STACK_ENV_FILE, STACK_DIR) with the fakes (FUNCTIONS_ENV_FILE,
// MAKE_FAKE_URL, RESEND_FAKE_URL).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  account, base, checkPage, clickInInbox, close, createOrganization, enrolAndVerify, env, inboxLink, launch, newPage, PASSWORD, PHONE, screenshots, signIn, signInAsPlatformAdmin, sql, unique, verifySecondFactor, workspaceOf,
} from "../support/browser.mjs";

before(launch);
after(close);

test("a platform admin signs up, confirms in the inbox, is told the page is not theirs until granted, creates an organization, waits to resend, signs out", async () => {
  const email = unique("new-admin");
  const page = await newPage();
  await page.goto(`${base}/admin`);
  await page.click('button:has-text("Create an account")');
  await page.fill('input[name="first_name"]', "Grace");
  await page.fill('input[name="last_name"]', "Hopper");
  await page.fill('input[name="signup-email"]', email);
  await page.fill('input[name="new-password"]', PASSWORD);
  await page.click('button:has-text("Create account")');
  await page.locator('[data-page="check-inbox"]').waitFor();

  await clickInInbox(page, email, "Confirm Your Signup");
  await page.locator('[data-page="not-platform-admin"]').waitFor();
  assert.equal(new URL(page.url()).pathname, "/admin");
  assert.doesNotMatch(page.url(), /#|access_token/, "no token left in the address");
  assert.equal(await page.locator('[data-testid="signed-in-as"]').textContent(), email);
  assert.equal(await page.locator('input[name="owner_email"]').count(), 0, "no create form for a non-admin");
  await checkPage(page, "admin-not-platform-admin");

  // The same confirmation link a second time: said in words, the address clean.
  await clickInInbox(page, email, "Confirm Your Signup");
  await page.locator('[role="alert"][data-code="otp_expired"]').waitFor();
  assert.match(await page.locator('[role="alert"][data-code="otp_expired"]').textContent(), /expired or was already used/);
  assert.doesNotMatch(page.url(), /#/);

  // Granted by an operator: the console, once a second factor is set up and verified
  // (nothing of it before: platform admins act on tenants only at aal2). Signed out and
  // in again: the same factor, then the console again.
  await sql`select private.set_platform_role(${email}, 'platform_admin')`;
  await page.goto(`${base}/admin`);
  await page.locator('[data-testid="step-up"]').waitFor();
  assert.equal(await page.locator('input[name="owner_email"]').count(), 0, "no console before the second factor");
  await checkPage(page, "admin-step-up");
  const secret = await enrolAndVerify(page);
  await page.locator('input[name="owner_email"]').waitFor();
  await page.click('header button:has-text("Sign out")');
  await page.locator('form[aria-label="Sign in"]').waitFor();
  assert.equal(new URL(page.url()).pathname, "/", "signing out leads home");
  assert.equal(await page.locator('[data-testid="signed-in-as"]').count(), 0);
  await page.goto(`${base}/admin`);
  await signIn(page, { email, password: PASSWORD });
  await page.locator('[data-testid="step-up"]').waitFor();
  await verifySecondFactor(page, secret);
  await page.locator('input[name="owner_email"]').waitFor();
  const ownerEmail = unique("owner");
  await createOrganization(page, { name: "Hopper Labs", ownerEmail });
  const row = page.locator(`tr[data-invite="${ownerEmail}"]`);
  await row.locator('.status:has-text("pending")').waitFor();
  assert.equal(await row.locator(".organization").textContent(), "Hopper Labs");
  assert.equal(await page.inputValue('input[name="owner_email"]'), "", "the form is cleared after a create");
  await checkPage(page, "admin-console");

  // Resending at once: told how long to wait, in seconds.
  await row.locator('button:has-text("Resend")').click();
  const wait = page.locator('[role="alert"][data-code="rate_limited"]');
  await wait.waitFor();
  const seconds = Number((await wait.textContent()).match(/Try again in (\d+) s/)?.[1]);
  assert.ok(seconds >= 1 && seconds <= 60, `a wait of 1-60 s: ${await wait.textContent()}`);
  await page.click('header button:has-text("Sign out")');
  await page.locator('form[aria-label="Sign in"]').waitFor();
  await page.goto(`${base}/admin`);
  await page.locator('form[aria-label="Platform admin: sign in"]').waitFor();
});

test("a forgotten password is reset from the inbox's link, and the new one signs in", async () => {
  const who = await account("forgetful");
  const page = await newPage({ viewport: PHONE });
  await page.goto(`${base}/admin`);
  await page.click('button:has-text("Forgot password?")');
  await page.fill('input[name="reset-email"]', who.email);
  await page.click('button:has-text("Send the reset link")');
  await page.locator('[data-page="reset-sent"]').waitFor();
  await clickInInbox(page, who.email, "Reset Your Password");
  await page.locator('form[aria-label="Choose a new password"]').waitFor();
  assert.equal(new URL(page.url()).pathname, "/reset-password");
  assert.doesNotMatch(page.url(), /#/, "no token left in the address");
  await checkPage(page, "reset-password");
  await page.fill('input[name="new-password"]', "a brand new secret");
  await page.click('button:has-text("Save the new password")');
  await page.locator('[data-page="password-changed"]').waitFor();
  await page.click('header button:has-text("Sign out")');
  await page.goto(`${base}/admin`);
  await signIn(page, { email: who.email, password: "a brand new secret" });
  await page.locator('[data-page="not-platform-admin"]').waitFor();
});

test("a wrong account, a revoked and an expired link get pages of their own", async () => {
  const admin = await account("admin", { platformAdmin: true });
  const page = await newPage();
  await page.goto(`${base}/admin`);
  await signInAsPlatformAdmin(page, admin);
  const ownerEmail = unique("owner");
  const { joinPath } = await createOrganization(page, { name: "Wrong Account Ltd", ownerEmail });

  // Signed in as someone else: told so, with the way out.
  const stranger = await account("stranger");
  const other = await newPage();
  await other.goto(`${base}/`);
  await signIn(other, stranger);
  await other.locator('[data-testid="signed-in-as"]').waitFor();
  await other.goto(`${base}${joinPath}`);
  await other.locator('[data-page="wrong-account"]').waitFor();
  await checkPage(other, "wrong-account");
  await other.click('button:has-text("Sign out and use the invited address")');
  await other.locator('button:has-text("Create account")').waitFor();

  // Revoked by the admin from the list: its own page.
  const revokedEmail = unique("revoked");
  const { joinPath: revokedPath } = await createOrganization(page, { name: "Revoked Ltd", ownerEmail: revokedEmail });
  const revokedRow = page.locator(`tr[data-invite="${revokedEmail}"]`);
  await revokedRow.locator('.status:has-text("pending")').waitFor();
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
  await checkPage(other, "expired");
});

test("when Resend refuses the email, the admin is told why and gets the link to share, which works", async () => {
  const admin = await account("admin", { platformAdmin: true });
  const ownerEmail = unique("bounced");
  // The Resend fake answers the next send to this address as Resend refuses one.
  const scripted = await fetch(`${env.RESEND_API_URL}/_fake/script`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: ownerEmail, responses: [{ status: 422, name: "validation_error", message: "The recipient address is suppressed." }] }),
  });
  assert.equal(scripted.status, 200);
  const page = await newPage();
  await page.goto(`${base}/admin`);
  await signInAsPlatformAdmin(page, admin);
  await createOrganization(page, { name: "Bounced Ltd", ownerEmail });
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

/** `supabase secrets set|unset` on the local stack: the functions restart with them. */
const secrets = (...args) => execFileSync("bash", ["local/stack/stack.sh", "secrets", ...args], { stdio: ["ignore", "ignore", "pipe"] });

test("a tenant admin adds users (a duplicate refused in words), onboards one over Telegram while Make is not configured (queued, told why), then once it is (delivered, completed)", async () => {
  const tenantAdmin = await account("tenant-admin");
  const tenantId = await workspaceOf(tenantAdmin.email);
  const page = await newPage();
  await page.goto(`${base}/tenant/${tenantId}`);
  await signIn(page, tenantAdmin);
  await page.locator('button:has-text("Add user")').waitFor();
  const userEmail = unique("executor");
  await page.fill('input[name="email"]', userEmail);
  await page.fill('input[name="full_name"]', "Exe Cutor");
  await page.click('button:has-text("Add user")');
  const row = page.locator(`tr[data-user="${userEmail}"]`);
  await row.waitFor();
  assert.equal(await row.locator(".name").textContent(), "Exe Cutor");
  assert.equal(await page.inputValue('input[name="email"]'), "", "the form is cleared after an add");
  assert.equal(await page.inputValue('input[name="full_name"]'), "");

  // The same address again: refused with a stable code, said in words.
  await page.fill('input[name="email"]', userEmail.toUpperCase());
  await page.click('button:has-text("Add user")');
  const refusal = page.locator('[role="alert"][data-code="tenant_user_exists"]');
  await refusal.waitFor();
  assert.equal(await refusal.textContent(), "This tenant already has a user with that email address.");
  assert.equal(await page.inputValue('input[name="email"]'), userEmail.toUpperCase(), "what was typed stays");
  await checkPage(page, "tenant-duplicate");

  const makeUrl = env.MAKE_USER_ONBOARDING_WEBHOOK_URL;
  secrets("unset", "MAKE_USER_ONBOARDING_WEBHOOK_URL");
  try {
    // Not configured: the request is accepted and recorded, the tenant told why it waits.
    await page.reload();
    await row.locator('button:has-text("Onboard over Telegram")').click();
    await row.locator('.status[data-status="pending"]').waitFor();
    await page.locator('li[data-level="warning"]', { hasText: "Waiting for Make" }).waitFor();
    assert.equal(await page.locator('[role="alert"]').count(), 0, "no error shown");
    await row.locator('button:has-text("Timeline")').click();
    await page.locator('[data-testid="timeline"] li', { hasText: "delivery waiting" }).waitFor();
    const [waiting] = await sql`select o.status, o.attempts from onboarding_outbox o join tenant_users u on u.id = o.user_id where u.email = ${userEmail}`;
    assert.deepEqual({ ...waiting }, { status: "pending", attempts: 0 });
    await page.screenshot({ path: `${screenshots}tenant-1-waiting-for-make.png`, fullPage: true });
  } finally {
    secrets("set", `MAKE_USER_ONBOARDING_WEBHOOK_URL=${makeUrl}`);
  }

  // Configured: the dispatcher delivers the queued message; the dashboard follows.
  await row.locator('.status[data-status="invite_sent"]').waitFor({ timeout: 30_000 });
  const received = await (await fetch(`${process.env.MAKE_FAKE_URL}/_fake/received?email=${encodeURIComponent(userEmail)}`)).json();
  const { correlation_id, start_token } = received.at(-1).body;
  const callback = await fetch(`${base}/functions/v1/user-onboarding/callback`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.MAKE_ONBOARDING_CALLBACK_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ correlation_id, email: userEmail, chat_id: 424242, start_token }),
  });
  assert.equal(callback.status, 200);
  await row.locator('.status:has-text("completed (active)")').waitFor();
  const unread = Number(await page.locator('[data-testid="unread"]').textContent());
  assert.ok(unread >= 3, `queued, waiting, sent and completed are unread: ${unread}`);
  await page.locator('li[data-status="unread"] button:has-text("Mark read")').first().click();
  await page.locator('[data-testid="unread"]', { hasText: String(unread - 1) }).waitFor();
  await row.locator('button:has-text("Timeline")').click();
  await page.locator('[data-testid="timeline"] li', { hasText: "delivered" }).waitFor();
  await page.screenshot({ path: `${screenshots}tenant-2-completed.png`, fullPage: true });
});
