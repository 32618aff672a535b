import type { Role } from "../../../clients/ts/src/index.ts";

export const RANK: Record<Role, number> = { viewer: 1, recruiter: 2, admin: 3, owner: 4 };
export const ROLE_WORDS: Record<Role, string> = { owner: "Owner", admin: "Admin", recruiter: "Recruiter", viewer: "Viewer" };
const ALL: Role[] = ["owner", "admin", "recruiter", "viewer"];

/** The roles `mine` may give: never above it; `withOwner` false for what never makes owners
 * (links, domains, requests). */
export function grantable(mine: Role, withOwner = true): Role[] {
  return ALL.filter((role) => RANK[role] <= RANK[mine] && (withOwner || role !== "owner"));
}

export const isAdmin = (role: Role | null) => role === "owner" || role === "admin";

export function RoleOptions({ roles }: { roles: Role[] }) {
  return <>{roles.map((role) => <option value={role}>{ROLE_WORDS[role]}</option>)}</>;
}
