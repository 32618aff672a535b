import { useEffect, useState } from "preact/hooks";
import type { Role } from "../../../clients/ts/src/index.ts";
import { ConfirmButton } from "../confirm.tsx";
import { ErrorBox, type Problem } from "../errors.tsx";
import { Field } from "../field.tsx";
import { grantable, ROLE_WORDS, RoleOptions } from "./roles.tsx";
import type { SectionProps } from "./section.ts";

type Invite = { id: string; email: string; role: Role; expires_at: string; sent_at: string | null; domain_id: string | null };

/** Pending invitations: invite by email (created, then sent through send-invite-email),
 * resend, revoke. A verified domain's invites are listed too: they are never emailed. */
export function Invites({ supabase, onboarding, organizationId, myRole, version, changed }: SectionProps) {
  const [invites, setInvites] = useState<Invite[]>([]);
  const [form, setForm] = useState({ email: "", role: "viewer" as Role });
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const load = async () => {
    const { data } = await supabase.from("onboarding_invites").select("id,email,role,expires_at,sent_at,domain_id")
      .eq("organization_id", organizationId).eq("status", "pending").order("created_at", { ascending: false });
    setInvites((data as Invite[] | null) ?? []);
  };
  useEffect(() => { load(); }, [organizationId, version]);
  const send = async (inviteId: string, email: string) => {
    const sent = await onboarding.sendInviteEmail(inviteId);
    setError(sent.error);
    setDone(sent.error ? null : `Invitation sent to ${email}.`);
  };

  return (
    <section class="card" data-section="invites" aria-labelledby="invites-heading">
      <h2 id="invites-heading">Invitations</h2>
      <form aria-label="Invite by email" onSubmit={async (event) => {
        event.preventDefault();
        const created = await onboarding.inviteMember(organizationId, form.email.trim(), form.role);
        if (created.error) return (setError(created.error), setDone(null));
        await send(created.data.invite_id, form.email.trim().toLowerCase());
        setForm({ email: "", role: form.role });
        load();
        changed();
      }}>
        <div class="row">
          <Field label="Email"><input name="invite-email" type="email" value={form.email} required
            onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} /></Field>
          <Field label="Role"><select name="invite-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}>
            <RoleOptions roles={grantable(myRole)} /></select></Field>
        </div>
        <button type="submit">Send invitation</button>
      </form>
      <ErrorBox error={error} />
      {done && <p class="alert success" role="status">{done}</p>}
      {invites.length === 0 ? <p class="muted">No pending invitations.</p> : (
        <ul class="list">{invites.map((invite) => (
          <li data-invite={invite.email}>
            <strong class="email">{invite.email}</strong> · {ROLE_WORDS[invite.role]}
            <span class="muted"> · {invite.domain_id ? "from a verified domain" : invite.sent_at ? "sent" : "not sent yet"} · expires {new Date(invite.expires_at).toLocaleDateString()}</span>
            <div>
              <button type="button" class="secondary small" onClick={() => send(invite.id, invite.email).then(load)}>{invite.sent_at ? "Resend" : "Send"}</button>
              <ConfirmButton label="Revoke" question={`Revoke the invitation to ${invite.email}?`} confirm="Yes, revoke" onConfirm={async () => {
                const revoked = await onboarding.revokeInvite(invite.id);
                setError(revoked.error);
                setDone(revoked.error ? null : `The invitation to ${invite.email} was revoked.`);
                load();
                changed();
              }} />
            </div>
          </li>
        ))}</ul>
      )}
    </section>
  );
}
