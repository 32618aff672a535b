import type { OnboardingError } from "../../clients/ts/src/index.ts";

/** An error as the pages hold it: a stable code, and what the API said (never shown raw). */
export type Problem = OnboardingError | { code: string; message: string; retryAfter?: number };

/** What each documented code means to the person in front of the screen. */
const MESSAGES: Record<string, string> = {
  invite_not_found: "This invitation link is not valid. It may have been replaced by a newer one.",
  invite_expired: "This invitation has expired. Ask for a new one.",
  invite_revoked: "This invitation was revoked.",
  invite_already_accepted: "This invitation has already been accepted.",
  invite_wrong_user: "This invitation was sent to a different email address.",
  email_not_confirmed: "Confirm your email address first: follow the link we sent you.",
  not_platform_admin: "Only platform admins may do this.",
  email_rejected: "The email could not be sent. Give the invitee the link below.",
  email_unavailable: "The email service is unavailable. Give the invitee the link below, or resend later.",
  slug_taken: "That web address is taken. Choose another.",
  invalid_slug: "The web address may hold only a–z, 0–9 and single dashes.",
  invalid_email: "That is not an email address.",
  invalid_plan: "Choose one of the plans.",
  onboarding_incomplete: "Some steps are not done yet.",
  not_owner: "Only the organization's owner can complete onboarding.",
  not_org_admin: "Only the organization's owners and admins can change this.",
  organization_not_found: "This organization does not exist, or you are not one of its members.",
  not_tenant_admin: "Only the tenant's owners and admins may do this.",
  onboarding_in_flight: "An onboarding for this user is already under way.",
  already_onboarded: "This user is already onboarded.",
  tenant_user_exists: "This tenant already has a user with that email address.",
  invalid_credentials: "Wrong email or password.",
  user_already_exists: "An account with this email exists. Sign in instead.",
  weak_password: "The password must be at least 6 characters.",
  otp_expired: "That email link has expired or was already used. If you already confirmed your address, sign in; otherwise ask for a new link.",
  access_denied: "That email link has expired or was already used. If you already confirmed your address, sign in; otherwise ask for a new link.",
  over_email_send_rate_limit: "Too many emails were sent to this address. Wait a minute and try again.",
  validation_failed: "Check the email address.",
  invite_link_used_up: "This invite link has been used as many times as it allows. Ask for a new one.",
  invite_link_wrong_domain: "This invite link is for addresses at another domain. Sign in with your work address.",
  invite_link_not_found: "That invite link no longer exists.",
  member_limit_reached: "The organization has no seat left on its plan. Ask its owner to free one or upgrade.",
  already_member: "That person is already a member.",
  role_too_high: "You cannot give a role above your own, and never owner this way.",
  invalid_role: "Choose one of the roles.",
  last_owner: "An organization keeps at least one owner: make someone else owner first.",
  cannot_remove_self: "To remove yourself, leave the organization.",
  member_not_found: "That person is no longer a member.",
  not_member: "You are not a member of this organization.",
  invite_not_pending: "That invitation is no longer pending.",
  invalid_hostname: "Enter a domain name such as acme.com.",
  domain_not_allowed: "That domain cannot be claimed: it is a public email provider or a shared suffix. Use your organization's own domain.",
  domain_taken: "Another organization has already verified that domain.",
  domain_limit_reached: "An organization has at most 20 domains. Remove one first.",
  domain_not_found: "That domain is no longer there.",
  domain_not_verified: "Verify the domain first.",
  invalid_enrollment_mode: "Choose how people at this domain join.",
  invalid_max_uses: "The number of uses must be between 1 and 10,000, or left empty for no limit.",
  invalid_ttl: "Choose how long the link works.",
  join_not_available: "This organization does not take requests from your email domain.",
  join_request_denied: "The organization declined your request. Ask one of its admins for an invitation.",
  join_request_not_pending: "That request was already decided.",
  request_not_found: "That request is no longer there.",
  network_error: "The server could not be reached.",
  function_unavailable: "The service is restarting. Try again in a moment.",
};

/** Seconds to wait, from a 429's `retry_after` (a function's field, or an RPC's details). */
export function waitSeconds(error: Problem): number | null {
  if ("retryAfter" in error && typeof error.retryAfter === "number") return Math.ceil(error.retryAfter);
  if ("details" in error && error.details) {
    try {
      const seconds = JSON.parse(error.details).retry_after;
      if (typeof seconds === "number") return Math.ceil(seconds);
    } catch { /* not JSON */ }
  }
  return null;
}

export function describe(error: Problem): string {
  if (error.code === "rate_limited") {
    const seconds = waitSeconds(error);
    return seconds === null ? "Too many attempts. Wait a moment and try again." : `Too many attempts. Try again in ${seconds} s.`;
  }
  return MESSAGES[error.code] ?? "Something went wrong. Try again; if it keeps happening, contact support.";
}

/** A refusal from a table write through PostgREST, as a Problem: the stable code when the
 * database raised one (its message is the code), never PostgreSQL's own text. */
export function fromPostgrest(error: { code?: string; message: string } | null): Problem | null {
  if (!error) return null;
  return /^[a-z][a-z0-9_]*$/.test(error.message) ? { code: error.message, message: "" } : { code: "request_failed", message: "" };
}

/** An error as words (never a raw object), with a retry when nothing answered. */
export function ErrorBox({ error, retry }: { error: Problem | null; retry?: () => void }) {
  if (!error) return null;
  return (
    <div class="alert error" role="alert" data-code={error.code}>
      {describe(error)}
      {error.code === "network_error" && retry && <button type="button" class="secondary" onClick={retry}>Retry</button>}
    </div>
  );
}
