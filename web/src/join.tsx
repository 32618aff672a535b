import { useEffect, useState } from "preact/hooks";
import type { FunctionSchemas } from "../../clients/ts/src/index.ts";
import { SignIn, SignUp } from "./auth.tsx";
import type { Deps } from "./deps.ts";
import { ErrorBox, type Problem } from "./errors.tsx";
import { navigate } from "./router.ts";
import { YourOrganizations } from "./organizations.tsx";

type Preview = FunctionSchemas["schemas"]["InvitePreview"];

/** `/onboarding/join/:token`: the invitation's preview, sign up (or in) as the invited
 * address, accept, then on to the organization's setup at `/onboarding/:orgId`. */
export function JoinPage({ supabase, onboarding, session, token }: Deps & { token: string }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [accepting, setAccepting] = useState(false);
  const load = async () => {
    const result = await onboarding.validateInvite(token);
    setPreview(result.data);
    setError(result.error);
  };
  useEffect(() => { load(); }, [token]);

  if (error) {
    // The invitation's state has a page of its own; anything else is said in words.
    const gone = ["invite_expired", "invite_revoked", "invite_already_accepted", "invite_not_found"].includes(error.code);
    return (
      <section data-page={gone ? error.code : "error"}>
        <h1>{error.code === "invite_already_accepted" ? "This invitation was accepted" : gone ? "This invitation can't be used" : "Something went wrong"}</h1>
        <ErrorBox error={error} retry={load} />
        {error.code === "invite_already_accepted" && (session
          ? <YourOrganizations supabase={supabase} session={session} />
          : <SignIn supabase={supabase} title="Sign in to continue where you left off" />)}
      </section>
    );
  }
  if (!preview) return <p class="loading" aria-live="polite">Loading the invitation…</p>;

  const signedInAs = session?.user.email?.toLowerCase();
  const invited = preview.email.toLowerCase();
  return (
    <>
      <section class="card" data-page="preview">
        <h1>Join {preview.organization?.name}</h1>
        <p>You are invited to set up <strong>{preview.organization?.name}</strong> on the <strong>{preview.plan?.name}</strong> plan.</p>
        {preview.features.length > 0 && <><h2 class="small-heading">Included</h2><ul class="features">{preview.features.map((feature) => <li>{feature.name}</li>)}</ul></>}
        <p>Invited address: <strong class="email" data-testid="invited-email">{preview.email}</strong></p>
      </section>
      {!session && <SignUp supabase={supabase} email={preview.email} redirectTo={location.href} />}
      {!session && <SignIn supabase={supabase} email={preview.email} title="Already have an account? Sign in" />}
      {session && signedInAs !== invited && (
        <section class="card" data-page="wrong-account">
          <h2>You are signed in as <span class="email">{signedInAs}</span></h2>
          <p>This invitation is for <strong class="email">{preview.email}</strong>.</p>
          <button type="button" onClick={() => supabase.auth.signOut()}>Sign out and use the invited address</button>
        </section>
      )}
      {session && signedInAs === invited && (
        <section class="card">
          <h2>Ready when you are</h2>
          <button type="button" disabled={accepting} onClick={async () => {
            setAccepting(true);
            const accepted = await onboarding.acceptInvite(token);
            setAccepting(false);
            if (accepted.error) return setError(accepted.error);
            navigate(`/onboarding/${accepted.data.organization_id}`, { replace: true });
          }}>Accept the invitation</button>
        </section>
      )}
    </>
  );
}
