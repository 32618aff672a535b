import { useEffect, useState } from "preact/hooks";
import type { JoinRequest, Role } from "../../../clients/ts/src/index.ts";
import { ErrorBox, type Problem } from "../errors.tsx";
import { grantable, ROLE_WORDS, RoleOptions } from "./roles.tsx";
import type { SectionProps } from "./section.ts";

/** Requests to join from people at a domain that lets them ask: approve (with the
 * domain's role, or another) or deny; the latest decisions below. */
export function JoinRequests({ onboarding, organizationId, myRole, version, changed }: SectionProps) {
  const [requests, setRequests] = useState<JoinRequest[]>([]);
  const [roles, setRoles] = useState<Record<string, Role | "">>({});
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const load = async () => {
    const listed = await onboarding.listJoinRequests(organizationId);
    if (listed.data) setRequests(listed.data);
  };
  useEffect(() => { load(); }, [organizationId, version]);
  const pending = requests.filter((r) => r.status === "pending");
  const decided = requests.filter((r) => r.status !== "pending").slice(0, 10);
  const decide = async (request: JoinRequest, approve: boolean) => {
    const role = roles[request.id] || undefined;
    const result = approve
      ? await onboarding.approveJoinRequest(request.id, role as Exclude<Role, "owner"> | undefined)
      : await onboarding.denyJoinRequest(request.id);
    setError(result.error);
    setDone(result.error ? null : `${request.email} was ${approve ? "approved" : "declined"}.`);
    load();
    changed();
  };

  return (
    <section class="card" data-section="requests" aria-labelledby="requests-heading">
      <h2 id="requests-heading">Join requests {pending.length > 0 && <span class="badge" data-testid="pending-requests">{pending.length}</span>}</h2>
      <ErrorBox error={error} />
      {done && <p class="alert success" role="status">{done}</p>}
      {pending.length === 0 ? <p class="muted">No pending requests.</p> : (
        <ul class="list">{pending.map((request) => (
          <li data-request={request.email}>
            <strong class="email">{request.email}</strong>{request.full_name && <> · {request.full_name}</>}
            <span class="muted"> · asked {new Date(request.created_at).toLocaleString()}</span>
            <div class="row">
              <label class="field"><span class="label">Role</span>
                <select name="request-role" value={roles[request.id] ?? ""} onChange={(e) => setRoles({ ...roles, [request.id]: e.currentTarget.value as Role })}>
                  <option value="">The domain's role</option><RoleOptions roles={grantable(myRole, false)} />
                </select></label>
            </div>
            <button type="button" class="small" onClick={() => decide(request, true)}>Approve</button>
            <button type="button" class="secondary small danger" onClick={() => decide(request, false)}>Deny</button>
          </li>
        ))}</ul>
      )}
      {decided.length > 0 && <>
        <h3>Decided</h3>
        <ul class="list">{decided.map((request) => (
          <li data-request={request.email} data-status={request.status}>
            <span class="email">{request.email}</span> · {request.status === "approved" ? `approved as ${ROLE_WORDS[request.role ?? "viewer"]}` : "declined"}
          </li>
        ))}</ul>
      </>}
    </section>
  );
}
