import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { OnboardingClient } from "../../clients/ts/src/index.ts";
import { AdminPage } from "./admin.tsx";
import { AuthPanel, ResetPasswordPage, signOut } from "./auth.tsx";
import type { Deps } from "./deps.ts";
import { describe } from "./errors.tsx";
import { ForYou } from "./for-you.tsx";
import { JoinPage } from "./join.tsx";
import { OnboardingPage } from "./onboarding.tsx";
import { OrganizationSwitcher } from "./org-switcher.tsx";
import { YourOrganizations } from "./organizations.tsx";
import { interceptLinks } from "./router.ts";
import { TeamPage } from "./team/page.tsx";
import { TenantPage } from "./tenant.tsx";
import type { LinkOutcome } from "./url-session.ts";

export const PRODUCT = "Tenant Onboarding";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

type Props = { supabase: SupabaseClient; onboarding: OnboardingClient; link: LinkOutcome };

export function App({ supabase, onboarding, link }: Props) {
  const [location_, setLocation] = useState({ path: location.pathname, search: location.search });
  // What an email link said is shown on the page it landed on, not on every page after.
  const [landing] = useState(location.pathname);
  const onLandingPage = location_.path === landing;
  const [session, setSession] = useState<Session | null>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const onPop = () => {
      setLocation({ path: location.pathname, search: location.search });
      scrollTo(0, 0);
    };
    addEventListener("popstate", onPop);
    document.addEventListener("click", interceptLinks);
    supabase.auth.getSession().then(({ data }) => {
      setSession(data.session);
      setReady(true);
    });
    const { data } = supabase.auth.onAuthStateChange((_event, next) => setSession(next));
    return () => {
      removeEventListener("popstate", onPop);
      document.removeEventListener("click", interceptLinks);
      data.subscription.unsubscribe();
    };
  }, []);
  const page = ready ? route(location_.path, new URLSearchParams(location_.search), { supabase, onboarding, session }) : null;
  useEffect(() => { if (page) document.title = `${page.title} · ${PRODUCT}`; }, [page?.title]);

  return (
    <>
      <a class="skip" href="#main">Skip to the content</a>
      <header class="topbar">
        <a class="brand" href="/">{PRODUCT}</a>
        {session && (
          <div class="account">
            <OrganizationSwitcher supabase={supabase} onboarding={onboarding} session={session} path={location_.path} />
            <span class="who">Signed in as <strong class="email" data-testid="signed-in-as">{session.user.email}</strong></span>
            <button type="button" class="secondary small" onClick={() => signOut(supabase)}>Sign out</button>
          </div>
        )}
      </header>
      <main id="main">
        {onLandingPage && link.kind === "error" && <div class="alert error" role="alert" data-code={link.code}>{describe({ code: link.code, message: link.description })}</div>}
        {onLandingPage && link.kind === "signed-in" && link.type === "signup" && session && <p class="alert success" role="status" data-testid="confirmed">Your email address is confirmed.</p>}
        {page ? page.view : <p class="loading" aria-live="polite">Loading…</p>}
      </main>
    </>
  );
}

/** The page for a path: its title (for the tab) and its view. */
function route(path: string, query: URLSearchParams, deps: Deps): { title: string; view: preact.JSX.Element } {
  let match: RegExpMatchArray | null;
  if (path === "/admin" || path === "/admin/") return { title: "Platform admin", view: <AdminPage {...deps} /> };
  if (path === "/reset-password") return { title: "Choose a new password", view: <ResetPasswordPage {...deps} /> };
  if ((match = path.match(/^\/onboarding\/join\/([^/]+)\/?$/))) return { title: "Your invitation", view: <JoinPage {...deps} token={match[1]} /> };
  if ((match = path.match(new RegExp(`^/onboarding/(${UUID})/?$`)))) {
    return { title: "Organization setup", view: <OnboardingPage {...deps} organizationId={match[1]} step={query.get("step")} /> };
  }
  if ((match = path.match(new RegExp(`^/org/(${UUID})/team/?$`)))) return { title: "Team", view: <TeamPage {...deps} organizationId={match[1]} /> };
  if ((match = path.match(new RegExp(`^/tenant/(${UUID})/?$`)))) return { title: "Dashboard", view: <TenantPage {...deps} tenantId={match[1]} /> };
  if (path === "/") return { title: "Home", view: <Home {...deps} /> };
  return {
    title: "Page not found",
    view: <section data-page="not-found"><h1>Page not found</h1><p>There is nothing at this address. <a href="/">Go to the home page</a></p></section>,
  };
}

function Home({ supabase, onboarding, session }: Deps) {
  if (!session) {
    return (
      <>
        <section class="intro">
          <h1>Welcome</h1>
          <p>Set up your organization, invite its people and onboard your team. Invited? Open the link in your invitation email.</p>
        </section>
        <AuthPanel supabase={supabase} title="Sign in" redirectTo={`${location.origin}/`} />
      </>
    );
  }
  return (
    <>
      <h1>Home</h1>
      <ForYou onboarding={onboarding} />
      <YourOrganizations supabase={supabase} onboarding={onboarding} session={session} />
      <p class="muted">Platform admins manage organizations on the <a href="/admin">admin page</a>.</p>
    </>
  );
}
