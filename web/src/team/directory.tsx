import { useEffect, useState } from "preact/hooks";
import type { DirectoryStatus, Role } from "../../../clients/ts/src/index.ts";
import { ConfirmButton } from "../confirm.tsx";
import { CopyButton } from "../domain-check.tsx";
import { ErrorBox, type Problem } from "../errors.tsx";
import { Field } from "../field.tsx";
import { grantable, ROLE_WORDS, RoleOptions } from "./roles.tsx";
import type { SectionProps } from "./section.ts";

const STATE_WORDS = { member: "Member", pending: "Waiting for signup", suspended: "Suspended" } as const;
const when = (at: string | null) => (at ? new Date(at).toLocaleString() : "never");

/** Directory sync (SCIM 2.0): the identity provider's base URL and token, group-to-role
 * mappings, and the people the directory manages. A token is shown once, when it is
 * made; a second one may be made before the first is revoked, so a rotation loses no call. */
export function DirectorySync({ onboarding, organizationId, myRole, version, changed }: SectionProps) {
  const [status, setStatus] = useState<DirectoryStatus | null>(null);
  const [made, setMade] = useState<string | null>(null);
  const [mapping, setMapping] = useState({ group: "", role: "viewer" as Exclude<Role, "owner"> });
  const [error, setError] = useState<Problem | null>(null);
  const load = async () => {
    const read = await onboarding.directoryStatus(organizationId);
    if (read.data) setStatus(read.data);
  };
  useEffect(() => { load(); }, [organizationId, version]);
  if (!status) return null;
  const roles = grantable(myRole, false);
  const working = status.tokens.filter((t) => !t.revoked_at);
  const roleWords = (role: string | null) => (role ? ROLE_WORDS[role as Role] ?? role : "—");

  return (
    <section class="card" data-section="directory" aria-labelledby="directory-heading">
      <h2 id="directory-heading">Directory sync</h2>
      {!status.available ? (
        <p class="muted">Your plan does not include directory sync (SCIM). It keeps your team in step with your
          identity provider: Okta, Microsoft Entra ID, Google Workspace.</p>
      ) : (
        <>
          <p class="muted">Your identity provider adds, updates, suspends and removes people here (SCIM 2.0).
            {status.enabled ? ` Last call: ${when(status.last_used_at)}.` : " Create a token to turn it on."}</p>
          <p>Base URL <code data-testid="scim-url">{onboarding.scimUrl}</code> <CopyButton text={onboarding.scimUrl} label="Copy the URL" /></p>
          <button type="button" onClick={async () => {
            const created = await onboarding.createDirectoryToken(organizationId);
            setError(created.error);
            setMade(created.data?.token ?? null);
            load();
            changed();
          }}>{working.length ? "Create another token (rotate)" : "Turn on: create a token"}</button>
          {made && (
            <div class="alert success" role="status" data-testid="new-directory-token">
              <p>Paste this token into your identity provider. It is shown only now.</p>
              <code data-testid="new-directory-token-value">{made}</code> <CopyButton text={made} label="Copy the token" />
            </div>
          )}
          <ErrorBox error={error} />
          {status.tokens.length > 0 && (
            <ul class="list" aria-label="Directory tokens">{status.tokens.map((token) => (
              <li data-token={token.id} data-revoked={token.revoked_at ? "yes" : "no"}>
                <strong>…{token.hint}</strong>
                <span class="muted"> · made {when(token.created_at)} · last used {when(token.last_used_at)}
                  {token.revoked_at && <> · revoked</>}</span>
                {!token.revoked_at && (
                  <div><ConfirmButton label="Revoke" question="Revoke this token? Calls with it stop at once." confirm="Yes, revoke"
                    onConfirm={async () => {
                      const revoked = await onboarding.revokeDirectoryToken(token.id);
                      setError(revoked.error);
                      load();
                      changed();
                    }} /></div>
                )}
              </li>
            ))}</ul>
          )}

          <h3>Groups and roles</h3>
          <p class="muted">People in a mapped group get its role (the highest of their groups'); everyone else
            {" "}{roleWords(status.default_role).toLowerCase()}. A directory never makes owners.</p>
          <form aria-label="Map a group to a role" onSubmit={async (event) => {
            event.preventDefault();
            const set = await onboarding.setDirectoryGroupRole(organizationId, mapping.group.trim(), mapping.role);
            setError(set.error);
            if (set.data) setMapping({ ...mapping, group: "" });
            load();
            changed();
          }}>
            <div class="row">
              <Field label="Group name"><input name="directory-group" required value={mapping.group}
                onInput={(e) => setMapping({ ...mapping, group: e.currentTarget.value })} /></Field>
              <Field label="Role"><select name="directory-role" value={mapping.role}
                onChange={(e) => setMapping({ ...mapping, role: e.currentTarget.value as typeof mapping.role })}>
                <RoleOptions roles={roles} /></select></Field>
            </div>
            <button type="submit">Map group</button>
          </form>
          {status.mappings.length > 0 && (
            <ul class="list" aria-label="Group mappings">{status.mappings.map((m) => (
              <li data-mapping={m.group}>
                <strong>{m.group}</strong> <span class="muted">→ {roleWords(m.role)}</span>
                <div><button type="button" class="secondary" onClick={async () => {
                  const removed = await onboarding.setDirectoryGroupRole(organizationId, m.group, null);
                  setError(removed.error);
                  load();
                  changed();
                }}>Remove mapping</button></div>
              </li>
            ))}</ul>
          )}
          <div class="field check">
            <label><input type="checkbox" name="directory-invitations" checked={status.send_invitations}
              onChange={async (e) => {
                const saved = await onboarding.setDirectorySettings(organizationId, { sendInvitations: e.currentTarget.checked });
                setError(saved.error);
                load();
              }} /> <span>Email people the directory adds before they have an account</span></label>
          </div>

          <h3>People it manages</h3>
          <p class="muted" data-testid="directory-counts">{status.counts.members} members, {status.counts.pending} waiting for
            signup, {status.counts.suspended} suspended, {status.counts.groups} groups. Last change: {when(status.last_change_at)}.</p>
          {status.people.length === 0 ? <p class="muted">Nobody yet.</p> : (
            <ul class="list" aria-label="People the directory manages">{status.people.map((person) => (
              <li data-directory-person={person.user_name} data-state={person.state}>
                <strong>{person.user_name}</strong>
                <span class={`badge ${person.state}`}>{STATE_WORDS[person.state]}</span>
                <span class="muted"> · {roleWords(person.role)}</span>
              </li>
            ))}</ul>
          )}
        </>
      )}
    </section>
  );
}
