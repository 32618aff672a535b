import { useEffect, useState } from "preact/hooks";
import { AuthPanel } from "./auth.tsx";
import { Field } from "./field.tsx";
import type { Deps } from "./deps.ts";
import { ErrorBox, fromPostgrest, type Problem } from "./errors.tsx";

type TenantUser = { id: string; email: string; full_name: string | null; user_role: string; bot_onboarding_status: string; is_active: boolean; bot_correlation_id: string | null };
type Notification = { id: string; title: string; message: string; level: string; status: string; created_at: string };
type Event = { id: number; event: string; created_at: string };
type Organization = { name: string; status: string };

const POLL_MS = 2000;
const STATUS_WORDS: Record<string, string> = {
  pending: "queued", invite_sent: "invite sent", awaiting_chat: "waiting for the chat", completed: "completed", failed: "failed",
};

/** `/tenant/:id`, the organization's dashboard: its users, onboarding them over
 * Telegram, notifications, timelines; the way back to setup while it is not active. */
export function TenantPage({ supabase, onboarding, session, tenantId }: Deps & { tenantId: string }) {
  const [users, setUsers] = useState<TenantUser[]>([]);
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [timeline, setTimeline] = useState<{ email: string; events: Event[] } | null>(null);
  const [organization, setOrganization] = useState<Organization | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [form, setForm] = useState({ email: "", full_name: "", role: "executor" });
  const activated = (history.state as { activated?: string } | null)?.activated;
  const load = async () => {
    const [people, feed, tenant] = await Promise.all([
      supabase.from("tenant_users").select("id,email,full_name,user_role,bot_onboarding_status,is_active,bot_correlation_id")
        .eq("tenant_id", tenantId).order("created_at"),
      supabase.from("tenant_notifications").select("id,title,message,level,status,created_at")
        .eq("tenant_id", tenantId).order("created_at", { ascending: false }).limit(20),
      supabase.from("organizations").select("name,status").eq("id", tenantId).maybeSingle(),
    ]);
    setOrganization(tenant.data as Organization | null);
    if (people.error || feed.error) return setError({ code: "network_error", message: "" });
    setUsers(people.data as TenantUser[]);
    setNotifications(feed.data as Notification[]);
  };
  useEffect(() => {
    if (!session) return;
    load();
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [session?.user.id, tenantId]);
  if (!session) return <AuthPanel supabase={supabase} title="Sign in to your organization" />;
  const unread = notifications.filter((n) => n.status === "unread").length;
  const set = (name: keyof typeof form) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setForm({ ...form, [name]: e.currentTarget.value });

  return (
    <>
      <h1>{organization?.name ?? "Organization"}: users</h1>
      {activated && <p class="alert success" data-testid="activated">{activated} is active. Welcome aboard.</p>}
      {organization?.status === "pending-activation" && (
        <p class="alert warning" data-testid="setup-unfinished">
          Setup is not finished yet. <a class="button small" href={`/onboarding/${tenantId}`}>Continue setup</a>
        </p>
      )}
      <form class="card" aria-label="Add a user" onSubmit={async (event) => {
        event.preventDefault();
        const email = form.email.trim().toLowerCase();
        const { error } = await supabase.from("tenant_users").insert({
          tenant_id: tenantId, email, user_role: form.role, full_name: form.full_name.trim() || null,
        });
        setError(fromPostgrest(error));
        if (!error) {
          setForm({ email: "", full_name: "", role: form.role });
          setAdded(email);
        } else setAdded(null);
        load();
      }}>
        <h2>Add a user</h2>
        <div class="row">
          <Field label="Email"><input name="email" type="email" value={form.email} onInput={set("email")} required /></Field>
          <Field label="Name"><input name="full_name" value={form.full_name} onInput={set("full_name")} /></Field>
          <Field label="Role"><select name="role" value={form.role} onChange={set("role")}><option value="executor">Executor</option><option value="complainant">Complainant</option></select></Field>
        </div>
        <button type="submit">Add user</button>
        {added && <p class="alert success" role="status">Added {added}.</p>}
      </form>
      <ErrorBox error={error} retry={load} />
      <section class="card">
        <h2>Users</h2>
        <div class="table-scroll">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Telegram</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {users.map((user) => (
                <tr data-user={user.email}>
                  <td class="name">{user.full_name ?? "—"}</td>
                  <td class="email">{user.email}</td>
                  <td>{user.user_role}</td>
                  <td class="status" data-status={user.bot_onboarding_status}>{STATUS_WORDS[user.bot_onboarding_status] ?? user.bot_onboarding_status}{user.is_active ? " (active)" : ""}</td>
                  <td class="actions">
                    <button type="button" class="secondary small" onClick={async () => {
                      const me = session.user;
                      const result = await onboarding.requestUserOnboarding({
                        event_type: "tenant.user.onboarding_requested", tenant_id: tenantId, tenant_name: organization?.name ?? "",
                        user_id: user.id, user_role: user.user_role as "executor", email: user.email,
                        full_name: user.full_name ?? undefined,
                        initiated_by: { id: me.id, email: me.email ?? "" },
                        correlation_id: crypto.randomUUID(), requested_at: new Date().toISOString(),
                        resend: user.bot_correlation_id !== null,
                      });
                      setError(result.error);
                      load();
                    }}>{user.bot_correlation_id ? "Resend Telegram invite" : "Onboard over Telegram"}</button>
                    {user.bot_correlation_id && <button type="button" class="secondary small" onClick={async () => {
                      const { data } = await supabase.from("user_onboarding_events").select("id,event,created_at")
                        .eq("correlation_id", user.bot_correlation_id!).order("id");
                      setTimeline({ email: user.email, events: (data as Event[]) ?? [] });
                    }}>Timeline</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {users.length === 0 && <p class="muted">No users yet.</p>}
      </section>
      {timeline && (
        <section class="card" data-testid="timeline">
          <h2>Timeline of <span class="email">{timeline.email}</span></h2>
          <ol>{timeline.events.map((e) => <li>{new Date(e.created_at).toLocaleTimeString()} — {e.event.replaceAll("_", " ")}</li>)}</ol>
        </section>
      )}
      <section class="card">
        <h2>Notifications {unread > 0 && <span class="badge" data-testid="unread">{unread}</span>}</h2>
        <ul class="list">
          {notifications.map((n) => (
            <li data-status={n.status} data-level={n.level}>
              <strong>{n.title}</strong> — {n.message}
              {n.status === "unread" && <button type="button" class="secondary small" onClick={async () => {
                await supabase.from("tenant_notifications").update({ status: "read" }).eq("id", n.id);
                load();
              }}>Mark read</button>}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
