import { useEffect, useState } from "preact/hooks";
import type { Deps } from "./app.tsx";
import { SignIn } from "./app.tsx";
import { ErrorBox } from "./errors.tsx";
import type { OnboardingError } from "../../clients/ts/src/index.ts";

type TenantUser = { id: string; email: string; full_name: string | null; user_role: string; bot_onboarding_status: string; is_active: boolean; bot_correlation_id: string | null };
type Notification = { id: string; title: string; message: string; level: string; status: string; created_at: string };
type Event = { id: number; event: string; created_at: string };

const POLL_MS = 2000;

/** The tenant admin's dashboard: users, onboarding over Telegram, notifications, timelines. */
export function TenantPage({ supabase, onboarding, session, tenantId }: Deps & { tenantId: string }) {
  const [users, setUsers] = useState<TenantUser[]>([]);
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [timeline, setTimeline] = useState<{ email: string; events: Event[] } | null>(null);
  const [tenantName, setTenantName] = useState("");
  const [error, setError] = useState<OnboardingError | { code: string; message: string } | null>(null);
  const load = async () => {
    const [people, feed, tenant] = await Promise.all([
      supabase.from("tenant_users").select("id,email,full_name,user_role,bot_onboarding_status,is_active,bot_correlation_id")
        .eq("tenant_id", tenantId).order("created_at"),
      supabase.from("tenant_notifications").select("id,title,message,level,status,created_at")
        .eq("tenant_id", tenantId).order("created_at", { ascending: false }).limit(20),
      supabase.from("organizations").select("name").eq("id", tenantId).maybeSingle(),
    ]);
    setTenantName((tenant.data as { name: string } | null)?.name ?? "");
    if (people.error || feed.error) {
      setError({ code: "network_error", message: (people.error ?? feed.error)!.message });
      return;
    }
    setUsers(people.data as TenantUser[]);
    setNotifications(feed.data as Notification[]);
  };
  useEffect(() => {
    if (!session) return;
    load();
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [session, tenantId]);
  if (!session) return <SignIn supabase={supabase} title="Tenant admin: sign in" />;
  const unread = notifications.filter((n) => n.status === "unread").length;

  return (
    <>
      <h1>{tenantName || "Tenant"}: users</h1>
      <form class="card" onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const { error } = await supabase.from("tenant_users").insert({
          tenant_id: tenantId, email: String(form.get("email")).toLowerCase(), user_role: String(form.get("role")),
          full_name: String(form.get("full_name") || "") || null,
        });
        setError(error ? { code: error.code, message: error.message } : null);
        load();
      }}>
        <label>Email <input name="email" type="email" required /></label>
        <label>Name <input name="full_name" /></label>
        <label>Role <select name="role"><option value="executor">executor</option><option value="complainant">complainant</option></select></label>
        <button type="submit">Add user</button>
      </form>
      <ErrorBox error={error} retry={load} />
      <section>
        <table>
          <thead><tr><th>Email</th><th>Role</th><th>Telegram</th><th /></tr></thead>
          <tbody>
            {users.map((user) => (
              <tr data-user={user.email}>
                <td>{user.email}</td>
                <td>{user.user_role}</td>
                <td class="status">{user.bot_onboarding_status}{user.is_active ? " (active)" : ""}</td>
                <td>
                  <button onClick={async () => {
                    const me = session.user;
                    const result = await onboarding.requestUserOnboarding({
                      event_type: "tenant.user.onboarding_requested", tenant_id: tenantId, tenant_name: tenantName,
                      user_id: user.id, user_role: user.user_role as "executor", email: user.email,
                      full_name: user.full_name ?? undefined,
                      initiated_by: { id: me.id, email: me.email ?? "" },
                      correlation_id: crypto.randomUUID(), requested_at: new Date().toISOString(),
                      resend: user.bot_onboarding_status !== "pending",
                    });
                    setError(result.error);
                    load();
                  }}>Onboard over Telegram</button>
                  {user.bot_correlation_id && <button onClick={async () => {
                    const { data } = await supabase.from("user_onboarding_events").select("id,event,created_at")
                      .eq("correlation_id", user.bot_correlation_id!).order("id");
                    setTimeline({ email: user.email, events: (data as Event[]) ?? [] });
                  }}>Timeline</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {timeline && (
        <section data-testid="timeline">
          <h2>Timeline of {timeline.email}</h2>
          <ol>{timeline.events.map((e) => <li>{new Date(e.created_at).toLocaleTimeString()} — {e.event}</li>)}</ol>
        </section>
      )}
      <section>
        <h2>Notifications {unread > 0 && <span class="badge" data-testid="unread">{unread}</span>}</h2>
        <ul>
          {notifications.map((n) => (
            <li data-status={n.status}>
              <strong>{n.title}</strong> — {n.message}
              {n.status === "unread" && <button onClick={async () => {
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
