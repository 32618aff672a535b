import type { OnboardingError } from "../../clients/ts/src/index.ts";

/** What each documented code means to the person in front of the screen. */
const MESSAGES: Record<string, string> = {
  invite_not_found: "This invitation link is not valid. It may have been replaced by a newer one.",
  invite_expired: "This invitation has expired. Ask for a new one.",
  invite_revoked: "This invitation was revoked.",
  invite_already_accepted: "This invitation has already been accepted.",
  invite_wrong_user: "This invitation was sent to a different email address.",
  email_not_confirmed: "Confirm your email address first.",
  not_platform_admin: "Only platform admins may do this.",
  rate_limited: "Too many invitations sent. Wait a moment and try again.",
  email_rejected: "The email could not be sent. Give the invitee the link below.",
  email_unavailable: "The email service is unavailable. Give the invitee the link below, or resend later.",
  slug_taken: "That slug is taken.",
  invalid_slug: "The slug may hold only a-z, 0-9 and single dashes.",
  invalid_email: "That is not an email address.",
  onboarding_incomplete: "Some phases are not done yet.",
  not_tenant_admin: "Only the tenant's owners and admins may do this.",
  onboarding_in_flight: "An onboarding for this user is already under way.",
  already_onboarded: "This user is already onboarded.",
  invalid_credentials: "Wrong email or password.",
  user_already_exists: "An account with this email exists. Sign in instead.",
  weak_password: "The password must be at least 6 characters.",
  network_error: "The server could not be reached.",
};

export function describe(error: { code: string; message: string }): string {
  if (MESSAGES[error.code]) return MESSAGES[error.code];
  if (error.code.startsWith("invalid_")) return `${error.message || error.code.replace("invalid_", "Check the field: ")}`;
  return error.message || "Something went wrong.";
}

/** An error as words (never a raw object), with a retry when nothing answered. */
export function ErrorBox({ error, retry }: { error: OnboardingError | { code: string; message: string } | null; retry?: () => void }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-code={error.code}>
      {describe(error)}
      {"kind" in error && error.kind === "network" && retry && <button onClick={retry}>Retry</button>}
    </div>
  );
}
