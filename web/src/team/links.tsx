import { useEffect, useState } from "preact/hooks";
import type { InviteLink, Role } from "../../../clients/ts/src/index.ts";
import { ConfirmButton } from "../confirm.tsx";
import { CopyButton } from "../domain-check.tsx";
import { ErrorBox, type Problem } from "../errors.tsx";
import { Field } from "../field.tsx";
import { grantable, ROLE_WORDS, RoleOptions } from "./roles.tsx";
import type { SectionProps } from "./section.ts";

const STATUS_WORDS: Record<InviteLink["status"], string> = { active: "active", expired: "expired", revoked: "revoked", used_up: "used up" };
const DURATIONS = [[24, "1 day"], [168, "7 days"], [720, "30 days"]] as const;

/** Shareable invite links: anyone holding one joins with its role (a confirmed email; at
 * its domain when it has one) until it expires, is revoked or is used up. The link is
 * shown once, when it is made. */
export function Links({ onboarding, organizationId, myRole, version, changed }: SectionProps) {
  const [links, setLinks] = useState<InviteLink[]>([]);
  const [form, setForm] = useState({ role: "viewer" as Exclude<Role, "owner">, maxUses: "", hours: 168, domain: "" });
  const [made, setMade] = useState<string | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const load = async () => {
    const listed = await onboarding.listInviteLinks(organizationId);
    if (listed.data) setLinks(listed.data);
  };
  useEffect(() => { load(); }, [organizationId, version]);

  return (
    <section class="card" data-section="links" aria-labelledby="links-heading">
      <h2 id="links-heading">Invite links</h2>
      <form aria-label="Create an invite link" onSubmit={async (event) => {
        event.preventDefault();
        const created = await onboarding.createInviteLink(organizationId, {
          role: form.role, maxUses: form.maxUses ? Number(form.maxUses) : null, expiresInHours: form.hours,
          allowedDomain: form.domain.trim() || null,
        });
        setError(created.error);
        setMade(created.data ? `${location.origin}/onboarding/join/${created.data.token}` : null);
        load();
        changed();
      }}>
        <div class="row">
          <Field label="Role"><select name="link-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as typeof form.role })}>
            <RoleOptions roles={grantable(myRole, false)} /></select></Field>
          <Field label="Uses" hint="Empty: no limit"><input name="link-max-uses" type="number" min={1} max={10000} value={form.maxUses}
            onInput={(e) => setForm({ ...form, maxUses: e.currentTarget.value })} /></Field>
          <Field label="Works for"><select name="link-hours" value={String(form.hours)} onChange={(e) => setForm({ ...form, hours: Number(e.currentTarget.value) })}>
            {DURATIONS.map(([hours, words]) => <option value={String(hours)}>{words}</option>)}</select></Field>
          <Field label="Only for addresses at" hint="Optional, e.g. acme.com"><input name="link-domain" value={form.domain}
            onInput={(e) => setForm({ ...form, domain: e.currentTarget.value })} /></Field>
        </div>
        <button type="submit">Create link</button>
      </form>
      <ErrorBox error={error} />
      {made && (
        <div class="alert success" role="status" data-testid="new-link">
          <p>Share this link. It is shown only now.</p>
          <code data-testid="new-link-url">{made}</code> <CopyButton text={made} label="Copy the link" />
        </div>
      )}
      {links.length === 0 ? <p class="muted">No invite links yet.</p> : (
        <ul class="list">{links.map((link) => (
          <li data-link={link.id} data-status={link.status}>
            <strong>{ROLE_WORDS[link.role]}</strong>
            <span class="muted"> · {link.max_uses === null ? `${link.uses} used, no limit` : `${link.uses_left} of ${link.max_uses} uses left`}
              {link.allowed_domain && <> · only @{link.allowed_domain}</>}
              {" · "}{STATUS_WORDS[link.status]}{link.status === "active" && <>, until {new Date(link.expires_at).toLocaleDateString()}</>}</span>
            {link.status === "active" && (
              <div><ConfirmButton label="Revoke" question="Revoke this link? Nobody can use it any more." confirm="Yes, revoke" onConfirm={async () => {
                const revoked = await onboarding.revokeInviteLink(link.id);
                setError(revoked.error);
                load();
                changed();
              }} /></div>
            )}
          </li>
        ))}</ul>
      )}
    </section>
  );
}
