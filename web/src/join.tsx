import { useEffect, useState } from "preact/hooks";
import type { FunctionSchemas } from "../../clients/ts/src/index.ts";
import { SignIn, SignUp } from "./auth.tsx";
import type { Deps } from "./deps.ts";
import { ErrorBox, type Problem } from "./errors.tsx";
import { navigate } from "./router.ts";
import { YourOrganizations } from "./organizations.tsx";

type Preview = FunctionSchemas["schemas"]["InvitePreview"];

/** The codes that say the invitation or link itself can no longer be used. */
const GONE = ["invite_expired", "invite_revoked", "invite_already_accepted", "invite_not_found", "invite_link_used_up"];

/** `/onboarding/join/:token`: an invitation's or a shareable link's preview, sign up (or
 * in), accept, then on to where the answer says (the organization's setup or its team). */
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

  if (error && (GONE.includes(error.code) || !preview)) {
    // The invitation's state has a page of its own; anything else is said in words.
    const gone = GONE.includes(error.code);
    return (
      <section data-page={gone ? error.code : "error"}>
        <h1>{error.code === "invite_already_accepted" ? "This invitation was accepted" : gone ? "This invitation can't be used" : "Something went wrong"}</h1>
        <ErrorBox error={error} retry={load} />
        {error.code === "invite_already_accepted" && (session
          ? <YourOrganizations supabase={supabase} onboarding={onboarding} session={session} />
          : <SignIn supabase={supabase} title="Sign in to continue where you left off" />)}
      </section>
    );
  }
  if (!preview) return <p class="loading" aria-live="polite">Loading the invitation…</p>;

  const link = preview.kind === "link";
  const signedInAs = session?.user.email?.toLowerCase();
  const invited = preview.email?.toLowerCase();
  const rightAccount = session && (link || signedInAs === invited);
  return (
    <>
      <section class="card" data-page="preview" data-kind={preview.kind}>
        <h1>Join {preview.organization?.name}</h1>
        {link
          ? <p>You are invited to join <strong>{preview.organization?.name}</strong> as <strong>{preview.role}</strong>.</p>
          : <p>You are invited to set up <strong>{preview.organization?.name}</strong> on the <strong>{preview.plan?.name}</strong> plan.</p>}
        {!link && preview.features.length > 0 && <><h2 class="small-heading">Included</h2><ul class="features">{preview.features.map((feature) => <li>{feature.name}</li>)}</ul></>}
        {preview.email && <p>Invited address: <strong class="email" data-testid="invited-email">{preview.email}</strong></p>}
        {preview.allowed_domain && <p data-testid="allowed-domain">This link is for addresses at <strong>@{preview.allowed_domain}</strong>.</p>}
      </section>
      {!session && <SignUp supabase={supabase} email={preview.email ?? undefined} redirectTo={location.href} />}
      {!session && <SignIn supabase={supabase} email={preview.email ?? undefined} title="Already have an account? Sign in" />}
      {session && !rightAccount && (
        <section class="card" data-page="wrong-account">
          <h2>You are signed in as <span class="email">{signedInAs}</span></h2>
          <p>This invitation is for <strong class="email">{preview.email}</strong>.</p>
          <button type="button" onClick={() => supabase.auth.signOut()}>Sign out and use the invited address</button>
        </section>
      )}
      {rightAccount && (
        <section class="card">
          <h2>Ready when you are</h2>
          {link && <p>You will join as <strong class="email">{signedInAs}</strong>.</p>}
          <ErrorBox error={error} />
          <button type="button" disabled={accepting} onClick={async () => {
            setAccepting(true);
            const accepted = await onboarding.acceptInvite(token);
            setAccepting(false);
            if (accepted.error) return setError(accepted.error);
            navigate(accepted.data.redirect_to, { replace: true });
          }}>{link ? "Join the organization" : "Accept the invitation"}</button>
        </section>
      )}
    </>
  );
}
