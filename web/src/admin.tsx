import { useEffect, useState } from "preact/hooks";
import type { Deps } from "./app.tsx";
import { SignIn } from "./app.tsx";
import { ErrorBox } from "./errors.tsx";
import type { OnboardingError } from "../../clients/ts/src/index.ts";

const FEATURES: [string, string][] = [
  ["custom-domain", "Custom domain"], ["white-label", "White label"], ["ats-api-sync", "ATS API sync"], ["webhooks", "Webhooks"],
];

type Invite = { id: string; email: string; status: string; organization_id: string; expires_at: string; sent_at: string | null; last_send_error: string | null };

/** A platform admin creates an organization, invites its owner, and follows the invites. */
export function AdminPage({ supabase, onboarding, session }: Deps) {
  const [invites, setInvites] = useState<Invite[]>([]);
  const [error, setError] = useState<OnboardingError | null>(null);
  const [sent, setSent] = useState<{ link: string; emailed: boolean } | null>(null);
  const load = async () => {
    const { data } = await supabase.from("onboarding_invites")
      .select("id,email,status,organization_id,expires_at,sent_at,last_send_error")
      .order("created_at", { ascending: false }).limit(20);
    setInvites((data as Invite[] | null) ?? []);
  };
  useEffect(() => { if (session) load(); }, [session]);
  if (!session) return <SignIn supabase={supabase} title="Platform admin: sign in" />;

  const send = async (inviteId: string) => {
    const result = await onboarding.sendInviteEmail(inviteId);
    if (result.error) {
      setError(result.error);
      const link = ((result.error as { body?: { invite?: { link?: string } } }).body?.invite?.link);
      setSent(link ? { link, emailed: false } : null);
    } else {
      setError(null);
      setSent({ link: result.data.link, emailed: true });
    }
    load();
  };

  return (
    <>
      <h1>Organizations</h1>
      <form class="card" onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        // Overrides switch features on beyond the plan's (the plan's own stay as they are).
        const overrides = Object.fromEntries(FEATURES.filter(([key]) => form.get(`feature:${key}`) === "on").map(([key]) => [key, true]));
        const created = await onboarding.adminCreateOrganization({
          p_name: String(form.get("name")), p_slug: String(form.get("slug")),
          p_owner_email: String(form.get("owner_email")), p_plan: String(form.get("plan")),
          p_feature_overrides: overrides,
        } as never);
        if (created.error) return setError(created.error);
        await send(created.data.invite_id);
      }}>
        <h2>Create an organization and invite its owner</h2>
        <label>Name <input name="name" required /></label>
        <label>Slug <input name="slug" required pattern="[a-z0-9]+(-[a-z0-9]+)*" /></label>
        <label>Owner email <input name="owner_email" type="email" required /></label>
        <label>Plan <select name="plan">{["free", "starter", "growth", "enterprise"].map((plan) => <option value={plan}>{plan}</option>)}</select></label>
        <fieldset>
          <legend>Also switch on</legend>
          {FEATURES.map(([key, name]) => <label><input type="checkbox" name={`feature:${key}`} /> {name}</label>)}
        </fieldset>
        <button type="submit">Create and send invite</button>
      </form>
      <ErrorBox error={error} />
      {sent && (
        <div class="ok" data-testid="invite-link">
          {sent.emailed ? "Invite sent. " : "The email did not go out; share this link: "}
          <a href={sent.link}><code>{sent.link}</code></a>
        </div>
      )}
      <section>
        <h2>Invites</h2>
        <table>
          <thead><tr><th>Email</th><th>Status</th><th>Sent</th><th /></tr></thead>
          <tbody>
            {invites.map((invite) => (
              <tr data-invite={invite.email}>
                <td>{invite.email}</td>
                <td class="status">{invite.status}</td>
                <td>{invite.sent_at ? new Date(invite.sent_at).toLocaleString() : invite.last_send_error ?? "—"}</td>
                <td>
                  {invite.status === "pending" && <button onClick={() => send(invite.id)}>Resend</button>}
                  {invite.status === "pending" && <button onClick={async () => {
                    const revoked = await onboarding.revokeInvite(invite.id);
                    setError(revoked.error);
                    load();
                  }}>Revoke</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
