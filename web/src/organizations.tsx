import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";

type Membership = { organization_id: string; role: string; organizations: { name: string; status: string } | null };

/** The signed-in user's organizations, each leading on: to its setup while it is
 * `pending-activation`, to its dashboard once active. */
export function YourOrganizations({ supabase, session }: { supabase: SupabaseClient; session: Session }) {
  const [memberships, setMemberships] = useState<Membership[] | null>(null);
  useEffect(() => {
    supabase.from("organization_members").select("organization_id, role, organizations(name, status)")
      .eq("user_id", session.user.id).order("created_at")
      .then(({ data }) => setMemberships((data as Membership[] | null) ?? []));
  }, [session.user.id]);
  if (!memberships) return <p class="loading">Loading your organizations…</p>;
  if (memberships.length === 0) return <p>You are not a member of any organization yet.</p>;
  return (
    <nav class="card" data-testid="your-organizations" aria-label="Your organizations">
      <h2>Your organizations</h2>
      <ul class="list">{memberships.map((m) => {
        const pending = m.organizations?.status === "pending-activation";
        return (
          <li data-organization={m.organization_id}>
            <a href={pending ? `/onboarding/${m.organization_id}` : `/tenant/${m.organization_id}`}>{m.organizations?.name ?? "Organization"}</a>
            <span class="muted"> · {m.role}{pending ? " · setup not finished" : ""}</span>
            {pending && <> <a class="button small" href={`/onboarding/${m.organization_id}`}>Continue setup</a></>}
            {" "}<a class="button small secondary-link" href={`/org/${m.organization_id}/team`}>Team</a>
          </li>
        );
      })}</ul>
    </nav>
  );
}
