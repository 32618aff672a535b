//! Errors as RFC 7644 §3.12 has them: `urn:ietf:params:scim:api:messages:2.0:Error`,
//! `status` as a string, a `scimType` where the RFC names one, a `detail` that never holds
//! a database's or anyone's secret text.

use platform::{DbError, HttpResponse};

use super::RAISED;
use serde_json::json;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const CONTENT_TYPE: &str = "application/scim+json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidFilter"), detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidPath"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some("noTarget"), detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some("mutability"), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            401,
            None,
            "a directory token is required (Authorization: Bearer scim_…)",
        )
    }

    /// A database error as the identity provider should see it: a unique key by its
    /// SQLSTATE; the directory's own codes with the status and words of the registry
    /// ([`RAISED`], from `openapi/errors.toml`) and their `scimType`; the codes every path
    /// shares by their meaning here; anything else by its kind, never its text.
    pub fn from_db(error: DbError) -> Self {
        let (code, sqlstate) = match &error {
            DbError::Rejected { message, code, .. } => (message.as_str(), code.as_str()),
            DbError::Timeout => {
                return Self::new(503, None, "the directory did not answer in time; retry")
            }
            _ => return Self::new(503, None, "the directory is unavailable; retry"),
        };
        if sqlstate == "23505" {
            return Self::new(
                409,
                Some("uniqueness"),
                "a resource with this userName or displayName exists",
            );
        }
        if let Some(raised) = RAISED.iter().find(|raised| raised.code == code) {
            let scim_type = match code {
                "invalid_filter" => Some("invalidFilter"),
                "invalid_user"
                | "invalid_group"
                | "invalid_group_change"
                | "directory_member_not_found" => Some("invalidValue"),
                _ => None,
            };
            return Self::new(raised.status, scim_type, raised.message);
        }
        match code {
            "feature_not_enabled" => Self::new(
                403,
                None,
                "the organization's plan does not include directory sync",
            ),
            "organization_deletion_scheduled" => {
                Self::new(403, None, "the organization is scheduled for deletion")
            }
            "last_owner" => Self::mutability(
                "the organization's last owner cannot be suspended or removed by the directory",
            ),
            "member_limit_reached" => {
                Self::new(403, None, "the organization has no seat left on its plan")
            }
            _ => Self::new(500, None, "the directory failed to answer"),
        }
    }

    pub fn response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let response = scim_json(self.status, &body);
        if self.status == 401 {
            response.with_header("www-authenticate", "Bearer realm=\"scim\"")
        } else {
            response
        }
    }
}

/// A SCIM body: JSON with SCIM's media type.
pub fn scim_json(status: u16, body: &serde_json::Value) -> HttpResponse {
    let mut response = HttpResponse::json(status, body);
    response.headers.retain(|(name, _)| name != "content-type");
    response.with_header("content-type", CONTENT_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(code: &str, message: &str) -> DbError {
        DbError::Rejected {
            status: 400,
            code: code.into(),
            message: message.into(),
            details: None,
        }
    }

    #[test]
    fn errors_have_the_rfc_shape() {
        let response = ScimError::from_db(rejected("PT409", "last_owner")).response();
        assert_eq!(response.status, 400);
        assert_eq!(response.header("content-type"), Some(CONTENT_TYPE));
        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
        assert_eq!(body["status"], "400");
        assert_eq!(body["scimType"], "mutability");
    }

    #[test]
    fn database_text_never_reaches_the_caller() {
        let error = ScimError::from_db(rejected(
            "23505",
            "duplicate key value violates unique constraint \"secret_idx\"",
        ));
        assert_eq!((error.status, error.scim_type), (409, Some("uniqueness")));
        assert!(!error.detail.contains("secret_idx"));
        let unknown = ScimError::from_db(rejected("XX000", "relation private.x does not exist"));
        assert_eq!(unknown.status, 500);
        assert!(!unknown.detail.contains("private"));
    }
}
