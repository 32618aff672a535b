import { useEffect, useState } from "preact/hooks";
import type { Deps } from "./app.tsx";
import { SignIn } from "./app.tsx";
import { ErrorBox, describe } from "./errors.tsx";
import type { FunctionSchemas, Onboarding, OnboardingError, Phase } from "../../clients/ts/src/index.ts";

type Preview = FunctionSchemas["schemas"]["InvitePreview"];

/** The invitee's page: the preview, sign up or in, accept, then the onboarding phases. */
export function JoinPage({ supabase, onboarding, session, token }: Deps & { token: string }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<OnboardingError | null>(null);
  const [organizationId, setOrganizationId] = useState<string | null>(null);
  const load = async () => {
    const result = await onboarding.validateInvite(token);
    setPreview(result.data);
    setError(result.error);
  };
  useEffect(() => { load(); }, [token]);

  if (organizationId) return <Phases onboarding={onboarding} organizationId={organizationId} />;
  if (error) {
    // The invitation's state has a page of its own; anything else is said in words.
    const gone = ["invite_expired", "invite_revoked", "invite_already_accepted", "invite_not_found"].includes(error.code);
    return (
      <section data-page={gone ? error.code : "error"}>
        <h1>{gone ? "This invitation can't be used" : "Something went wrong"}</h1>
        <ErrorBox error={error} retry={load} />
        {error.code === "invite_already_accepted" && <YourOrganizations supabase={supabase} session={session} />}
      </section>
    );
  }
  if (!preview) return <section>Loading the invitation…</section>;

  const signedInAs = session?.user.email?.toLowerCase();
  const invited = preview.email.toLowerCase();
  return (
    <>
      <section data-page="preview">
        <h1>Join {preview.organization?.name}</h1>
        <p>Plan: <strong>{preview.plan?.name}</strong></p>
        <ul>{preview.features.map((feature) => <li>{feature.name}</li>)}</ul>
        <label>Invited address <input value={preview.email} readOnly /></label>
      </section>
      {!session && <SignUp supabase={supabase} email={preview.email} />}
      {!session && <SignIn supabase={supabase} email={preview.email} title="Already have an account? Sign in" />}
      {session && signedInAs !== invited && (
        <section data-page="wrong-account">
          <h2>You are signed in as {signedInAs}</h2>
          <p>This invitation is for {preview.email}.</p>
          <button onClick={() => supabase.auth.signOut()}>Sign out and use the invited address</button>
        </section>
      )}
      {session && signedInAs === invited && (
        <section>
          <button onClick={async () => {
            const accepted = await onboarding.acceptInvite(token);
            if (accepted.error) return setError(accepted.error);
            setOrganizationId(accepted.data.organization_id);
          }}>Accept the invitation</button>
        </section>
      )}
    </>
  );
}

/** The way on from a used invitation: the organizations the signed-in user belongs to
 * (the invitation itself says nothing about its organization to whoever holds the link). */
function YourOrganizations({ supabase, session }: Pick<Deps, "supabase" | "session">) {
  type Membership = { organization_id: string; role: string; organizations: { name: string } | null };
  const [memberships, setMemberships] = useState<Membership[] | null>(null);
  useEffect(() => {
    if (!session) return setMemberships(null);
    supabase.from("organization_members").select("organization_id, role, organizations(name)")
      .eq("user_id", session.user.id)
      .then(({ data }) => setMemberships((data as Membership[] | null) ?? []));
  }, [session?.user.id]);
  if (!session) return <SignIn supabase={supabase} title="Already a member? Sign in to reach your organization" />;
  if (!memberships) return null;
  if (memberships.length === 0) return <p>You ({session.user.email}) are not a member of any organization yet.</p>;
  return (
    <nav data-testid="your-organizations">
      <h2>Your organizations</h2>
      <ul>{memberships.map((m) => (
        <li><a href={`/tenant/${m.organization_id}`}>{m.organizations?.name ?? m.organization_id}</a> ({m.role})</li>
      ))}</ul>
    </nav>
  );
}

function SignUp({ supabase, email }: { supabase: Deps["supabase"]; email: string }) {
  const [password, setPassword] = useState("");
  const [state, setState] = useState<"form" | "check-inbox">("form");
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  if (state === "check-inbox") {
    return <section class="ok" data-page="check-inbox">Check your inbox: follow the link we sent to {email} to confirm your address. It brings you back here.</section>;
  }
  return (
    <form class="card" onSubmit={async (event) => {
      event.preventDefault();
      const { data, error } = await supabase.auth.signUp({ email, password, options: { emailRedirectTo: location.href } });
      if (error) return setError({ code: error.code ?? "auth_error", message: error.message });
      if (!data.session) setState("check-inbox");
    }}>
      <h2>Create your account</h2>
      <label>Email <input value={email} readOnly /></label>
      <label>Password <input name="new-password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required minLength={6} /></label>
      <button type="submit">Create account</button>
      <ErrorBox error={error} />
    </form>
  );
}

/** The phases the organization's features call for, each saved on its own, then completion. */
function Phases({ onboarding, organizationId }: { onboarding: Deps["onboarding"]; organizationId: string }) {
  const [state, setState] = useState<Onboarding | null>(null);
  const [error, setError] = useState<OnboardingError | null>(null);
  const load = async () => {
    const result = await onboarding.organizationOnboarding(organizationId);
    setState(result.data);
    setError(result.error);
  };
  useEffect(() => { load(); }, [organizationId]);
  if (!state) return <ErrorBox error={error} retry={load} />;
  if (state.status === "active") {
    return (
      <section class="ok" data-page="active">
        <h1>{state.name} is active</h1>
        <p>Onboarding is complete. <a href={`/tenant/${organizationId}`}>Open the dashboard</a></p>
      </section>
    );
  }
  return (
    <>
      <h1>Set up {state.name}</h1>
      {state.phases.map((phase) => <PhaseForm key={phase.key} phase={phase} onSave={async (data) => {
        const saved = await onboarding.saveOnboardingPhase(organizationId, phase.key, data);
        if (!saved.error) await load();
        return saved.error;
      }} />)}
      <button onClick={async () => {
        const done = await onboarding.completeOnboarding(organizationId);
        setError(done.error);
        if (!done.error) load();
      }}>Complete onboarding</button>
      <ErrorBox error={error} />
      {error?.code === "onboarding_incomplete" && "details" in error && <p>{error.details}</p>}
    </>
  );
}

const FIELDS: Record<string, [string, string, string?][]> = {
  "organization-setup": [["name", "Organization name"], ["industry", "Industry"], ["size_band", "Size (1-10, 11-50, 51-200, 201-1000, 1001+)"], ["time_zone", "Time zone", Intl.DateTimeFormat().resolvedOptions().timeZone]],
  billing: [["billing_email", "Billing email"], ["legal_name", "Legal company name"], ["address.line1", "Address"], ["address.city", "City"], ["address.country", "Country (ISO code, e.g. KE)"]],
  privacy: [["dpa_version", "Accepted data-processing terms version", "2026-01"], ["data_region", "Data region (eu, us, uk, ca, ap, af, sa)"]],
  "domain-verification": [["hostname", "Hostname"]],
  "brand-identity": [["primary_color", "Primary colour (#rrggbb)"], ["accent_color", "Accent colour (#rrggbb)"], ["sender_name", "Email sender name"]],
  integrations: [["ats_provider", "ATS provider"]],
};

function PhaseForm({ phase, onSave }: { phase: Phase; onSave: (data: Record<string, unknown>) => Promise<OnboardingError | null> }) {
  const [error, setError] = useState<OnboardingError | null>(null);
  return (
    <form class="card" data-phase={phase.key} onSubmit={async (event) => {
      event.preventDefault();
      const form = new FormData(event.currentTarget);
      const data: Record<string, unknown> = {};
      if (phase.key === "team") data.completed = form.get("completed") === "on";
      for (const [name] of FIELDS[phase.key] ?? []) {
        const value = String(form.get(name) ?? "").trim();
        if (!value) continue;
        const [head, tail] = name.split(".");
        if (tail) data[head] = { ...(data[head] as object ?? {}), [tail]: value };
        else data[head] = value;
      }
      setError(await onSave(data));
    }}>
      <h2>{phase.title} {phase.done && <span class="done">✓ done</span>}</h2>
      {phase.key === "team" && <label><input type="checkbox" name="completed" checked={phase.done} /> The team is set (inviting is optional)</label>}
      {(FIELDS[phase.key] ?? []).map(([name, label, initial]) => (
        <label>{label} <input name={name} value={savedValue(phase, name) ?? initial ?? ""} /></label>
      ))}
      <button type="submit">Save</button>
      {error && <div class="error" role="alert" data-code={error.code}>{describe(error)}</div>}
    </form>
  );
}

function savedValue(phase: Phase, name: string): string | undefined {
  const [head, tail] = name.split(".");
  const value = tail ? (phase.data?.[head] as Record<string, unknown> | undefined)?.[tail] : phase.data?.[head];
  return typeof value === "string" ? value : undefined;
}
