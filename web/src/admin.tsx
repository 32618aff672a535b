import { useEffect, useState } from "preact/hooks";
import { AuthPanel } from "./auth.tsx";
import { Field } from "./field.tsx";
import type { Deps } from "./deps.ts";
import { ErrorBox, type Problem } from "./errors.tsx";
import { StepUp } from "./mfa.tsx";
import { YourOrganizations } from "./organizations.tsx";

const FEATURES: [string, string][] = [
  ["custom-domain", "Custom domain"], ["white-label", "White label"], ["ats-api-sync", "ATS API sync"], ["webhooks", "Webhooks"],
];
const PLANS: [string, string][] = [["free", "Free"], ["starter", "Starter"], ["growth", "Growth"], ["enterprise", "Enterprise"]];

type Invite = {
  id: string; email: string; status: string; organization_id: string; expires_at: string; sent_at: string | null;
  last_send_error: string | null; organizations: { name: string } | null;
};

/** `/admin`: a platform admin creates an organization, invites its owner, and follows
 * the invites — after verifying a second factor, since platform admins act on every
 * tenant only in an `aal2` session (the database refuses them below it). Anyone else
 * signed in is told this page is not for them. */
export function AdminPage({ supabase, onboarding, session }: Deps) {
  const [isAdmin, setIsAdmin] = useState<boolean | null>(null);
  const [aal, setAal] = useState<string | null>(null);
  useEffect(() => {
    setIsAdmin(null);
    setAal(null);
    if (!session) return;
    supabase.from("platform_roles").select("role").eq("user_id", session.user.id).maybeSingle()
      .then(({ data }) => setIsAdmin((data as { role: string } | null)?.role === "platform_admin"));
    supabase.auth.mfa.getAuthenticatorAssuranceLevel().then(({ data }) => setAal(data?.currentLevel ?? "aal1"));
  }, [session?.user.id]);
  if (!session) return <><h1>Platform admin</h1><AuthPanel supabase={supabase} title="Platform admin: sign in" redirectTo={`${location.origin}/admin`} /></>;
  if (isAdmin === null) return <p class="loading" aria-live="polite">Loading…</p>;
  if (!isAdmin) {
    return (
      <section data-page="not-platform-admin">
        <h1>This page is for platform admins</h1>
        <p>You are signed in as <strong class="email">{session.user.email}</strong>, which is not a platform admin account.
          Platform admins create organizations and invite their owners; an operator grants the role.</p>
        <YourOrganizations supabase={supabase} onboarding={onboarding} session={session} />
      </section>
    );
  }
  if (aal === null) return <p class="loading" aria-live="polite">Loading…</p>;
  if (aal !== "aal2") {
    return (
      <>
        <h1>Platform admin</h1>
        <StepUp supabase={supabase} onVerified={() => setAal("aal2")}
          reason="Platform admins see and change every organization, so this console needs a second factor: verify one to continue." />
      </>
    );
  }
  return <AdminConsole supabase={supabase} onboarding={onboarding} session={session} />;
}

function AdminConsole({ supabase, onboarding }: Deps) {
  const [invites, setInvites] = useState<Invite[]>([]);
  const [error, setError] = useState<Problem | null>(null);
  const [sent, setSent] = useState<{ link: string; emailed: boolean } | null>(null);
  const [form, setForm] = useState({ name: "", slug: "", owner_email: "", plan: "starter" });
  const [features, setFeatures] = useState<Record<string, boolean>>({});
  const load = async () => {
    const { data } = await supabase.from("onboarding_invites")
      .select("id,email,status,organization_id,expires_at,sent_at,last_send_error,organizations(name)")
      .order("created_at", { ascending: false }).limit(20);
    setInvites((data as Invite[] | null) ?? []);
  };
  useEffect(() => { load(); }, []);

  const send = async (inviteId: string) => {
    const result = await onboarding.sendInviteEmail(inviteId);
    if (result.error) {
      setError(result.error);
      const link = (result.error as { body?: { invite?: { link?: string } } }).body?.invite?.link;
      setSent(link ? { link, emailed: false } : null);
    } else {
      setError(null);
      setSent({ link: result.data.link, emailed: true });
    }
    load();
  };
  const set = (name: keyof typeof form) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setForm({ ...form, [name]: e.currentTarget.value });

  return (
    <>
      <h1>Organizations</h1>
      <form class="card" aria-label="Create an organization" onSubmit={async (event) => {
        event.preventDefault();
        // Overrides switch features on beyond the plan's (the plan's own stay as they are).
        const overrides = Object.fromEntries(FEATURES.filter(([key]) => features[key]).map(([key]) => [key, true]));
        const created = await onboarding.adminCreateOrganization({
          p_name: form.name.trim(), p_slug: form.slug.trim(), p_owner_email: form.owner_email.trim(), p_plan: form.plan,
          p_feature_overrides: overrides,
        } as never);
        if (created.error) return setError(created.error);
        setForm({ name: "", slug: "", owner_email: "", plan: form.plan });
        setFeatures({});
        await send(created.data.invite_id);
      }}>
        <h2>Create an organization and invite its owner</h2>
        <div class="row">
          <Field label="Name"><input name="name" value={form.name} onInput={set("name")} required /></Field>
          <Field label="Web address (slug)" hint="a–z, 0–9 and dashes"><input name="slug" value={form.slug} onInput={set("slug")} required pattern="[a-z0-9]+(-[a-z0-9]+)*" /></Field>
        </div>
        <div class="row">
          <Field label="Owner's email"><input name="owner_email" type="email" value={form.owner_email} onInput={set("owner_email")} required /></Field>
          <Field label="Plan"><select name="plan" value={form.plan} onChange={set("plan")}>{PLANS.map(([plan, name]) => <option value={plan}>{name}</option>)}</select></Field>
        </div>
        <fieldset class="checks">
          <legend>Also switch on</legend>
          {FEATURES.map(([key, name]) => (
            <label class="check"><input type="checkbox" name={`feature:${key}`} checked={!!features[key]}
              onChange={(e) => setFeatures({ ...features, [key]: e.currentTarget.checked })} /> <span>{name}</span></label>
          ))}
        </fieldset>
        <button type="submit">Create and send invite</button>
      </form>
      <ErrorBox error={error} />
      {sent && (
        <div class="alert success" data-testid="invite-link">
          {sent.emailed ? "Invite sent. " : "The email did not go out; share this link: "}
          <a href={sent.link}><code>{sent.link}</code></a>
        </div>
      )}
      <section class="card">
        <h2>Invites</h2>
        <div class="table-scroll">
          <table>
            <thead><tr><th scope="col">Organization</th><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Sent</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {invites.map((invite) => (
                <tr data-invite={invite.email}>
                  <td class="organization">{invite.organizations?.name ?? "—"}</td>
                  <td class="email">{invite.email}</td>
                  <td class="status">{invite.status}</td>
                  <td>{invite.sent_at ? new Date(invite.sent_at).toLocaleString() : invite.last_send_error ? "Not sent" : "—"}</td>
                  <td class="actions">
                    {invite.status === "pending" && <button type="button" class="secondary small" onClick={() => send(invite.id)}>Resend</button>}
                    {invite.status === "pending" && <button type="button" class="secondary small danger" onClick={async () => {
                      const revoked = await onboarding.revokeInvite(invite.id);
                      setError(revoked.error);
                      load();
                    }}>Revoke</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
