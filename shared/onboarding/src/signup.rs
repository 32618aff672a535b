//! Pure logic of on-signup-create-org: reading the webhook payload. The naming rules
//! (profile name, workspace name, slug) live in one place, the database
//! (`public.create_signup_workspace`, which the reconcile job calls too); it does the
//! rest in one transaction.

use platform::error::{ApiError, RaisedError};
use platform::request::Fields;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 320;

/// The errors `create_signup_org` raises that a caller may see. (`invalid_slug_base` and
/// `slug_exhausted` guard invariants this crate keeps, so they stay 500s.)
pub const RAISED: &[RaisedError] = crate::raised::SIGNUP;

pub fn from_db(error: platform::DbError) -> ApiError {
    ApiError::from_db(error, RAISED)
}

/// What the database needs to create a new user's workspace: who, and what Auth keeps
/// about them (the names are derived from it there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSignup {
    pub user_id: Uuid,
    pub email: Option<String>,
    /// `raw_user_meta_data`, an object (empty when the record has none).
    pub metadata: Map<String, Value>,
}

/// Reads a Supabase database-webhook payload (`{type, table, schema, record, old_record}`)
/// or the bare `{record}` form: what the RPC needs, and nothing else of the record.
pub fn parse_signup_event(body: &[u8]) -> Result<NewSignup, ApiError> {
    let mut payload = Fields::from_body(body)?;
    const ONLY: &str = ": this function handles INSERT on auth.users only";
    payload.constant("type", "INSERT", ONLY);
    payload.constant("table", "users", ONLY);
    payload.constant("schema", "auth", ONLY);
    let Some(mut record) = payload.object("record", true, "an object") else {
        return Err(payload.finish().err().unwrap_or(ApiError::Internal));
    };
    let user_id = record.uuid("id");
    let email = record
        .string("email", MAX_EMAIL_LEN, false)
        .filter(|email| !email.is_empty());
    let metadata = match record.get("raw_user_meta_data") {
        None => None,
        Some(Value::Object(metadata)) => Some(metadata.clone()),
        Some(_) => record.problem("raw_user_meta_data", "must be an object"),
    };
    payload.absorb(record);
    payload.finish()?;
    let user_id = user_id.ok_or(ApiError::Internal)?;
    Ok(NewSignup {
        user_id,
        email,
        metadata: metadata.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "0b6c3f5e-8a43-4a53-9d1e-2f1f6f0f2b11";

    fn parse(value: Value) -> Result<NewSignup, ApiError> {
        parse_signup_event(value.to_string().as_bytes())
    }

    #[test]
    fn reads_the_supabase_webhook_payload() {
        let signup = parse(json!({
            "type": "INSERT", "table": "users", "schema": "auth", "old_record": null,
            "record": {"id": ID, "email": "john@example.com", "encrypted_password": "$2a$10$x",
                       "raw_user_meta_data": {"full_name": "John Doe", "name": "Johnny"}}
        }))
        .unwrap();
        assert_eq!(signup.user_id.to_string(), ID);
        assert_eq!(signup.email.as_deref(), Some("john@example.com"));
        assert_eq!(
            Value::Object(signup.metadata),
            json!({"full_name": "John Doe", "name": "Johnny"})
        );
    }

    #[test]
    fn accepts_the_bare_record_form() {
        let signup = parse(json!({"record": {"id": ID, "email": "ann.lee@example.com"}})).unwrap();
        assert_eq!(signup.email.as_deref(), Some("ann.lee@example.com"));
        assert!(signup.metadata.is_empty());
    }

    #[test]
    fn rejects_bad_payloads_naming_the_field() {
        let cases = [
            (json!([1, 2]), "body must be a JSON object"),
            (
                json!({"type": "UPDATE", "record": {"id": ID}}),
                "type must be \"INSERT\"",
            ),
            (
                json!({"table": "profiles", "record": {"id": ID}}),
                "table must be \"users\"",
            ),
            (
                json!({"schema": "public", "record": {"id": ID}}),
                "schema must be \"auth\"",
            ),
            (json!({"type": "INSERT"}), "record is required"),
            (json!({"record": "x"}), "record must be an object"),
            (json!({"record": {}}), "record.id is required"),
            (
                json!({"record": {"id": "not-a-uuid"}}),
                "record.id must be a UUID",
            ),
            (
                json!({"record": {"id": 7}}),
                "record.id must be a UUID string",
            ),
            (
                json!({"record": {"id": ID, "email": 5}}),
                "record.email must be a string",
            ),
            (
                json!({"record": {"id": ID, "raw_user_meta_data": "x"}}),
                "record.raw_user_meta_data must be an object",
            ),
        ];
        for (payload, expected) in cases {
            match parse(payload.clone()) {
                Err(ApiError::InvalidPayload(message)) => {
                    assert!(message.starts_with(expected), "{payload}: {message}")
                }
                other => panic!("{payload}: expected InvalidPayload, got {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_invalid_json() {
        assert!(matches!(
            parse_signup_event(b"{\"record\":"),
            Err(ApiError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_signup_event(b""),
            Err(ApiError::InvalidJson(_))
        ));
    }
}
