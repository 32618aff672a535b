import { useEffect, useState } from "preact/hooks";
import type { Member, Role } from "../../../clients/ts/src/index.ts";
import { ConfirmButton } from "../confirm.tsx";
import { ErrorBox, type Problem } from "../errors.tsx";
import { navigate } from "../router.ts";
import { grantable, RANK, ROLE_WORDS, RoleOptions } from "./roles.tsx";
import type { SectionProps } from "./section.ts";

const PAGE = 100;

/** Members: change a role, remove, make owner, leave — each as the database allows it
 * (owners change anyone; admins only those below admin). */
export function Members({ onboarding, session, organizationId, myRole, version, changed }: SectionProps) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // A page at a time (the database answers at most PAGE): "Show more" asks for the next.
  const load = async (after?: string) => {
    const listed = await onboarding.listMembers(organizationId, { after, limit: PAGE });
    if (listed.error) return setError(listed.error);
    setMembers((shown) => [...(after && shown ? shown : []), ...(listed.data ?? [])]);
    setMore((listed.data ?? []).length === PAGE);
  };
  useEffect(() => { load(); }, [organizationId, version]);
  const act = async (result: Promise<{ error: Problem | null }>, message: string) => {
    const { error } = await result;
    setError(error);
    setDone(error ? null : message);
    if (!error) changed();
  };
  const mayManage = (member: Member) =>
    member.user_id !== session.user.id && (myRole === "owner" || (myRole === "admin" && RANK[member.role] < RANK.admin));

  return (
    <section class="card" data-section="members" aria-labelledby="members-heading">
      <h2 id="members-heading">Members {members && <span class="muted">({members.length}{more ? "+" : ""})</span>}</h2>
      <ErrorBox error={error} retry={() => load()} />
      {done && <p class="alert success" role="status">{done}</p>}
      {!members ? <p class="loading">Loading the members…</p> : (
        <div class="table-scroll">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{members.map((member) => (
              <tr data-member={member.email}>
                <td>{member.full_name ?? "—"}{member.user_id === session.user.id && <span class="muted"> (you)</span>}</td>
                <td class="email">{member.email}</td>
                <td>{mayManage(member)
                  ? <select aria-label={`Role of ${member.email}`} value={member.role} onChange={(event) =>
                      act(onboarding.changeMemberRole(organizationId, member.user_id, event.currentTarget.value as Role),
                          `${member.email} is now ${ROLE_WORDS[event.currentTarget.value as Role]}.`)}>
                      <RoleOptions roles={myRole === "owner" ? grantable("owner") : grantable("recruiter")} />
                    </select>
                  : <span data-role={member.role}>{ROLE_WORDS[member.role]}</span>}</td>
                <td class="actions">
                  {member.user_id === session.user.id
                    ? <ConfirmButton label="Leave" question="Leave this organization?" confirm="Yes, leave" onConfirm={async () => {
                        const left = await onboarding.leaveOrganization(organizationId);
                        if (left.error) return setError(left.error);
                        navigate("/", { replace: true });
                      }} />
                    : <>
                      {myRole === "owner" && member.role !== "owner" && (
                        <ConfirmButton label="Make owner" danger={false} question={`Make ${member.email} the owner? You become an admin.`}
                          confirm="Yes, make owner" onConfirm={() => act(onboarding.transferOwnership(organizationId, member.user_id),
                            `${member.email} is now the owner.`)} />
                      )}
                      {mayManage(member) && (
                        <ConfirmButton label="Remove" question={`Remove ${member.email}?`} confirm="Yes, remove"
                          onConfirm={() => act(onboarding.removeMember(organizationId, member.user_id), `${member.email} was removed.`)} />
                      )}
                    </>}
                </td>
              </tr>
            ))}</tbody>
          </table>
          {more && <button type="button" class="secondary small" onClick={() => load(members[members.length - 1]?.cursor)}>Show more</button>}
        </div>
      )}
    </section>
  );
}
