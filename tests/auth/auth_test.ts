// The local Supabase Auth stand-in, driven by supabase-js itself (the client frontends use):
// sign up, the confirmation link from the local inbox, sign in, the user, metadata and
// password changes, refresh, sign out, recovery; and GoTrue's refusals by their codes. The
// signup fires the database webhook exactly as Supabase Auth's insert does.
//
// Needs a running stack (STACK_ENV_FILE).
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { inboxLink as linkIn, readEnvFile } from "../support/stack.mjs";

const env = readEnvFile(Deno.env.get("STACK_ENV_FILE")!);
const url = env.SUPABASE_URL;
const client = () =>
  createClient(url, env.SUPABASE_PUBLISHABLE_KEY, { auth: { persistSession: false, autoRefreshToken: false } });
const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}@example.com`;

const inboxLink = (email: string, type: "signup" | "recovery"): Promise<string> => linkIn(url, email, type);

Deno.test("sign up, confirm by the emailed link, sign in, read and change the user, refresh, sign out", async () => {
  const supabase = client();
  const email = unique("signup");
  const { data: signedUp, error } = await supabase.auth.signUp({
    email, password: "correct horse", options: { data: { full_name: "Ada Lovelace" } },
  });
  assert.equal(error, null);
  assert.equal(signedUp.session, null, "confirmations are on: no session before the link");
  assert.equal(signedUp.user?.email, email);

  // Not confirmed yet.
  const early = await supabase.auth.signInWithPassword({ email, password: "correct horse" });
  assert.equal(early.error?.code, "email_not_confirmed");

  // The link in the inbox confirms and lands on redirect_to with a session in the fragment.
  const link = await inboxLink(email, "signup");
  const landing = await fetch(link, { redirect: "manual" });
  assert.equal(landing.status, 303);
  const fragment = new URLSearchParams(new URL(landing.headers.get("location")!).hash.slice(1));
  assert.ok(fragment.get("access_token"));
  assert.equal(fragment.get("type"), "signup");
  await landing.body?.cancel();

  const { data: signedIn, error: signInError } = await supabase.auth.signInWithPassword({ email, password: "correct horse" });
  assert.equal(signInError, null);
  const claims = JSON.parse(atob(signedIn.session!.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  assert.equal(claims.role, "authenticated");
  assert.equal(claims.email, email);
  assert.equal(claims.iss, `${url}/auth/v1`);
  // The custom access token hook ran: the workspace the signup webhook made is active.
  assert.match(String(claims.organization_id), /^[0-9a-f-]{36}$/);
  assert.equal(claims.org_role, "owner");

  // The webhook fired as on Supabase: a profile exists, readable with the session.
  let profiles: unknown[] = [];
  for (let i = 0; i < 50 && profiles.length === 0; i++) {
    profiles = (await supabase.from("profiles").select("id, full_name")).data ?? [];
    if (profiles.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(profiles, [{ id: signedIn.user!.id, full_name: "Ada Lovelace" }]);

  const { data: fetched } = await supabase.auth.getUser();
  assert.equal(fetched.user?.id, signedIn.user!.id);
  const { data: updated, error: updateError } = await supabase.auth.updateUser({ data: { locale: "sw" } });
  assert.equal(updateError, null);
  assert.equal(updated.user?.user_metadata.locale, "sw");
  assert.equal(updated.user?.user_metadata.full_name, "Ada Lovelace");

  const oldRefresh = signedIn.session!.refresh_token;
  const { data: refreshed, error: refreshError } = await supabase.auth.refreshSession();
  assert.equal(refreshError, null);
  assert.notEqual(refreshed.session?.refresh_token, oldRefresh);
  const reused = await client().auth.refreshSession({ refresh_token: oldRefresh });
  assert.equal(reused.error?.code, "refresh_token_not_found", "a refresh token works once");

  assert.equal((await supabase.auth.updateUser({ password: "battery staple" })).error, null);
  assert.equal((await supabase.auth.signOut()).error, null);
  const old = await client().auth.signInWithPassword({ email, password: "correct horse" });
  assert.equal(old.error?.code, "invalid_credentials");
  const again = await client().auth.signInWithPassword({ email, password: "battery staple" });
  assert.equal(again.error, null);
});

Deno.test("GoTrue's refusals: wrong password, duplicate signup, malformed email, weak password, bad links", async () => {
  const supabase = client();
  const email = unique("refusals");
  assert.equal((await supabase.auth.signUp({ email, password: "correct horse" })).error, null);
  const duplicate = await supabase.auth.signUp({ email, password: "correct horse" });
  assert.equal(duplicate.error?.code, "user_already_exists");
  assert.equal(duplicate.error?.status, 422);
  const malformed = await supabase.auth.signUp({ email: "not-an-email", password: "correct horse" });
  assert.equal(malformed.error?.code, "validation_failed");
  const weak = await supabase.auth.signUp({ email: unique("weak"), password: "123" });
  assert.equal(weak.error?.code, "weak_password");
  const wrong = await supabase.auth.signInWithPassword({ email, password: "wrong horse" });
  assert.equal(wrong.error?.code, "invalid_credentials");
  assert.equal(wrong.error?.status, 400);
  const nobody = await supabase.auth.signInWithPassword({ email: unique("nobody"), password: "whatever1" });
  assert.equal(nobody.error?.code, "invalid_credentials", "no account and a wrong password look the same");
  const forged = await supabase.auth.verifyOtp({ token_hash: "forged", type: "signup" });
  assert.equal(forged.error?.code, "otp_expired");

  // A link never hands a session to another origin: redirect_to outside the site is dropped.
  const elsewhere = unique("elsewhere");
  await client().auth.signUp({ email: elsewhere, password: "correct horse", options: { emailRedirectTo: "https://evil.example/steal" } });
  const link = await inboxLink(elsewhere, "signup");
  assert.ok(!link.includes("evil.example"), link);
  const landing = await fetch(link.replace(/redirect_to=[^&]*/, "redirect_to=https%3A%2F%2Fevil.example%2Fsteal"), { redirect: "manual" });
  assert.equal(new URL(landing.headers.get("location")!).origin, new URL(url).origin);
  await landing.body?.cancel();
});

Deno.test("recovery: the emailed link signs the user in to set a new password", async () => {
  const supabase = client();
  const email = unique("recover");
  await supabase.auth.signUp({ email, password: "correct horse" });
  await (await fetch(await inboxLink(email, "signup"), { redirect: "manual" })).body?.cancel();
  assert.equal((await supabase.auth.resetPasswordForEmail(email)).error, null);
  const landing = await fetch(await inboxLink(email, "recovery"), { redirect: "manual" });
  const fragment = new URLSearchParams(new URL(landing.headers.get("location")!).hash.slice(1));
  await landing.body?.cancel();
  assert.equal(fragment.get("type"), "recovery");
  const { error } = await supabase.auth.setSession({
    access_token: fragment.get("access_token")!, refresh_token: fragment.get("refresh_token")!,
  });
  assert.equal(error, null);
  assert.equal((await supabase.auth.updateUser({ password: "new password" })).error, null);
  assert.equal((await client().auth.signInWithPassword({ email, password: "new password" })).error, null);
  // An unknown address gets the same answer.
  assert.equal((await supabase.auth.resetPasswordForEmail(unique("unknown"))).error, null);
});

Deno.test("TOTP MFA as supabase-js calls it: enrol, challenge, verify to aal2; refusals by GoTrue's codes", async () => {
  const { totp } = await import("../support/totp.mjs");
  const supabase = client();
  const email = unique("mfa");
  assert.equal((await supabase.auth.signUp({ email, password: "correct horse" })).error, null);
  await (await fetch(await inboxLink(email, "signup"), { redirect: "manual" })).body?.cancel();
  assert.equal((await supabase.auth.signInWithPassword({ email, password: "correct horse" })).error, null);
  let level = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
  assert.deepEqual([level.data?.currentLevel, level.data?.nextLevel], ["aal1", "aal1"]);

  const { data: factor, error } = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "Phone" });
  assert.equal(error, null);
  assert.match(factor!.totp.qr_code, /^data:image\/svg\+xml;utf-8,<svg/);
  assert.match(factor!.totp.uri, /^otpauth:\/\/totp\//);
  const again = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "Phone" });
  assert.equal(again.error?.code, "mfa_factor_name_conflict");

  const challenge = await supabase.auth.mfa.challenge({ factorId: factor!.id });
  const wrong = await supabase.auth.mfa.verify({ factorId: factor!.id, challengeId: challenge.data!.id, code: "000000" });
  assert.equal(wrong.error?.code, "mfa_verification_failed");
  const verified = await supabase.auth.mfa.verify({
    factorId: factor!.id, challengeId: challenge.data!.id, code: totp(factor!.totp.secret),
  });
  assert.equal(verified.error, null);
  const claims = JSON.parse(atob(verified.data!.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));
  assert.equal(claims.aal, "aal2");
  assert.deepEqual(claims.amr.map((m: { method: string }) => m.method).sort(), ["password", "totp"]);
  level = await supabase.auth.mfa.getAuthenticatorAssuranceLevel();
  assert.deepEqual([level.data?.currentLevel, level.data?.nextLevel], ["aal2", "aal2"]);
  assert.equal((await supabase.auth.mfa.listFactors()).data?.totp.length, 1);
  // The challenge is spent.
  const reused = await supabase.auth.mfa.verify({ factorId: factor!.id, challengeId: challenge.data!.id, code: totp(factor!.totp.secret) });
  assert.equal(reused.error?.code, "mfa_challenge_expired");
  // A refreshed token keeps the session's level.
  const refreshed = await supabase.auth.refreshSession();
  assert.equal(JSON.parse(atob(refreshed.data.session!.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/"))).aal, "aal2");

  // A new sign-in starts at aal1 (next level aal2), and may not remove a verified factor.
  const other = client();
  await other.auth.signInWithPassword({ email, password: "correct horse" });
  level = await other.auth.mfa.getAuthenticatorAssuranceLevel();
  assert.deepEqual([level.data?.currentLevel, level.data?.nextLevel], ["aal1", "aal2"]);
  assert.equal((await other.auth.mfa.unenroll({ factorId: factor!.id })).error?.code, "insufficient_aal");
  assert.equal((await supabase.auth.mfa.unenroll({ factorId: factor!.id })).error, null);
  assert.equal((await supabase.auth.mfa.listFactors()).data?.all.length, 0);
});
