// Governance in Chromium (playwright-core) against the running stack: an owner requires
// two-factor authentication (stepping up first, with a TOTP factor enrolled from the QR
// code's key), a member is asked for a second factor before seeing anything, an export
// is downloaded, and a deletion is scheduled and cancelled. TOTP codes are computed by
// the test (RFC 6238). Screenshots under .local/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { account, base, checkPage, close, enrolAndVerify, launch, newPage, PHONE, signIn, sql, workspaceOf } from "../support/browser.mjs";

before(launch);
after(close);

test("an owner requires two-factor authentication, a member steps up to see anything, an export is downloaded, a deletion is scheduled and cancelled", async () => {
  const owner = await account("mfa-owner");
  const organizationId = await workspaceOf(owner.email);
  const member = await account("mfa-member");
  const [{ id: memberId }] = await sql`select id from auth.users where email = ${member.email}`;
  await sql`insert into organization_members (organization_id, user_id, role) values (${organizationId}, ${memberId}, 'viewer')`;

  // The owner: requiring MFA takes a second factor first (no lock-out).
  const page = await newPage({ viewport: PHONE });
  await page.goto(`${base}/org/${organizationId}/team`);
  await signIn(page, owner);
  const settings = page.locator('[data-section="settings"]');
  await settings.locator('button:has-text("Require two-factor authentication")').click();
  await settings.locator('[data-testid="step-up"]').waitFor();
  await checkPage(page, "team-mfa-enrol");
  await enrolAndVerify(settings);
  await settings.locator('[role="status"]:has-text("now required")').waitFor();
  const [policy] = await sql`select mfa_required from organizations where id = ${organizationId}`;
  assert.equal(policy.mfa_required, true);

  // The member, signed in with a password only (aal1): asked for a second factor, nothing else.
  const memberPage = await newPage({ viewport: PHONE });
  await memberPage.goto(`${base}/org/${organizationId}/team`);
  await signIn(memberPage, member);
  await memberPage.locator('[data-testid="step-up"]').waitFor();
  assert.match(await memberPage.locator('[data-testid="step-up"]').textContent(), /requires two-factor authentication/);
  assert.equal(await memberPage.locator('[data-section="members"]').count(), 0);
  await checkPage(memberPage, "team-mfa-required");
  await enrolAndVerify(memberPage);
  await memberPage.locator(`[data-section="members"] tr[data-member="${member.email}"]`).waitFor();

  // The owner downloads an export.
  await page.reload();
  const download = page.waitForEvent("download");
  await settings.locator('button:has-text("Download an export")').click();
  const file = await (await download).path();
  const exported = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(exported.format, "tenant-onboarding-export/1");
  assert.equal(exported.members.length, 2);

  // And schedules the deletion, typing the slug; then cancels it from home.
  const [{ slug }] = await sql`select slug from organizations where id = ${organizationId}`;
  await page.fill('input[name="confirm-slug"]', "wrong");
  await page.click('button:has-text("Delete the organization")');
  await settings.locator('[role="alert"][data-code="confirmation_mismatch"]').waitFor();
  await page.fill('input[name="confirm-slug"]', slug);
  await page.click('button:has-text("Delete the organization")');
  await page.waitForURL(`${base}/`);
  const scheduled = page.locator(`[data-testid="your-organizations"] li[data-organization="${organizationId}"][data-status="deletion_scheduled"]`);
  await scheduled.waitFor();
  await checkPage(page, "home-deletion-scheduled");
  await memberPage.reload();
  await memberPage.locator('[data-page="deletion-scheduled"]').waitFor();
  await scheduled.locator('button:has-text("Cancel the deletion")').click();
  await page.locator(`[data-testid="your-organizations"] li[data-organization="${organizationId}"][data-status="active"]`).waitFor();
});
