// Every page of the web app on a 390×844 screen: nothing wider than the viewport, and
// axe-core finds no serious or critical violation — the local inbox and the pages for
// addresses that do not exist included. Screenshots under .local/screenshots/phone-*.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  account, base, checkPage, close, createOrganization, launch, newPage, PHONE, signInAsPlatformAdmin, unique, workspaceOf,
} from "../support/browser.mjs";

before(launch);
after(close);

test("every page fits a 390 px screen and passes axe-core", async () => {
  const signedOut = await newPage({ viewport: PHONE });
  for (const [name, path] of [["home", "/"], ["admin-sign-in", "/admin"], ["inbox", "/_inbox"],
    ["join-not-found", `/onboarding/join/${"A".repeat(43)}`], ["not-found", "/no/such/page"], ["reset-password", "/reset-password"]]) {
    const response = await signedOut.goto(`${base}${path}`);
    assert.match(response.headers()["content-type"], /text\/html/, `${path} is a page`);
    await signedOut.locator("h1").first().waitFor();
    await checkPage(signedOut, `phone-${name}`);
  }
  assert.equal((await signedOut.goto(`${base}/no/such/page`)).status(), 404);
  await signedOut.locator('[data-page="not-found"]').waitFor();
  await signedOut.goto(`${base}/`);
  await signedOut.click('button:has-text("Create an account")');
  await checkPage(signedOut, "phone-sign-up");

  const admin = await account("admin", { platformAdmin: true });
  const page = await newPage({ viewport: PHONE });
  await page.goto(`${base}/admin`);
  await signInAsPlatformAdmin(page, admin);
  const ownerEmail = unique("phone-owner");
  const { joinPath } = await createOrganization(page, { name: "A Company With Quite A Long Name Ltd", ownerEmail, plan: "enterprise" });
  await checkPage(page, "phone-admin-console");
  await page.goto(`${base}/`);
  await page.locator('[data-testid="your-organizations"]').waitFor();
  await checkPage(page, "phone-home-signed-in");
  await page.goto(`${base}/tenant/${await workspaceOf(admin.email)}`);
  await page.locator('button:has-text("Add user")').waitFor();
  await page.fill('input[name="email"]', unique("a-rather-long-executor-address"));
  await page.fill('input[name="full_name"]', "Someone With A Long Name");
  await page.click('button:has-text("Add user")');
  await page.locator("tr[data-user]").first().waitFor();
  await checkPage(page, "phone-tenant");

  const invitee = await newPage({ viewport: PHONE });
  await invitee.goto(`${base}${joinPath}`);
  await invitee.locator('[data-page="preview"]').waitFor();
  await checkPage(invitee, "phone-join-preview");
});
