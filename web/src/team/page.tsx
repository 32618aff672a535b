import { useEffect, useState } from "preact/hooks";
import type { Role } from "../../../clients/ts/src/index.ts";
import { AuthPanel } from "../auth.tsx";
import type { Deps } from "../deps.ts";
import { AuditLog } from "./audit.tsx";
import { Domains } from "./domains.tsx";
import { Invites } from "./invites.tsx";
import { Links } from "./links.tsx";
import { Members } from "./members.tsx";
import { JoinRequests } from "./requests.tsx";
import { isAdmin, ROLE_WORDS } from "./roles.tsx";

type Membership = { role: Role; organizations: { name: string; status: string } | null };

/** `/org/:id/team`: the organization's people and every way in. Members see the members
 * and the domains; owners and admins also manage invitations, links, domains, join
 * requests, and read the audit log. Every action goes through the typed client. */
export function TeamPage({ supabase, onboarding, session, organizationId }: Deps & { organizationId: string }) {
  const [membership, setMembership] = useState<Membership | null | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!session) return;
    supabase.from("organization_members").select("role, organizations(name, status)")
      .eq("organization_id", organizationId).eq("user_id", session.user.id).maybeSingle()
      .then(({ data }) => setMembership(data as Membership | null));
  }, [session?.user.id, organizationId, version]);
  if (!session) return <AuthPanel supabase={supabase} title="Sign in to see your team" />;
  if (membership === undefined) return <p class="loading" aria-live="polite">Loading the team…</p>;
  if (membership === null) {
    return (
      <section data-page="not-member">
        <h1>Not your organization</h1>
        <p>You are not a member of this organization. <a href="/">Go to your organizations</a></p>
      </section>
    );
  }
  const props = { supabase, onboarding, session, organizationId, myRole: membership.role, version, changed: () => setVersion((v) => v + 1) };
  const admin = isAdmin(membership.role);
  return (
    <>
      <h1>{membership.organizations?.name ?? "Organization"}: team</h1>
      <p class="muted">You are {ROLE_WORDS[membership.role].toLowerCase()} here.
        {membership.organizations?.status === "pending-activation" && <> Setup is not finished: <a href={`/onboarding/${organizationId}`}>continue setup</a>.</>}</p>
      <Members {...props} />
      {admin && <JoinRequests {...props} />}
      {admin && <Invites {...props} />}
      {admin && <Links {...props} />}
      <Domains {...props} />
      {admin && <AuditLog {...props} />}
    </>
  );
}
