// Seed 002's journey in Chromium, as a person walks it: the invitation, the seed's sign-up
// form, the confirmation clicked inside the local inbox, acceptance, then every step of
// `/onboarding/:orgId` with a reload at each one, Back/Forward once and a second tab —
// nothing typed is lost — to an active organization. And an enterprise organization:
// each step refuses one invalid value beside its field, keeping the rest, and Domain
// Verification is completed in the app through the DNS-over-HTTPS fake.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  account, base, checkPage, clickInInbox, close, createOrganization, launch, newPage, PASSWORD, PHONE, signInAsPlatformAdmin, sql, unique,
} from "../support/browser.mjs";

before(launch);
after(close);

const stepOf = (page) => new URL(page.url()).searchParams.get("step");
const field = (page, phase, name) => page.locator(`form[data-phase="${phase}"] [name="${name}"]`);
async function onStep(page, phase) {
  await page.waitForFunction((key) => new URLSearchParams(location.search).get("step") === key || document.querySelector(`[aria-current="step"][data-step="${key}"]`), phase);
  await page.locator(`form[data-phase="${phase}"]`).waitFor();
}
async function reloadOn(page, phase) {
  await page.reload();
  await onStep(page, phase);
}

test("the seed's journey: sign up from the invitation, confirm in the inbox, accept, every step survives a reload, Back/Forward and a second tab, active", async () => {
  const admin = await account("admin", { platformAdmin: true });
  const ownerEmail = unique("owner");
  const adminPage = await newPage();
  await adminPage.goto(`${base}/admin`);
  await signInAsPlatformAdmin(adminPage, admin);
  const { slug, joinPath } = await createOrganization(adminPage, { name: "Journey Ltd", ownerEmail, plan: "starter", features: ["webhooks"] });

  // The invitation's page, then the seed's sign-up form: first name, last name, password,
  // the invited address read-only.
  const owner = await newPage();
  await owner.goto(`${base}${joinPath}`);
  await owner.locator("h1", { hasText: "Join Journey Ltd" }).waitFor();
  assert.equal(await owner.inputValue('input[name="signup-email"]'), ownerEmail);
  assert.equal(await owner.getAttribute('input[name="signup-email"]', "readonly"), "");
  await checkPage(owner, "journey-1-invitation");
  await owner.fill('input[name="first_name"]', "Ada");
  await owner.fill('input[name="last_name"]', "Lovelace");
  await owner.fill('input[name="new-password"]', PASSWORD);
  await owner.click('button:has-text("Create account")');
  await owner.locator('[data-page="check-inbox"]').waitFor();

  // The confirmation, clicked inside the local inbox: it opens at the top level and
  // brings the owner back to the invitation, signed in, with no token left in the address.
  await owner.goto(`${base}/_inbox`);
  await checkPage(owner, "journey-2-inbox");
  await clickInInbox(owner, ownerEmail, "Confirm Your Signup");
  await owner.locator('button:has-text("Accept the invitation")').waitFor();
  assert.equal(new URL(owner.url()).pathname, joinPath);
  assert.doesNotMatch(owner.url(), /#|access_token/);
  const [user] = await sql`select u.raw_user_meta_data ->> 'full_name' as meta, p.full_name
    from auth.users u left join profiles p on p.id = u.id where u.email = ${ownerEmail}`;
  assert.equal(user.meta, "Ada Lovelace", "the name reached raw_user_meta_data.full_name");

  // Accepting leads to /onboarding/:orgId, on its first step, the name prefilled.
  await owner.click('button:has-text("Accept the invitation")');
  await owner.waitForURL(/\/onboarding\/[0-9a-f-]{36}/);
  const organizationId = new URL(owner.url()).pathname.split("/")[2];
  await onStep(owner, "organization-setup");
  assert.equal(await field(owner, "organization-setup", "name").inputValue(), "Journey Ltd");
  assert.match(await owner.locator('[data-testid="progress"]').textContent(), /0 of 5 steps done/);
  await checkPage(owner, "journey-3-first-step");

  // Organization setup: typed, reloaded (kept), finished, saved: on to Billing.
  await field(owner, "organization-setup", "industry").fill("Recruiting");
  await field(owner, "organization-setup", "size_band").selectOption("11-50");
  await reloadOn(owner, "organization-setup");
  assert.equal(await field(owner, "organization-setup", "industry").inputValue(), "Recruiting");
  assert.equal(await field(owner, "organization-setup", "size_band").inputValue(), "11-50");
  await field(owner, "organization-setup", "time_zone").fill("Africa/Nairobi");
  await owner.click('form[data-phase="organization-setup"] button:has-text("Save")');
  await onStep(owner, "billing");

  // Billing: half typed, reloaded, the rest, saved.
  await field(owner, "billing", "billing_email").fill("billing@journey.example");
  await field(owner, "billing", "legal_name").fill("Journey Limited");
  await reloadOn(owner, "billing");
  assert.equal(await field(owner, "billing", "billing_email").inputValue(), "billing@journey.example");
  await field(owner, "billing", "address.line1").fill("1 Moi Ave");
  await field(owner, "billing", "address.city").fill("Nairobi");
  await field(owner, "billing", "address.country").selectOption("KE");
  assert.equal(await owner.locator('form[data-phase="billing"] select[name="address.country"] option:checked').textContent(), "Kenya");
  await owner.click('form[data-phase="billing"] button:has-text("Save")');
  await onStep(owner, "team");

  // Back returns to Billing, as saved; Forward to Team, with what was ticked there.
  await field(owner, "team", "completed").check();
  await owner.goBack();
  await onStep(owner, "billing");
  assert.equal(await field(owner, "billing", "legal_name").inputValue(), "Journey Limited");
  assert.equal(await field(owner, "billing", "address.country").inputValue(), "KE");
  await owner.goForward();
  await onStep(owner, "team");
  assert.equal(await field(owner, "team", "completed").isChecked(), true, "the tick survived Back/Forward");
  await reloadOn(owner, "team");
  assert.equal(await field(owner, "team", "completed").isChecked(), true, "the tick survived a reload");
  await owner.click('form[data-phase="team"] button:has-text("Save")');
  await onStep(owner, "integrations");

  // Integrations: typed here, then a second tab — from the used invitation link, which
  // leads on to the setup — finds it, and saves it.
  await field(owner, "integrations", "ats_provider").fill("Greenhouse");
  await reloadOn(owner, "integrations");
  const second = await owner.context().newPage();
  await second.goto(`${base}${joinPath}`);
  await second.locator('[data-page="invite_already_accepted"]').waitFor();
  await checkPage(second, "journey-4-already-accepted");
  await second.locator(`[data-organization="${organizationId}"] a:has-text("Continue setup")`).click();
  await onStep(second, "integrations");
  assert.equal(await field(second, "integrations", "ats_provider").inputValue(), "Greenhouse");
  await second.click('form[data-phase="integrations"] button:has-text("Save")');
  await onStep(second, "privacy");
  // The dashboard of an organization still being set up leads back here too.
  await second.goto(`${base}/tenant/${organizationId}`);
  await second.locator('[data-testid="setup-unfinished"] a:has-text("Continue setup")').click();
  await onStep(second, "privacy");
  await second.close();

  // The first tab, reloaded, shows Integrations saved; the steps lead on to Privacy.
  await reloadOn(owner, "integrations");
  await owner.locator('form[data-phase="integrations"] .badge.done').waitFor();
  await owner.click('a[data-step="privacy"]');
  await onStep(owner, "privacy");
  await field(owner, "privacy", "data_region").selectOption("af");
  await reloadOn(owner, "privacy");
  assert.equal(await field(owner, "privacy", "data_region").inputValue(), "af");
  await field(owner, "privacy", "dpa_accepted").check();
  await owner.click('form[data-phase="privacy"] button:has-text("Save")');
  await owner.locator('[data-phase="complete"]').waitFor();
  assert.equal(stepOf(owner), "complete");
  assert.match(await owner.locator('[data-testid="progress"]').textContent(), /5 of 5 steps done/);
  await owner.reload();
  await owner.locator('[data-phase="complete"] button:has-text("Complete onboarding")').click();

  // Completion leads to the dashboard; the organization is active.
  await owner.waitForURL(`${base}/tenant/${organizationId}`);
  await owner.locator('[data-testid="activated"]').waitFor();
  await checkPage(owner, "journey-5-active");
  const [{ status, name }] = await sql`select status, name from organizations where slug = ${slug}`;
  assert.deepEqual({ status, name }, { status: "active", name: "Journey Ltd" });
  const saved = await sql`select phase, data from organization_onboarding_phases where organization_id = ${organizationId} order by phase`;
  const data = Object.fromEntries(saved.map((row) => [row.phase, row.data]));
  assert.equal(data["organization-setup"].industry, "Recruiting");
  assert.equal(data.billing.address.country, "KE");
  assert.equal(data.integrations.ats_provider, "Greenhouse");
  assert.equal(data.privacy.data_region, "af");
  assert.equal((await sql`select full_name from profiles p join auth.users u using (id) where u.email = ${ownerEmail}`)[0].full_name, "Ada Lovelace");

  // No address in this tab's history carries a token.
  for (let i = 0; i < 20; i++) {
    assert.doesNotMatch(owner.url(), /access_token|refresh_token/, "a token in the history");
    const previous = owner.url();
    const moved = await owner.goBack({ waitUntil: "commit" }).catch(() => null);
    if (!moved || owner.url() === previous || !owner.url().startsWith(base)) break;
  }
});

test("an enterprise organization: each step refuses one invalid value beside its field and keeps the rest; the domain is verified in the app; active", async () => {
  const admin = await account("admin", { platformAdmin: true });
  const ownerEmail = unique("enterprise");
  const adminPage = await newPage();
  await adminPage.goto(`${base}/admin`);
  await signInAsPlatformAdmin(adminPage, admin);
  const { joinPath } = await createOrganization(adminPage, { name: "Enterprise Ltd", ownerEmail, plan: "enterprise" });
  const owner = await account("enterprise", { email: ownerEmail });
  const page = await newPage({ viewport: PHONE });
  await page.goto(`${base}${joinPath}`);
  await page.fill('input[name="password"]', owner.password);
  await page.click('form button:has-text("Sign in")');
  await page.click('button:has-text("Accept the invitation")');
  await page.waitForURL(/\/onboarding\/[0-9a-f-]{36}/);
  const organizationId = new URL(page.url()).pathname.split("/")[2];

  /** Fills a step, one value invalid: the refusal is beside that field, in words, and
   * every other field keeps its value; then the value is corrected and the step saved. */
  async function refusedThenSaved(phase, fields, invalid, fix) {
    await onStep(page, phase);
    for (const [name, value] of Object.entries({ ...fields, ...invalid })) await setValue(phase, name, value);
    await page.click(`form[data-phase="${phase}"] button:has-text("Save")`);
    const [name] = Object.keys(invalid);
    const message = page.locator(`form[data-phase="${phase}"] [data-field="${name}"] .field-error`);
    await message.waitFor();
    const words = await message.textContent();
    assert.doesNotMatch(words, /invalid_|_[a-z]+:|\b(size_band|address\.|data_region|primary_color)\b/, `${phase}: ${words}`);
    for (const [other, value] of Object.entries(fields)) {
      const control = field(page, phase, other);
      if (typeof value === "boolean") assert.equal(await control.isChecked(), value, `${phase}.${other} kept`);
      else assert.equal(await control.inputValue(), value, `${phase}.${other} kept`);
    }
    await checkPage(page, `enterprise-${phase}-refused`);
    for (const [fixName, value] of Object.entries(fix)) await setValue(phase, fixName, value);
    await page.click(`form[data-phase="${phase}"] button:has-text("Save")`);
    // Saved: the step is marked done (the domain's, once verified: its record is shown).
    const saved = phase === "domain-verification" ? '[data-testid="domain-check"]' : `.steps li.done a[data-step="${phase}"]`;
    await page.locator(saved).waitFor();
  }
  async function setValue(phase, name, value) {
    const control = field(page, phase, name);
    const tag = await control.evaluate((el) => `${el.tagName}:${el.type}`);
    if (tag.startsWith("SELECT")) await control.selectOption(value);
    else if (tag === "INPUT:checkbox") await control.setChecked(value);
    else await control.fill(value);
  }

  await refusedThenSaved("organization-setup",
    { name: "Enterprise Ltd", industry: "Logistics", size_band: "1001+" },
    { time_zone: "Mars/Olympus_Mons" }, { time_zone: "Europe/Berlin" });

  // Domain Verification: a hostname that is not one, then the real one; the TXT record
  // to publish is shown; Verify reads `not found` until it is published, then `verified`.
  const hostname = `careers-${randomUUID().slice(0, 8)}.enterprise.example`;
  await refusedThenSaved("domain-verification", {}, { hostname: "not a host" }, { hostname });
  const recordName = await page.locator('[data-testid="txt-name"]').textContent();
  const recordValue = await page.locator('[data-testid="txt-value"]').textContent();
  assert.equal(recordName, `_onboarding-verification.${hostname}`);
  await page.click('[data-testid="domain-check"] button:has-text("Verify")');
  await page.locator('[data-domain-status="not_found"]').waitFor({ timeout: 40_000 });
  assert.match(await page.locator('[data-domain-status]').textContent(), /not found/);
  await checkPage(page, "enterprise-domain-not-found");
  const published = await fetch(`${process.env.DOH_FAKE_URL}/_fake/txt`, {
    method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: recordName, values: [recordValue] }),
  });
  assert.equal(published.status, 200);
  await page.click('[data-testid="domain-check"] button:has-text("Verify")');
  await onStep(page, "brand-identity");
  const [domain] = await sql`select verified_at from organization_domains where organization_id = ${organizationId}`;
  assert.ok(domain.verified_at, "verified in the database");

  await refusedThenSaved("brand-identity",
    { primary_color: "#112233", accent_color: "#445566" },
    { sender_name: "<Enterprise>" }, { sender_name: "Enterprise Talent" });
  await refusedThenSaved("billing",
    { billing_email: "ap@enterprise.example", legal_name: "Enterprise Limited", "address.line1": "2 Harbour St", "address.city": "Hamburg", "address.country": "DE" },
    { tax_id: "!" }, { tax_id: "DE123456789" });
  await onStep(page, "team");
  // Saved unticked: said so, and the step stays open.
  await page.click('form[data-phase="team"] button:has-text("Save")');
  assert.match(await page.locator('form[data-phase="team"] [role="status"]').textContent(), /Tick/);
  await field(page, "team", "completed").check();
  await page.click('form[data-phase="team"] button:has-text("Save")');
  await refusedThenSaved("integrations",
    { ats_provider: "Lever" },
    { webhook_urls: "http://insecure.example/hook" }, { webhook_urls: "https://hooks.enterprise.example/ats" });
  await refusedThenSaved("privacy", { data_region: "eu" }, { dpa_accepted: false }, { dpa_accepted: true });

  await page.locator('[data-phase="complete"] button:has-text("Complete onboarding")').click();
  await page.waitForURL(`${base}/tenant/${organizationId}`);
  const [{ status }] = await sql`select status from organizations where id = ${organizationId}`;
  assert.equal(status, "active");
});
