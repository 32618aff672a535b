//! Generated from `openapi/errors.toml` by `tools/scripts/errors.py`: do not edit.
//! The database's error codes each capability maps: the status and the message a
//! function answers them with. Anything else from the database is a 5xx.

use platform::error::RaisedError;

pub const SIGNUP: &[RaisedError] = &[(
    "user_not_found",
    404,
    "no auth.users row has this record.id",
)];

pub const INVITES: &[RaisedError] = &[
    (
        "email_not_confirmed",
        403,
        "confirm your email address first",
    ),
    (
        "invite_already_accepted",
        409,
        "this invitation has already been accepted",
    ),
    (
        "invite_expired",
        410,
        "this invitation has expired; ask for a new one",
    ),
    (
        "invite_link_used_up",
        410,
        "this invite link has been used as many times as it allows",
    ),
    (
        "invite_link_wrong_domain",
        403,
        "this invite link is for addresses at another domain",
    ),
    ("invite_not_found", 404, "no invitation matches this link"),
    ("invite_revoked", 410, "this invitation was revoked"),
    (
        "invite_superseded",
        409,
        "a newer invitation for this email exists",
    ),
    (
        "invite_wrong_user",
        403,
        "this invitation was sent to a different email address",
    ),
    (
        "member_limit_reached",
        403,
        "the organization has no seat left on its plan",
    ),
    (
        "mfa_required",
        403,
        "this organization requires two-factor authentication: verify a second factor first",
    ),
    (
        "not_platform_admin",
        403,
        "only platform admins may do this",
    ),
    (
        "organization_deletion_scheduled",
        410,
        "this organization is scheduled for deletion",
    ),
    (
        "rate_limited",
        429,
        "too many invitations sent: wait before sending again",
    ),
];

pub const TENANT_USERS: &[RaisedError] = &[
    (
        "already_completed",
        409,
        "this onboarding is already completed",
    ),
    (
        "already_onboarded",
        409,
        "the user has already completed onboarding",
    ),
    (
        "correlation_id_used",
        409,
        "this correlation_id was already used for another request",
    ),
    (
        "correlation_not_found",
        404,
        "no onboarding has this correlation_id",
    ),
    (
        "correlation_superseded",
        409,
        "this correlation_id was superseded by a newer invite",
    ),
    (
        "email_mismatch",
        409,
        "the email does not match the user of this onboarding",
    ),
    (
        "initiated_by_mismatch",
        403,
        "initiated_by.id must be the signed-in admin",
    ),
    (
        "mfa_required",
        403,
        "this organization requires two-factor authentication: verify a second factor first",
    ),
    (
        "not_tenant_admin",
        403,
        "only an owner or admin of this tenant may onboard its users",
    ),
    (
        "onboarding_in_flight",
        409,
        "an onboarding is already in progress; send resend: true to replace it",
    ),
    (
        "organization_deletion_scheduled",
        410,
        "this organization is scheduled for deletion",
    ),
    (
        "user_mismatch",
        409,
        "email or user_role do not match the tenant's user",
    ),
    (
        "user_not_in_tenant",
        403,
        "the user does not belong to this tenant",
    ),
];

pub const EXPORT: &[RaisedError] = &[
    (
        "mfa_required",
        403,
        "this organization requires two-factor authentication: verify a second factor first",
    ),
    (
        "not_member",
        403,
        "you are not a member of this organization",
    ),
    (
        "not_org_admin",
        403,
        "exporting takes org:audit:read and org:settings:manage",
    ),
    (
        "organization_deletion_scheduled",
        410,
        "this organization is scheduled for deletion",
    ),
];
