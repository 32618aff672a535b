import { useState } from "preact/hooks";
import type { MyOrganization } from "../../../clients/ts/src/index.ts";
import { ErrorBox, type Problem } from "../errors.tsx";
import { Field } from "../field.tsx";
import { StepUp } from "../mfa.tsx";
import { navigate } from "../router.ts";
import type { SectionProps } from "./section.ts";

/** The organization's governance: its MFA policy, an export of everything it holds, and
 * its deletion — each shown to those whose role holds the permission. */
export function Settings({ supabase, onboarding, organizationId, organization, changed }: SectionProps & { organization: MyOrganization }) {
  const holds = (permission: string) => organization.permissions.includes(permission as never);
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [stepUp, setStepUp] = useState(false);
  const [confirmSlug, setConfirmSlug] = useState("");

  const setPolicy = async (required: boolean) => {
    const result = await onboarding.setOrganizationMfaPolicy(organizationId, required);
    if (result.error?.code === "mfa_required") return (setStepUp(true), setError(null));
    setError(result.error);
    setDone(result.error ? null : required ? "Two-factor authentication is now required of every member." : "Two-factor authentication is no longer required.");
    if (!result.error) changed();
  };

  return (
    <section class="card" data-section="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Security and data</h2>
      <ErrorBox error={error} />
      {done && <p class="alert success" role="status">{done}</p>}
      {holds("org:settings:manage") && (
        <div class="setting">
          <h3>Two-factor authentication</h3>
          <p>{organization.mfa_required
            ? "Required: members act here only after verifying a second factor."
            : "Not required. When it is, members act and read here only after verifying a second factor."}</p>
          <button type="button" class="secondary" onClick={() => setPolicy(!organization.mfa_required)}>
            {organization.mfa_required ? "Stop requiring two-factor authentication" : "Require two-factor authentication"}</button>
          {stepUp && <StepUp supabase={supabase} reason="Verify a second factor yourself first, so that requiring one cannot lock you out."
            onVerified={() => { setStepUp(false); setPolicy(true); }} />}
        </div>
      )}
      {holds("org:audit:read") && holds("org:settings:manage") && (
        <div class="setting">
          <h3>Export</h3>
          <p>Everything this organization holds, as one JSON file (no passwords, tokens or secrets).</p>
          <button type="button" class="secondary" onClick={async () => {
            const exported = await onboarding.exportOrganization(organizationId);
            if (exported.error) return setError(exported.error);
            const file = new Blob([JSON.stringify(exported.data, null, 2)], { type: "application/json" });
            const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(file), download: `${organization.slug}-export.json` });
            link.click();
            URL.revokeObjectURL(link.href);
            setDone("The export was downloaded.");
          }}>Download an export</button>
        </div>
      )}
      {holds("org:delete") && (
        <form class="setting" aria-label="Delete the organization" onSubmit={async (event) => {
          event.preventDefault();
          const scheduled = await onboarding.requestOrganizationDeletion(organizationId, confirmSlug.trim());
          if (scheduled.error) return setError(scheduled.error);
          navigate("/", { replace: true });
        }}>
          <h3>Delete the organization</h3>
          <p>Everyone loses access at once. Its data is erased after 30 days; until then an owner can cancel.</p>
          <Field label={`Type ${organization.slug} to confirm`}><input name="confirm-slug" value={confirmSlug} autocomplete="off"
            onInput={(e) => setConfirmSlug(e.currentTarget.value)} required /></Field>
          <button type="submit" class="danger-solid">Delete the organization</button>
        </form>
      )}
    </section>
  );
}
