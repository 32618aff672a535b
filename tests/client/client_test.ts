// The typed TypeScript client (clients/ts) against a running stack, as a frontend uses
// it: a user signed up and in through supabase-js (the local Auth stand-in), then function
// routes and RPCs through the client, their answers and their refusals as the documented
// discriminated union. Needs STACK_ENV_FILE.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { createOnboardingClient } from "../../clients/ts/src/index.ts";
import { inboxLink, readEnvFile } from "../support/stack.mjs";

const env = readEnvFile(Deno.env.get("STACK_ENV_FILE")!);
const supabaseClient = () =>
  createClient(env.SUPABASE_URL, env.SUPABASE_PUBLISHABLE_KEY, { auth: { persistSession: false, autoRefreshToken: false } });

async function signedIn() {
  const supabase = supabaseClient();
  const email = `client-${crypto.randomUUID().slice(0, 8)}@example.com`;
  assert.equal((await supabase.auth.signUp({ email, password: "correct horse" })).error, null);
  const link = await inboxLink(env.SUPABASE_URL, email, "signup");
  await (await fetch(link, { redirect: "manual" })).body?.cancel();
  assert.equal((await supabase.auth.signInWithPassword({ email, password: "correct horse" })).error, null);
  return supabase;
}

Deno.test("function routes and RPCs answer typed data, refusals come back as the documented union", async () => {
  const supabase = await signedIn();
  const onboarding = createOnboardingClient(supabase);

  const created = await onboarding.createOrganization("Client Test Ltd");
  assert.equal(created.error, null);
  const organizationId = created.data!.organization_id;
  assert.equal(created.data!.role, "owner");

  const phases = await onboarding.organizationOnboarding(organizationId);
  assert.deepEqual(phases.data!.phases.map((phase) => phase.key), ["organization-setup", "billing", "team", "privacy"]);

  // An RPC refusal: PostgREST's shape, the stable code in `code`.
  const refused = await onboarding.saveOnboardingPhase(organizationId, "organization-setup", { name: "Client Test" });
  assert.equal(refused.error?.kind, "rpc");
  assert.equal(refused.error?.code, "invalid_industry");
  assert.equal(refused.error?.status, 400);

  const saved = await onboarding.saveOnboardingPhase(organizationId, "team", { completed: true });
  assert.equal(saved.data?.done, true);

  // A function refusal: its status and documented code.
  const unknown = await onboarding.validateInvite("A".repeat(43));
  assert.equal(unknown.error?.kind, "function");
  assert.equal(unknown.error?.status, 404);
  assert.equal(unknown.error?.code, "invite_not_found");
  const malformed = await onboarding.validateInvite("short");
  assert.equal(malformed.error?.code, "invalid_payload");

  // Sent with the user's session: an owner sends their organization's invite.
  const invited = await onboarding.inviteMember(organizationId, `teammate-${crypto.randomUUID().slice(0, 8)}@example.com`);
  assert.equal(invited.error, null);
  const notMine = await createOnboardingClient(supabaseClient()).acceptInvite("A".repeat(43));
  assert.equal(notMine.error?.status, 401, "no session: the gateway refuses before the function");

  // The server-to-server routes take their own credential.
  const dispatched = await onboarding.deliverWebhooks(env.SUPABASE_SECRET_KEY);
  assert.equal(dispatched.error, null);
  assert.equal(typeof dispatched.data!.delivered, "number");
  const wrongSecret = await onboarding.onSignupCreateOrg("not-the-secret", { record: { id: crypto.randomUUID() } });
  assert.equal(wrongSecret.error?.code, "unauthorized");
  const unknownCallback = await onboarding.userOnboardingCallback("not-the-token", {
    correlation_id: crypto.randomUUID(), status: "awaiting_chat",
  });
  assert.equal(unknownCallback.error?.status, 401);

  // Nothing answers: a network error, worth a retry.
  const offline = await createOnboardingClient(supabase, { functionsUrl: "http://127.0.0.1:9" }).validateInvite("A".repeat(43));
  assert.equal(offline.error?.kind, "network");
});

Deno.test("a shareable invite link: created, previewed and accepted through the client, its uses counted", async () => {
  const owner = createOnboardingClient(await signedIn());
  const organizationId = (await owner.createOrganization("Linked Client Ltd")).data!.organization_id;
  const link = await owner.createInviteLink(organizationId, { role: "recruiter", maxUses: 1 });
  assert.equal(link.error, null);
  assert.equal(link.data!.token.length, 43);

  const joiner = createOnboardingClient(await signedIn());
  const preview = await joiner.validateInvite(link.data!.token);
  assert.equal(preview.data?.kind, "link");
  assert.equal(preview.data?.email, null);
  const joined = await joiner.acceptInvite(link.data!.token);
  assert.equal(joined.data?.role, "recruiter");
  assert.equal(joined.data?.redirect_to, `/org/${organizationId}/team`);

  const third = await createOnboardingClient(await signedIn()).acceptInvite(link.data!.token);
  assert.equal(third.error?.code, "invite_link_used_up");
  assert.equal(third.error?.status, 410);
  const listed = await owner.listInviteLinks(organizationId);
  assert.deepEqual(listed.data!.map((l) => [l.uses, l.status]), [[1, "used_up"]]);
  const byViewer = await joiner.createInviteLink(organizationId);
  assert.equal(byViewer.error?.code, "not_org_admin");
});

Deno.test("governance through the client: permissions, the MFA policy refused without a second factor, an export", async () => {
  const onboarding = createOnboardingClient(await signedIn());
  const organizationId = (await onboarding.createOrganization("Governed Client Ltd")).data!.organization_id;
  assert.equal((await onboarding.authorize(organizationId, "org:delete")).data, true);
  const mine = await onboarding.myOrganizations();
  assert.equal(mine.data!.find((o) => o.organization_id === organizationId)?.mfa_required, false);
  // An aal1 session cannot require MFA of everybody (no lock-out).
  const refused = await onboarding.setOrganizationMfaPolicy(organizationId, true);
  assert.equal(refused.error?.code, "mfa_required");
  const exported = await onboarding.exportOrganization(organizationId);
  assert.equal(exported.data?.format, "tenant-onboarding-export/1");
  assert.equal(exported.data?.members.length, 1);
  const roles = await onboarding.createRole(organizationId, "helper", "Helper", ["org:members:read"]);
  assert.equal(roles.error?.code, "feature_not_enabled", "a free plan has no custom roles");
});
