import { useEffect, useState } from "preact/hooks";
import type { MyOrganization, Permission, Role } from "../../../clients/ts/src/index.ts";
import { AuthPanel } from "../auth.tsx";
import type { Deps } from "../deps.ts";
import { StepUp } from "../mfa.tsx";
import { AuditLog } from "./audit.tsx";
import { DirectorySync } from "./directory.tsx";
import { Domains } from "./domains.tsx";
import { Invites } from "./invites.tsx";
import { Links } from "./links.tsx";
import { Members } from "./members.tsx";
import { JoinRequests } from "./requests.tsx";
import { ROLE_WORDS } from "./roles.tsx";
import { Settings } from "./settings.tsx";

/** `/org/:id/team`: the organization's people, every way in, and its governance. What
 * each member sees follows the permissions their role holds (as `my_organizations()`
 * reports them; the database decides every action anyway). An organization requiring
 * two-factor authentication first asks for it; one scheduled for deletion says so. */
export function TeamPage({ supabase, onboarding, session, organizationId }: Deps & { organizationId: string }) {
  const [organization, setOrganization] = useState<MyOrganization | null | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!session) return;
    onboarding.myOrganizations().then(({ data }) =>
      setOrganization(data?.find((o) => o.organization_id === organizationId) ?? null));
  }, [session?.access_token, organizationId, version]);
  if (!session) return <AuthPanel supabase={supabase} title="Sign in to see your team" />;
  if (organization === undefined) return <p class="loading" aria-live="polite">Loading the team…</p>;
  if (organization === null) {
    return (
      <section data-page="not-member">
        <h1>Not your organization</h1>
        <p>You are not a member of this organization. <a href="/">Go to your organizations</a></p>
      </section>
    );
  }
  if (organization.status === "deletion_scheduled") {
    return (
      <section data-page="deletion-scheduled">
        <h1>{organization.name} is scheduled for deletion</h1>
        <p>Its data will be erased on {new Date(organization.purge_after!).toLocaleDateString()}. Until then an owner can cancel from the <a href="/">home page</a>.</p>
      </section>
    );
  }
  if (organization.mfa_required && !organization.mfa_satisfied) {
    return (
      <>
        <h1>{organization.name}</h1>
        <StepUp supabase={supabase} reason={`${organization.name} requires two-factor authentication. Verify a second factor to continue.`}
          onVerified={() => setVersion((v) => v + 1)} />
      </>
    );
  }
  const holds = (permission: Permission) => organization.permissions.includes(permission);
  const props = {
    supabase, onboarding, session, organizationId, myRole: organization.role as Role, version,
    changed: () => setVersion((v) => v + 1),
  };
  const roleName = ROLE_WORDS[organization.role as Role] ?? organization.role;
  return (
    <>
      <h1>{organization.name}: team</h1>
      <p class="muted">You are {roleName.toLowerCase()} here.
        {organization.status === "pending-activation" && <> Setup is not finished: <a href={`/onboarding/${organizationId}`}>continue setup</a>.</>}</p>
      {holds("org:members:read") && <Members {...props} />}
      {holds("org:members:manage") && <JoinRequests {...props} />}
      {holds("org:members:invite") && <Invites {...props} />}
      {holds("org:members:invite") && <Links {...props} />}
      <Domains {...props} />
      {holds("org:directory:manage") && <DirectorySync {...props} />}
      {holds("org:audit:read") && <AuditLog {...props} />}
      {(holds("org:settings:manage") || holds("org:delete")) && <Settings {...props} organization={organization} />}
    </>
  );
}
