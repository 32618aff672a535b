import { useEffect, useState } from "preact/hooks";
import type { OnboardingClient } from "../../clients/ts/src/index.ts";
import { ErrorBox, type Problem } from "./errors.tsx";
import { navigate } from "./router.ts";

type Result<T> = { data: T | null; error: Problem | null };
type Invites = NonNullable<Awaited<ReturnType<OnboardingClient["myInvites"]>>["data"]>;
type Suggestions = NonNullable<Awaited<ReturnType<OnboardingClient["mySuggestions"]>>["data"]>;
type Requests = NonNullable<Awaited<ReturnType<OnboardingClient["myJoinRequests"]>>["data"]>;

/** On the home page, the ways in waiting for the signed-in user: invitations (by email, or
 * made by an organization's verified domain: accepted here by their id), organizations
 * their email's domain may ask to join, and how their requests went. */
export function ForYou({ onboarding }: { onboarding: OnboardingClient }) {
  const [invites, setInvites] = useState<Invites>([]);
  const [suggestions, setSuggestions] = useState<Suggestions>([]);
  const [requests, setRequests] = useState<Requests>([]);
  const [error, setError] = useState<Problem | null>(null);
  const load = async () => {
    const [i, s, r] = await Promise.all([onboarding.myInvites(), onboarding.mySuggestions(), onboarding.myJoinRequests()]);
    setInvites(i.data ?? []);
    setSuggestions(s.data ?? []);
    setRequests(r.data ?? []);
  };
  useEffect(() => { load(); }, []);
  const settle = async <T,>(result: Promise<Result<T>>) => {
    const { error } = await result;
    setError(error);
    load();
  };
  const decided = requests.filter((r) => r.status !== "pending").slice(0, 5);
  if (invites.length === 0 && suggestions.length === 0 && decided.length === 0) return <ErrorBox error={error} />;

  return (
    <section class="card" data-testid="for-you" aria-labelledby="for-you-heading">
      <h2 id="for-you-heading">Waiting for you</h2>
      <ErrorBox error={error} />
      {invites.length > 0 && <ul class="list">{invites.map((invite) => (
        <li data-invite={invite.organization_id}>
          <strong>{invite.organization_name}</strong> invites you as {invite.role}
          <span class="muted">{invite.via === "domain" ? ` (everyone at ${invite.hostname})` : invite.invited_by ? ` (from ${invite.invited_by})` : ""}</span>
          <div>
            <button type="button" class="small" onClick={async () => {
              const accepted = await onboarding.acceptInviteById(invite.id);
              if (accepted.error) return setError(accepted.error);
              navigate(accepted.data.redirect_to);
            }}>Accept</button>
            <button type="button" class="secondary small" onClick={() => settle(onboarding.declineInvite(invite.id))}>Decline</button>
          </div>
        </li>
      ))}</ul>}
      {suggestions.length > 0 && <>
        <h3>Organizations at your domain</h3>
        <ul class="list">{suggestions.map((suggestion) => (
          <li data-suggestion={suggestion.organization_id}>
            <strong>{suggestion.organization_name}</strong> <span class="muted">({suggestion.hostname})</span>
            <div>{suggestion.request?.status === "pending"
              ? <span class="muted" data-request-status="pending">Request sent: waiting for an admin.</span>
              : suggestion.request?.status === "denied"
                ? <span class="muted" data-request-status="denied">Your request was declined.</span>
                : <button type="button" class="small" onClick={() => settle(onboarding.requestToJoin(suggestion.organization_id))}>Ask to join</button>}
            </div>
          </li>
        ))}</ul>
      </>}
      {decided.length > 0 && <>
        <h3>Your requests</h3>
        <ul class="list">{decided.map((request) => (
          <li data-request-status={request.status}>
            {request.organization_name}: {request.status === "approved"
              ? <>approved. <a href={`/org/${request.organization_id}/team`}>Open its team</a></>
              : "declined."}
          </li>
        ))}</ul>
      </>}
    </section>
  );
}
