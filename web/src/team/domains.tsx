import { useEffect, useState } from "preact/hooks";
import type { EnrollmentMode, Role } from "../../../clients/ts/src/index.ts";
import { ConfirmButton } from "../confirm.tsx";
import { DomainCheck } from "../domain-check.tsx";
import { ErrorBox, type Problem } from "../errors.tsx";
import { Field } from "../field.tsx";
import { grantable, isAdmin, ROLE_WORDS, RoleOptions } from "./roles.tsx";
import type { SectionProps } from "./section.ts";

type Row = {
  id: string; hostname: string; verified_at: string | null; last_check_result: "not_found" | "lookup_failed" | "verified" | null;
  enrollment_mode: EnrollmentMode; default_role: Exclude<Role, "owner">; txt_name: string; txt_value: string;
};

export const MODES: Record<EnrollmentMode, string> = {
  manual: "By invitation only",
  automatic_invitation: "Invite everyone at this domain automatically",
  automatic_suggestion: "Let people at this domain ask to join",
};

/** Verified domains: add one, publish its TXT record, verify it; then choose how people
 * with a confirmed address at exactly that hostname come in, and with which role. */
export function Domains({ supabase, onboarding, organizationId, myRole, version, changed }: SectionProps) {
  const [domains, setDomains] = useState<Row[]>([]);
  const [hostname, setHostname] = useState("");
  const [error, setError] = useState<Problem | null>(null);
  const admin = isAdmin(myRole);
  const load = async () => {
    const { data } = await supabase.from("organization_domains")
      .select("id,hostname,verified_at,last_check_result,enrollment_mode,default_role,txt_name,txt_value")
      .eq("organization_id", organizationId).order("created_at");
    setDomains((data as Row[] | null) ?? []);
  };
  useEffect(() => { load(); }, [organizationId, version]);

  return (
    <section class="card" data-section="domains" aria-labelledby="domains-heading">
      <h2 id="domains-heading">Domains</h2>
      <p class="muted">People whose confirmed email is at a verified domain (exactly that name: not its subdomains) can join as you choose below.</p>
      {admin && (
        <form aria-label="Add a domain" onSubmit={async (event) => {
          event.preventDefault();
          const added = await onboarding.addOrganizationDomain(organizationId, hostname);
          setError(added.error);
          if (!added.error) setHostname("");
          load();
        }}>
          <Field label="Domain" hint="e.g. acme.com"><input name="domain-hostname" value={hostname} required
            onInput={(e) => setHostname(e.currentTarget.value)} /></Field>
          <button type="submit">Add domain</button>
        </form>
      )}
      <ErrorBox error={error} />
      {domains.length === 0 ? <p class="muted">No domains yet.</p> : (
        <ul class="list">{domains.map((domain) => (
          <li data-domain={domain.hostname} key={domain.id}>
            <strong>{domain.hostname}</strong>{" "}
            <span class={domain.verified_at ? "badge done" : "badge"}>{domain.verified_at ? "verified" : "not verified"}</span>
            {!domain.verified_at && admin && (
              <DomainCheck hostname={domain.hostname} record={{ type: "TXT", name: domain.txt_name, value: domain.txt_value }}
                initial={domain.last_check_result} verify={() => onboarding.verifyOrganizationDomain(domain.id)}
                canEdit onVerified={() => { load(); changed(); }} />
            )}
            {domain.verified_at && (admin
              ? <Enrollment key={domain.id} {...{ onboarding, domain, myRole }} onSaved={() => { load(); changed(); }} />
              : <p class="muted">{MODES[domain.enrollment_mode]}{domain.enrollment_mode !== "manual" && <>, as {ROLE_WORDS[domain.default_role]}</>}</p>)}
            {admin && <div><ConfirmButton label="Remove domain" question={`Remove ${domain.hostname}? Its pending automatic invitations are revoked.`}
              confirm="Yes, remove" onConfirm={async () => {
                const removed = await onboarding.removeOrganizationDomain(domain.id);
                setError(removed.error);
                load();
                changed();
              }} /></div>}
          </li>
        ))}</ul>
      )}
    </section>
  );
}

function Enrollment({ onboarding, domain, myRole, onSaved }: Pick<SectionProps, "onboarding" | "myRole"> & { domain: Row; onSaved: () => void }) {
  const [mode, setMode] = useState(domain.enrollment_mode);
  const [role, setRole] = useState(domain.default_role);
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <form class="enrollment" aria-label={`How people at ${domain.hostname} join`} onSubmit={async (event) => {
      event.preventDefault();
      const saved = await onboarding.setDomainEnrollment(domain.id, mode, role);
      setError(saved.error);
      if (!saved.data) return setDone(null);
      const invited = saved.data.invited > 0 ? ` ${saved.data.invited} ${saved.data.invited === 1 ? "person was" : "people were"} invited.` : "";
      const skipped = saved.data.skipped_for_seats > 0 ? ` ${saved.data.skipped_for_seats} could not be: no seat left.` : "";
      setDone(`Saved.${invited}${skipped}`);
      onSaved();
    }}>
      <div class="row">
        <Field label="Who can join"><select name="enrollment-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as EnrollmentMode)}>
          {(Object.keys(MODES) as EnrollmentMode[]).map((key) => <option value={key}>{MODES[key]}</option>)}</select></Field>
        <Field label="With the role"><select name="enrollment-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Row["default_role"])}>
          <RoleOptions roles={grantable(myRole, false)} /></select></Field>
      </div>
      <button type="submit" class="secondary">Save</button>
      <ErrorBox error={error} />
      {done && <p class="alert success" role="status">{done}</p>}
    </form>
  );
}
