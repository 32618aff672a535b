// The Team page (/org/:id/team) and the ways into an organization, in Chromium
// (playwright-core) against the running stack: verified domains with the TXT record
// published in the DNS-over-HTTPS fake, enrollment by domain, join requests, shareable
// invite links, members, invitations, the audit log and the header's organization
// switcher. Every action goes through the typed client; every refusal is read in words.
// Screenshots under .local/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  account, base, checkPage, clickInInbox, close, launch, newPage, PASSWORD, PHONE, signIn, sql, unique, workspaceOf,
} from "../support/browser.mjs";

before(launch);
after(close);

const hostnameOf = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}-example.com`;

/** Opens the organization's Team page and signs in there. */
async function teamPage(who, organizationId, options = {}) {
  const page = await newPage(options);
  await page.goto(`${base}/org/${organizationId}/team`);
  await signIn(page, who);
  await page.locator('[data-section="members"] tr[data-member]').first().waitFor();
  return page;
}

/** A person signing up in the app at `email` and confirming from the inbox: back on `path`, signed in. */
async function signUpInApp(page, path, email) {
  await page.goto(`${base}${path}`);
  // Once the app has drawn its sign-in (with the tab to create an account) or the sign-up
  // form itself: counting before that finds neither.
  const tab = page.locator('button:has-text("Create an account")');
  await page.locator('button:has-text("Create an account"), input[name="first_name"]').first().waitFor();
  if (await tab.count()) await tab.click();
  await page.fill('input[name="first_name"]', "Ann");
  await page.fill('input[name="last_name"]', "Lee");
  if (await page.locator('input[name="signup-email"]:not([readonly])').count()) await page.fill('input[name="signup-email"]', email);
  await page.fill('input[name="new-password"]', PASSWORD);
  await page.click('button:has-text("Create account")');
  await page.locator('[data-page="check-inbox"]').waitFor();
  await clickInInbox(page, email, "Confirm Your Signup");
  await page.locator('[data-testid="signed-in-as"]').waitFor();
}

async function publishTxt(name, value) {
  const published = await fetch(`${process.env.DOH_FAKE_URL}/_fake/txt`, {
    method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, values: [value] }),
  });
  assert.equal(published.status, 200);
}

test("an owner verifies a domain and invites everyone at it; a new colleague signs up, confirms and accepts from home; no other organization can claim the domain", async () => {
  const owner = await account("team-owner");
  const organizationId = await workspaceOf(owner.email);
  const hostname = hostnameOf("acme");
  const page = await teamPage(owner, organizationId);
  const domains = page.locator('[data-section="domains"]');

  // A webmail domain is refused in words; the company's own is added with its record.
  await page.fill('input[name="domain-hostname"]', "gmail.com");
  await page.click('button:has-text("Add domain")');
  assert.match(await domains.locator('[role="alert"][data-code="domain_not_allowed"]').textContent(), /public email provider/);
  await page.fill('input[name="domain-hostname"]', hostname.toUpperCase());
  await page.click('button:has-text("Add domain")');
  const item = domains.locator(`li[data-domain="${hostname}"]`);
  const name = await item.locator('[data-testid="txt-name"]').textContent();
  assert.equal(name, `_onboarding-verification.${hostname}`);
  await checkPage(page, "team-domain-to-verify");
  await publishTxt(name, await item.locator('[data-testid="txt-value"]').textContent());
  await item.locator('button:has-text("Verify")').click();
  const enrollment = item.locator("form.enrollment");
  await enrollment.waitFor({ timeout: 40_000 });
  await enrollment.locator('select[name="enrollment-mode"]').selectOption("automatic_invitation");
  await enrollment.locator('select[name="enrollment-role"]').selectOption("recruiter");
  await enrollment.locator('button:has-text("Save")').click();
  await enrollment.locator('[role="status"]:has-text("Saved.")').waitFor();
  await checkPage(page, "team-domain-verified");

  // A colleague at that domain signs up in the app and confirms: the invite waits at home.
  const colleague = await newPage({ viewport: PHONE });
  const email = `ann-${randomUUID().slice(0, 8)}@${hostname}`;
  await signUpInApp(colleague, "/", email);
  const invite = colleague.locator(`[data-testid="for-you"] li[data-invite="${organizationId}"]`);
  await invite.waitFor();
  assert.match(await invite.textContent(), new RegExp(`everyone at ${hostname.replaceAll(".", "\\.")}`));
  await checkPage(colleague, "home-domain-invite");
  await invite.locator('button:has-text("Accept")').click();
  await colleague.waitForURL(`**/org/${organizationId}/team`);
  const row = colleague.locator(`tr[data-member="${email}"]`);
  await row.waitFor();
  assert.equal(await row.locator("[data-role]").textContent(), "Recruiter");
  assert.equal(await colleague.locator('[data-section="requests"], [data-section="links"]').count(), 0, "a recruiter manages no ways in");
  await checkPage(colleague, "team-as-recruiter");

  // The owner's audit log says how they came in, newest first.
  await page.reload();
  const added = page.locator('[data-section="audit"] li[data-action="member.added"]').first();
  await added.waitFor();
  assert.match(await added.textContent(), /through a verified domain/);
  assert.match(await added.textContent(), new RegExp(email.replaceAll(".", "\\.")));

  // Another organization cannot claim the verified hostname.
  const rival = await account("rival-owner");
  const rivalPage = await teamPage(rival, await workspaceOf(rival.email), { viewport: PHONE });
  await rivalPage.fill('input[name="domain-hostname"]', hostname);
  await rivalPage.click('button:has-text("Add domain")');
  assert.match(await rivalPage.locator('[data-section="domains"] [role="alert"][data-code="domain_taken"]').textContent(), /already verified/);
});

test("people at a domain that lets them ask request to join: one is approved as a member, one is declined and told so", async () => {
  const owner = await account("suggest-owner");
  const organizationId = await workspaceOf(owner.email);
  const hostname = hostnameOf("suggests");
  // The domain is verified as in the story above; here it lets people ask.
  await sql`insert into organization_domains (organization_id, hostname, txt_name, txt_value, verified_at, enrollment_mode)
            values (${organizationId}, ${hostname}, ${`_onboarding-verification.${hostname}`}, 'x', now(), 'automatic_suggestion')`;
  const approved = await account("asker", { email: `yes-${randomUUID().slice(0, 8)}@${hostname}` });
  const declined = await account("asker", { email: `no-${randomUUID().slice(0, 8)}@${hostname}` });

  const ask = async (who) => {
    const page = await newPage({ viewport: PHONE });
    await page.goto(`${base}/`);
    await signIn(page, who);
    const suggestion = page.locator(`li[data-suggestion="${organizationId}"]`);
    await suggestion.locator('button:has-text("Ask to join")').click();
    await suggestion.locator('[data-request-status="pending"]').waitFor();
    return page;
  };
  const approvedPage = await ask(approved);
  await checkPage(approvedPage, "home-request-pending");
  const declinedPage = await ask(declined);

  const page = await teamPage(owner, organizationId);
  const requests = page.locator('[data-section="requests"]');
  assert.equal(await requests.locator('[data-testid="pending-requests"]').textContent(), "2");
  await checkPage(page, "team-join-requests");
  await requests.locator(`li[data-request="${approved.email}"] select[name="request-role"]`).selectOption("recruiter");
  await requests.locator(`li[data-request="${approved.email}"] button:has-text("Approve")`).click();
  await page.locator(`[data-section="members"] tr[data-member="${approved.email}"]`).waitFor();
  await requests.locator(`li[data-request="${declined.email}"] button:has-text("Deny")`).click();
  await requests.locator(`li[data-request="${declined.email}"][data-status="denied"]`).waitFor();

  // Each requester sees the outcome.
  await approvedPage.reload();
  await approvedPage.locator('[data-testid="for-you"] [data-request-status="approved"]').waitFor();
  await approvedPage.locator(`[data-testid="your-organizations"] li[data-organization="${organizationId}"]`).waitFor();
  await declinedPage.reload();
  await declinedPage.locator(`li[data-suggestion="${organizationId}"] [data-request-status="denied"]`).waitFor();
  const [member] = await sql`select m.role from organization_members m join auth.users u on u.id = m.user_id
                             where m.organization_id = ${organizationId} and u.email = ${approved.email}`;
  assert.equal(member.role, "recruiter");
});

test("an invite link: made once and copied, used by a newcomer who signs up through it, then used up; members managed, invitations sent and revoked, organizations switched", async () => {
  const owner = await account("link-owner");
  const organizationId = await workspaceOf(owner.email);
  const page = await teamPage(owner, organizationId, { viewport: PHONE });
  const links = page.locator('[data-section="links"]');

  await page.fill('input[name="link-domain"]', "gmail.com");
  await page.click('button:has-text("Create link")');
  await links.locator('[role="alert"][data-code="domain_not_allowed"]').waitFor();
  await page.fill('input[name="link-domain"]', "");
  await page.fill('input[name="link-max-uses"]', "1");
  await page.click('button:has-text("Create link")');
  const url = await links.locator('[data-testid="new-link-url"]').textContent();
  assert.match(url, new RegExp(`^${base}/onboarding/join/[A-Za-z0-9_-]{43}$`));
  await links.locator('li[data-status="active"]:has-text("1 of 1 uses left")').waitFor();
  await checkPage(page, "team-invite-link");

  // A newcomer opens the link, creates an account through it and joins.
  const newcomer = await newPage({ viewport: PHONE });
  const email = unique("newcomer");
  await newcomer.goto(url);
  await newcomer.locator('[data-page="preview"][data-kind="link"]').waitFor();
  await checkPage(newcomer, "join-link-preview");
  await signUpInApp(newcomer, new URL(url).pathname, email);
  await newcomer.click('button:has-text("Join the organization")');
  await newcomer.waitForURL(`**/org/${organizationId}/team`);
  await newcomer.locator(`tr[data-member="${email}"]`).waitFor();

  // The link is used up: the next person reads so on the join page.
  const latePage = await newPage({ viewport: PHONE });
  await latePage.goto(url);
  await latePage.locator('[data-page="invite_link_used_up"]').waitFor();
  assert.match(await latePage.locator('[role="alert"]').textContent(), /used as many times as it allows/);
  await checkPage(latePage, "join-link-used-up");

  // A revoked link and an expired one: each its own page, in words.
  await page.click('button:has-text("Create link")');
  await page.waitForFunction((old) => document.querySelector('[data-testid="new-link-url"]')?.textContent !== old, url);
  const revokedUrl = await links.locator('[data-testid="new-link-url"]').textContent();
  await links.locator('li[data-status="active"] button:has-text("Revoke")').first().click();
  await links.locator('button:has-text("Yes, revoke")').click();
  await links.locator('li[data-status="revoked"]').waitFor();
  await latePage.goto(revokedUrl);
  await latePage.locator('[data-page="invite_revoked"]').waitFor();
  assert.match(await latePage.locator('[role="alert"]').textContent(), /revoked/);
  await page.click('button:has-text("Create link")');
  await page.waitForFunction((old) => document.querySelector('[data-testid="new-link-url"]')?.textContent !== old, revokedUrl);
  const expiredUrl = await links.locator('[data-testid="new-link-url"]').textContent();
  await sql`update invite_links set expires_at = now() - interval '1 second'
            where organization_id = ${organizationId} and revoked_at is null and uses = 0`;
  await latePage.goto(expiredUrl);
  await latePage.locator('[data-page="invite_expired"]').waitFor();
  assert.match(await latePage.locator('[role="alert"]').textContent(), /expired/);

  // Members: the owner makes the newcomer an admin, invites someone by email and revokes it.
  await page.reload();
  const members = page.locator('[data-section="members"]');
  await members.locator(`select[aria-label="Role of ${email}"]`).selectOption("admin");
  await members.locator('[role="status"]:has-text("is now Admin")').waitFor();
  const invited = unique("invited");
  await page.fill('input[name="invite-email"]', invited);
  await page.click('button:has-text("Send invitation")');
  const invitation = page.locator(`[data-section="invites"] li[data-invite="${invited}"]`);
  await invitation.waitFor();
  await invitation.locator('button:has-text("Revoke")').click();
  await invitation.locator('button:has-text("Yes, revoke")').click();
  await invitation.waitFor({ state: "detached" });
  await checkPage(page, "team-owner");

  // The newcomer, now in two organizations (their own signup workspace too), switches in the header.
  const own = await workspaceOf(email);
  await newcomer.selectOption('header select[name="active-organization"]', own);
  await newcomer.waitForURL(`**/org/${own}/team`);
  const [profile] = await sql`select p.organization_id from profiles p join auth.users u on u.id = p.id where u.email = ${email}`;
  assert.equal(profile.organization_id, own);

  // And leaves the organization they joined by the link.
  await newcomer.goto(`${base}/org/${organizationId}/team`);
  const me = newcomer.locator(`tr[data-member="${email}"]`);
  await me.locator('button:has-text("Leave")').click();
  await me.locator('button:has-text("Yes, leave")').click();
  await newcomer.waitForURL(`${base}/`);
  const [left] = await sql`select count(*)::int as n from organization_members m join auth.users u on u.id = m.user_id
                           where m.organization_id = ${organizationId} and u.email = ${email}`;
  assert.equal(left.n, 0);
});

test("the audit log pages back and forth: twenty at a time, newest first, each entry once", async () => {
  const owner = await account("audit-owner");
  const organizationId = await workspaceOf(owner.email);
  // Years of activity, in short: 45 entries beside the two the signup wrote.
  await sql`insert into organization_audit_log (organization_id, action, after)
            select ${organizationId}, 'member.role_changed', jsonb_build_object('role', 'viewer') from generate_series(1, 45)`;
  const ids = (await sql`select id from organization_audit_log where organization_id = ${organizationId} order by id desc`).map((row) => String(row.id));
  const page = await teamPage(owner, organizationId);
  const audit = page.locator('[data-section="audit"]');
  const shown = async () => {
    await audit.locator("li[data-id]").first().waitFor();
    return audit.locator("li[data-id]").evaluateAll((items) => items.map((item) => item.getAttribute("data-id")));
  };
  const pages = [await shown()];
  for (const expected of [2, 3]) {
    const last = pages.at(-1).at(-1);
    await audit.locator('button:has-text("Older")').click();
    await audit.locator(`li[data-id="${last}"]`).waitFor({ state: "detached" });
    assert.match(await audit.textContent(), new RegExp(`Page ${expected}`));
    pages.push(await shown());
  }
  assert.deepEqual(pages.map((entries) => entries.length), [20, 20, 7]);
  assert.deepEqual(pages.flat(), ids, "every entry once, newest first");
  assert.equal(await audit.locator('button:has-text("Older")').isDisabled(), true, "nothing older than the last page");
  await audit.locator('button:has-text("Newer")').click();
  await audit.locator(`li[data-id="${pages[1][0]}"]`).waitFor();
  assert.deepEqual(await shown(), pages[1], "Newer goes back to the page before");
});

test("directory sync: an admin turns it on, the identity provider's calls make, map, suspend and remove members, a token is rotated and revoked", async () => {
  const owner = await account("directory-owner");
  const organizationId = await workspaceOf(owner.email);
  await sql`update organizations set plan_id = 'enterprise' where id = ${organizationId}`;
  const admin = await account("directory-admin");
  const [{ id: adminId }] = await sql`select id from auth.users where email = ${admin.email}`;
  await sql`insert into organization_members (organization_id, user_id, role) values (${organizationId}, ${adminId}, 'admin')`;
  const colleague = await account("directory-colleague");
  const [{ id: colleagueId }] = await sql`select id from auth.users where email = ${colleague.email}`;

  const page = await teamPage(admin, organizationId);
  const section = page.locator('[data-section="directory"]');
  await section.locator('button:has-text("Turn on: create a token")').click();
  const token = (await section.locator('[data-testid="new-directory-token-value"]').textContent()).trim();
  assert.match(token, /^scim_[A-Za-z0-9_-]{43}$/);
  const url = (await section.locator('[data-testid="scim-url"]').textContent()).trim();
  assert.ok(url.endsWith("/functions/v1/scim/v2"), url);
  await section.locator('input[name="directory-group"]').fill("Engineering Leads");
  await section.locator('select[name="directory-role"]').selectOption("admin");
  await section.locator('button:has-text("Map group")').click();
  await section.locator('li[data-mapping="Engineering Leads"]').waitFor();

  // The identity provider, with the pasted URL and token.
  const scim = async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
      body: body && JSON.stringify(body),
    });
    return { status: response.status, body: response.status === 204 ? null : await response.json() };
  };
  const lead = await scim("POST", "/Users", { userName: colleague.email, emails: [{ type: "work", value: colleague.email }], active: true });
  assert.equal(lead.status, 201);
  const newcomer = unique("directory-newcomer");
  const pending = await scim("POST", "/Users", { userName: newcomer, active: true });
  assert.equal(pending.status, 201);
  const group = await scim("POST", "/Groups", { displayName: "Engineering Leads", members: [{ value: lead.body.id }] });
  assert.equal(group.status, 201);
  const [{ role }] = await sql`select role from organization_members where organization_id = ${organizationId} and user_id = ${colleagueId}`;
  assert.equal(role, "admin", "the mapped group's role");

  await page.reload();
  await section.locator(`li[data-directory-person="${colleague.email}"][data-state="member"]`).waitFor();
  await section.locator(`li[data-directory-person="${newcomer}"][data-state="pending"]`).waitFor();
  assert.match(await section.locator('[data-testid="directory-counts"]').textContent(), /1 members, 1 waiting for signup, 0 suspended, 1 groups/);
  // The colleague is in the members list too, as an admin.
  await page.locator(`[data-section="members"] tr[data-member]:has-text("${colleague.email}")`).waitFor();

  // Suspended by the provider: badged, and no longer a member.
  assert.equal((await scim("PATCH", `/Users/${lead.body.id}`, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "active", value: "False" }],
  })).status, 200);
  await page.reload();
  await section.locator(`li[data-directory-person="${colleague.email}"][data-state="suspended"]`).waitFor();
  assert.equal(await page.locator(`[data-section="members"] tr[data-member]:has-text("${colleague.email}")`).count(), 0);
  await checkPage(page, "team-directory");

  // Rotation: a second token, the first revoked; calls with the first stop at once.
  await section.locator('button:has-text("Create another token (rotate)")').click();
  const second = (await section.locator('[data-testid="new-directory-token-value"]').textContent()).trim();
  assert.notEqual(second, token);
  await section.locator(`li[data-token] >> nth=1`).locator('button:has-text("Revoke")').click();
  await section.locator('button:has-text("Yes, revoke")').click();
  await section.locator('li[data-revoked="yes"]').waitFor();
  assert.equal((await scim("GET", "/Users")).status, 401);
  const withSecond = await fetch(`${url}/Users`, { headers: { authorization: `Bearer ${second}` } });
  assert.equal(withSecond.status, 200);
  await page.close();
});
