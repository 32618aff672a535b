import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { MyOrganization, OnboardingClient } from "../../clients/ts/src/index.ts";
import { ErrorBox, type Problem } from "./errors.tsx";

/** The signed-in user's organizations (`my_organizations()`, which answers whatever their
 * role and session), each leading on: to its setup while it is `pending-activation`, to its
 * dashboard once active, to its team; one that requires a second factor says so; one
 * scheduled for deletion says when, and its owners may cancel. */
export function YourOrganizations({ onboarding, session }: { supabase: SupabaseClient; onboarding: OnboardingClient; session: Session }) {
  const [organizations, setOrganizations] = useState<MyOrganization[] | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const load = () => onboarding.myOrganizations().then(({ data }) => setOrganizations(data ?? []));
  useEffect(() => { load(); }, [session.user.id]);
  if (!organizations) return <p class="loading">Loading your organizations…</p>;
  if (organizations.length === 0) return <p>You are not a member of any organization yet.</p>;
  return (
    <nav class="card" data-testid="your-organizations" aria-label="Your organizations">
      <h2>Your organizations</h2>
      <ErrorBox error={error} />
      <ul class="list">{organizations.map((o) => {
        const pending = o.status === "pending-activation";
        if (o.status === "deletion_scheduled") {
          return (
            <li data-organization={o.organization_id} data-status={o.status}>
              <strong>{o.name}</strong>
              <span class="muted"> · scheduled for deletion on {new Date(o.purge_after!).toLocaleDateString()}</span>
              {o.permissions.includes("org:delete") && <> <button type="button" class="secondary small" onClick={async () => {
                const cancelled = await onboarding.cancelOrganizationDeletion(o.organization_id);
                setError(cancelled.error);
                load();
              }}>Cancel the deletion</button></>}
            </li>
          );
        }
        return (
          <li data-organization={o.organization_id} data-status={o.status}>
            <a href={pending ? `/onboarding/${o.organization_id}` : `/tenant/${o.organization_id}`}>{o.name}</a>
            <span class="muted"> · {o.role}{pending ? " · setup not finished" : ""}{o.mfa_required ? " · two-factor authentication required" : ""}</span>
            {pending && <> <a class="button small" href={`/onboarding/${o.organization_id}`}>Continue setup</a></>}
            {" "}<a class="button small secondary-link" href={`/org/${o.organization_id}/team`}>Team</a>
          </li>
        );
      })}</ul>
    </nav>
  );
}
