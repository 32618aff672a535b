import { useEffect, useState } from "preact/hooks";
import { ErrorBox, type Problem } from "../errors.tsx";
import type { SectionProps } from "./section.ts";

type Entry = { id: number; action: string; actor_id: string | null; target_user_id: string | null; after: Record<string, unknown> | null; at: string };

const PAGE = 20;
const WAYS: Record<string, string> = {
  invite: "by invitation", domain_invite: "through a verified domain", join_request: "by request", invite_link: "through an invite link",
};

/** The audit log, newest first, 20 a page. Pages are keyset pages: each after the first
 *  starts below the last id of the one before it, so a deep page costs what the first
 *  does (an offset would read every row above it). */
export function AuditLog({ supabase, onboarding, organizationId, version }: SectionProps) {
  // cursors[i]: the last id shown on page i; page i + 1 starts below it.
  const [cursors, setCursors] = useState<number[]>([]);
  const page = cursors.length;
  const [entries, setEntries] = useState<Entry[]>([]);
  const [emails, setEmails] = useState<Record<string, string>>({});
  const [error, setError] = useState<Problem | null>(null);
  const load = async () => {
    const newest = supabase.from("organization_audit_log").select("id,action,actor_id,target_user_id,after,at")
      .eq("organization_id", organizationId);
    const log = await (page > 0 ? newest.lt("id", cursors[page - 1]) : newest).order("id", { ascending: false }).limit(PAGE + 1);
    if (log.error) return setError({ code: "network_error", message: "" });
    const shown = log.data as Entry[];
    // The people this page names, and only them (an organization may have thousands).
    const named = [...new Set(shown.flatMap((entry) => [entry.actor_id, entry.target_user_id]).filter((id): id is string => !!id))];
    const people = named.length ? await onboarding.listMembers(organizationId, { userIds: named, limit: named.length }) : { data: [] };
    setError(null);
    setEntries(shown);
    setEmails(Object.fromEntries((people.data ?? []).map((member) => [member.user_id, member.email])));
  };
  useEffect(() => { load(); }, [organizationId, version, cursors]);
  const who = (id: string | null) => (id ? emails[id] ?? "a former member" : "the system");

  return (
    <section class="card" data-section="audit" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <ErrorBox error={error} retry={load} />
      <ol class="list audit">{entries.slice(0, PAGE).map((entry) => (
        <li data-action={entry.action} data-id={entry.id}>
          <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>{" "}
          <strong>{entry.action.replaceAll("_", " ").replace(".", ": ")}</strong>
          {entry.target_user_id && <> · <span class="email">{who(entry.target_user_id)}</span></>}
          {typeof entry.after?.via === "string" && <> · {WAYS[entry.after.via] ?? entry.after.via}</>}
          {typeof entry.after?.hostname === "string" && <> · {entry.after.hostname}</>}
          <span class="muted"> · by {who(entry.actor_id)}</span>
        </li>
      ))}</ol>
      <div>
        <button type="button" class="secondary small" disabled={page === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <button type="button" class="secondary small" disabled={entries.length <= PAGE} onClick={() => setCursors([...cursors, entries[PAGE - 1].id])}>Older</button>
        <span class="muted"> Page {page + 1}</span>
      </div>
    </section>
  );
}
