import type { SupabaseClient, Session } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { OnboardingClient } from "../../clients/ts/src/index.ts";
import { AdminPage } from "./admin.tsx";
import { JoinPage } from "./join.tsx";
import { TenantPage } from "./tenant.tsx";

export type Deps = { supabase: SupabaseClient; onboarding: OnboardingClient; session: Session | null };

export function navigate(path: string) {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function App(props: { supabase: SupabaseClient; onboarding: OnboardingClient }) {
  const [path, setPath] = useState(location.pathname);
  const [session, setSession] = useState<Session | null>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener("popstate", onPop);
    props.supabase.auth.getSession().then(({ data }) => {
      setSession(data.session);
      setReady(true);
    });
    const { data } = props.supabase.auth.onAuthStateChange((_event, next) => setSession(next));
    return () => {
      removeEventListener("popstate", onPop);
      data.subscription.unsubscribe();
    };
  }, []);
  if (!ready) return <main>Loading…</main>;
  const deps: Deps = { ...props, session };
  const join = path.match(/^\/onboarding\/join\/([^/]+)$/);
  const tenant = path.match(/^\/tenant\/([0-9a-f-]{36})$/);
  return (
    <main>
      {path === "/admin" ? <AdminPage {...deps} />
        : join ? <JoinPage {...deps} token={join[1]} />
        : tenant ? <TenantPage {...deps} tenantId={tenant[1]} />
        : (
          <section>
            <h1>Onboarding</h1>
            <p><a href="/admin">Platform admin</a></p>
            <p>Invitees arrive at <code>/onboarding/join/&lt;token&gt;</code> from their email; tenant admins at <code>/tenant/&lt;id&gt;</code>.</p>
          </section>
        )}
    </main>
  );
}

/** Email and password, through Supabase Auth. */
export function SignIn({ supabase, email: fixedEmail, title }: { supabase: SupabaseClient; email?: string; title: string }) {
  const [email, setEmail] = useState(fixedEmail ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  return (
    <form class="card" onSubmit={async (event) => {
      event.preventDefault();
      const { error } = await supabase.auth.signInWithPassword({ email, password });
      setError(error ? { code: error.code ?? "auth_error", message: error.message } : null);
    }}>
      <h2>{title}</h2>
      <label>Email <input name="email" type="email" value={email} readOnly={!!fixedEmail} onInput={(e) => setEmail(e.currentTarget.value)} required /></label>
      <label>Password <input name="password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></label>
      <button type="submit">Sign in</button>
      {error && <div class="error" role="alert" data-code={error.code}>{error.code === "invalid_credentials" ? "Wrong email or password." : error.code === "email_not_confirmed" ? "Confirm your email address first: follow the link we sent you." : error.message}</div>}
    </form>
  );
}
