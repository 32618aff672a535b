//! The request a tenant admin sends to start (or resend) an onboarding: the seed's
//! payload contract, as Make scenarios expect it.

use super::EVENT_TYPE;
use platform::error::ApiError;
use platform::request::Fields;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// The two kinds of tenant users the seed onboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantUserRole {
    Executor,
    Complainant,
}

impl TenantUserRole {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "executor" => Some(TenantUserRole::Executor),
            "complainant" => Some(TenantUserRole::Complainant),
            _ => None,
        }
    }
}

/// A validated onboarding request: the seed's payload (normalised: lower-case email,
/// only the contract's fields) and whether it replaces an onboarding in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct OnboardingRequest {
    pub payload: Value,
    pub correlation_id: Uuid,
    pub resend: bool,
}

/// Validates the seed's payload contract; the error names every offending field.
pub fn parse_request(body: &[u8]) -> Result<OnboardingRequest, ApiError> {
    let mut check = Fields::from_body(body)?;
    if let Some(event_type) = check.string("event_type", 100, true) {
        if event_type != EVENT_TYPE {
            check.problem::<()>("event_type", format!("must be \"{EVENT_TYPE}\""));
        }
    }
    let tenant_id = check.uuid("tenant_id");
    let tenant_name = check.string("tenant_name", 200, true);
    let user_id = check.uuid("user_id");
    let user_role = match check.string("user_role", 20, true) {
        Some(role) => TenantUserRole::parse(&role)
            .or_else(|| check.problem("user_role", "must be \"executor\" or \"complainant\"")),
        None => None,
    };
    let email = check.email("email");
    let full_name = check.string("full_name", 200, false);
    let employee_id = check.string("employee_id", 100, false);
    let initiated_by = check
        .object("initiated_by", true, "an object with id, email and name")
        .map(|mut admin| {
            let id = admin.uuid("id");
            let admin_email = admin.email("email");
            let name = admin.string("name", 200, false);
            check.absorb(admin);
            json!({ "id": id, "email": admin_email, "name": name })
        });
    let correlation_id = check.uuid("correlation_id");
    let requested_at = check.string("requested_at", 64, true);
    if let Some(at) = &requested_at {
        if time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_err()
        {
            check.problem::<()>("requested_at", "must be an ISO 8601 (RFC 3339) timestamp");
        }
    }
    let resend = check.boolean("resend", false);
    check.finish()?;
    let correlation_id = correlation_id.ok_or(ApiError::Internal)?;
    Ok(OnboardingRequest {
        payload: json!({
            "event_type": EVENT_TYPE,
            "tenant_id": tenant_id,
            "tenant_name": tenant_name,
            "user_id": user_id,
            "user_role": user_role,
            "email": email,
            "full_name": full_name,
            "employee_id": employee_id,
            "initiated_by": initiated_by,
            "correlation_id": correlation_id,
            "requested_at": requested_at,
        }),
        correlation_id,
        resend,
    })
}
