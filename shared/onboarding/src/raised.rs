//! Generated from `openapi/errors.toml` by `tools/scripts/errors.py`: do not edit.
//! The database's error codes each capability maps: the status and the message a
//! function answers them with. Anything else from the database is a 5xx.

use platform::error::RaisedError;

pub const SIGNUP: &[RaisedError] = &[RaisedError {
    code: "user_not_found",
    status: 404,
    message: "no auth.users row has this record.id",
}];

pub const INVITES: &[RaisedError] = &[
    RaisedError {
        code: "email_not_confirmed",
        status: 403,
        message: "confirm your email address first",
    },
    RaisedError {
        code: "invalid_role",
        status: 410,
        message: "the role this invitation grants no longer exists; ask for a new one",
    },
    RaisedError {
        code: "invite_already_accepted",
        status: 409,
        message: "this invitation has already been accepted",
    },
    RaisedError {
        code: "invite_expired",
        status: 410,
        message: "this invitation has expired; ask for a new one",
    },
    RaisedError {
        code: "invite_link_used_up",
        status: 410,
        message: "this invite link has been used as many times as it allows",
    },
    RaisedError {
        code: "invite_link_wrong_domain",
        status: 403,
        message: "this invite link is for addresses at another domain",
    },
    RaisedError {
        code: "invite_not_found",
        status: 404,
        message: "no invitation matches this link",
    },
    RaisedError {
        code: "invite_revoked",
        status: 410,
        message: "this invitation was revoked",
    },
    RaisedError {
        code: "invite_superseded",
        status: 409,
        message: "a newer invitation for this email exists",
    },
    RaisedError {
        code: "invite_wrong_user",
        status: 403,
        message: "this invitation was sent to a different email address",
    },
    RaisedError {
        code: "member_limit_reached",
        status: 403,
        message: "the organization has no seat left on its plan",
    },
    RaisedError {
        code: "mfa_required",
        status: 403,
        message:
            "this organization requires two-factor authentication: verify a second factor first",
    },
    RaisedError {
        code: "not_platform_admin",
        status: 403,
        message: "only platform admins may do this",
    },
    RaisedError {
        code: "organization_deletion_scheduled",
        status: 410,
        message: "this organization is scheduled for deletion",
    },
    RaisedError {
        code: "rate_limited",
        status: 429,
        message: "too many invitations sent: wait before sending again",
    },
];

pub const TENANT_USERS: &[RaisedError] = &[
    RaisedError {
        code: "already_completed",
        status: 409,
        message: "this onboarding is already completed",
    },
    RaisedError {
        code: "already_onboarded",
        status: 409,
        message: "the user has already completed onboarding",
    },
    RaisedError {
        code: "correlation_id_used",
        status: 409,
        message: "this correlation_id was already used for another request",
    },
    RaisedError {
        code: "correlation_not_found",
        status: 404,
        message: "no onboarding has this correlation_id",
    },
    RaisedError {
        code: "correlation_superseded",
        status: 409,
        message: "this correlation_id was superseded by a newer invite",
    },
    RaisedError {
        code: "email_mismatch",
        status: 409,
        message: "the email does not match the user of this onboarding",
    },
    RaisedError {
        code: "initiated_by_mismatch",
        status: 403,
        message: "initiated_by.id must be the signed-in admin",
    },
    RaisedError {
        code: "mfa_required",
        status: 403,
        message:
            "this organization requires two-factor authentication: verify a second factor first",
    },
    RaisedError {
        code: "not_tenant_admin",
        status: 403,
        message: "only an owner or admin of this tenant may onboard its users",
    },
    RaisedError {
        code: "onboarding_in_flight",
        status: 409,
        message: "an onboarding is already in progress; send resend: true to replace it",
    },
    RaisedError {
        code: "organization_deletion_scheduled",
        status: 410,
        message: "this organization is scheduled for deletion",
    },
    RaisedError {
        code: "user_mismatch",
        status: 409,
        message: "email or user_role do not match the tenant's user",
    },
    RaisedError {
        code: "user_not_in_tenant",
        status: 403,
        message: "the user does not belong to this tenant",
    },
];

pub const EXPORT: &[RaisedError] = &[
    RaisedError {
        code: "mfa_required",
        status: 403,
        message:
            "this organization requires two-factor authentication: verify a second factor first",
    },
    RaisedError {
        code: "not_member",
        status: 403,
        message: "you are not a member of this organization",
    },
    RaisedError {
        code: "not_org_admin",
        status: 403,
        message: "exporting takes org:audit:read and org:settings:manage",
    },
    RaisedError {
        code: "organization_deletion_scheduled",
        status: 410,
        message: "this organization is scheduled for deletion",
    },
];

pub const DIRECTORY: &[RaisedError] = &[
    RaisedError {
        code: "directory_group_changed",
        status: 412,
        message: "the group changed while it was being written; retry",
    },
    RaisedError {
        code: "directory_group_not_found",
        status: 404,
        message: "no such group",
    },
    RaisedError {
        code: "directory_member_not_found",
        status: 400,
        message: "a member is not a user of this directory",
    },
    RaisedError {
        code: "directory_user_changed",
        status: 412,
        message: "the user changed while it was being written; retry",
    },
    RaisedError {
        code: "directory_user_not_found",
        status: 404,
        message: "no such user",
    },
    RaisedError {
        code: "invalid_directory_token",
        status: 401,
        message: "a directory token is required (Authorization: Bearer scim_…)",
    },
    RaisedError {
        code: "invalid_filter",
        status: 400,
        message: "the filter cannot be evaluated",
    },
    RaisedError {
        code: "invalid_group",
        status: 400,
        message: "displayName is required (1-256 characters)",
    },
    RaisedError {
        code: "invalid_group_change",
        status: 400,
        message: "the change cannot be applied to a group",
    },
    RaisedError {
        code: "invalid_user",
        status: 400,
        message: "userName is required (1-320 characters); active is a boolean",
    },
];
