//! Pure logic of on-signup-create-org: reading the webhook payload and deriving the
//! profile name, organization name and slug. No I/O here; the database does the rest
//! in one transaction (`public.create_signup_org`).
//!
//! `public.signup_full_name` and `public.signup_slug_base` in the migrations implement
//! the same rules for the SQL reconcile job; a test checks the two agree.

use platform::error::{ApiError, RaisedError};
use platform::request::Fields;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Longest profile name kept; longer metadata is cut at a character boundary.
pub const MAX_FULL_NAME_CHARS: usize = 100;
/// Longest slug base; the database may append `-xxxxxx` to make it unique.
pub const MAX_SLUG_BASE_LEN: usize = 40;
/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 320;
/// Slug used when neither the name nor the email yields one.
pub const FALLBACK_SLUG: &str = "workspace";

/// The errors `create_signup_org` raises that a caller may see. (`invalid_slug_base` and
/// `slug_exhausted` guard invariants this crate keeps, so they stay 500s.)
pub const RAISED: &[RaisedError] = crate::raised::SIGNUP;

pub fn from_db(error: platform::DbError) -> ApiError {
    ApiError::from_db(error, RAISED)
}

/// What the database needs to create a new user's workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSignup {
    pub user_id: Uuid,
    pub email: Option<String>,
    pub full_name: String,
    pub organization_name: String,
    pub slug_base: String,
}

/// Reads a Supabase database-webhook payload (`{type, table, schema, record, old_record}`)
/// or the bare `{record}` form, and derives everything the RPC needs.
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

    let full_name = derive_full_name(metadata.as_ref(), email.as_deref());
    Ok(NewSignup {
        user_id,
        organization_name: organization_name(&full_name),
        slug_base: slug_base(&full_name, email.as_deref()),
        email,
        full_name,
    })
}

/// `full_name`, else `name` from the user's metadata, else the email's local part,
/// else "User". Control characters are dropped and whitespace collapsed.
pub fn derive_full_name(metadata: Option<&Map<String, Value>>, email: Option<&str>) -> String {
    let from_metadata = |key: &str| {
        metadata
            .and_then(|meta| meta.get(key))
            .and_then(Value::as_str)
            .map(clean_name)
            .filter(|name| !name.is_empty())
    };
    from_metadata("full_name")
        .or_else(|| from_metadata("name"))
        .or_else(|| {
            email
                .and_then(|email| email.split('@').next())
                .map(clean_name)
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| "User".to_owned())
}

fn clean_name(raw: &str) -> String {
    raw.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_FULL_NAME_CHARS)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

pub fn organization_name(full_name: &str) -> String {
    format!("{full_name}'s Workspace")
}

/// Lower-case `[a-z0-9-]`, runs of anything else turned into one `-`, no leading or
/// trailing `-`, at most `max_len` bytes. Only ASCII letters are lower-cased (Unicode
/// case mapping differs between Rust and the database's locale; ASCII does not).
pub fn slugify(text: &str, max_len: usize) -> String {
    let mut slug = String::with_capacity(text.len().min(max_len));
    for c in text.chars().map(|c| c.to_ascii_lowercase()) {
        if slug.len() >= max_len {
            break;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The slug to try first: from the name, else from the email's local part, else
/// [`FALLBACK_SLUG`]. The database makes it unique.
pub fn slug_base(full_name: &str, email: Option<&str>) -> String {
    let from_name = slugify(full_name, MAX_SLUG_BASE_LEN);
    if !from_name.is_empty() {
        return from_name;
    }
    email
        .and_then(|email| email.split('@').next())
        .map(|local| slugify(local, MAX_SLUG_BASE_LEN))
        .filter(|slug| !slug.is_empty())
        .unwrap_or_else(|| FALLBACK_SLUG.to_owned())
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
            "record": {"id": ID, "email": "john@example.com",
                       "raw_user_meta_data": {"full_name": "John Doe", "name": "Johnny"}}
        }))
        .unwrap();
        assert_eq!(signup.user_id.to_string(), ID);
        assert_eq!(signup.email.as_deref(), Some("john@example.com"));
        assert_eq!(signup.full_name, "John Doe");
        assert_eq!(signup.organization_name, "John Doe's Workspace");
        assert_eq!(signup.slug_base, "john-doe");
    }

    #[test]
    fn accepts_the_bare_record_form() {
        let signup = parse(json!({"record": {"id": ID, "email": "ann.lee@example.com"}})).unwrap();
        assert_eq!(signup.full_name, "ann.lee");
        assert_eq!(signup.slug_base, "ann-lee");
    }

    #[test]
    fn name_falls_back_from_full_name_to_name_to_email_to_user() {
        let meta = json!({"name": "  Jane\n  Q.  Public "});
        assert_eq!(
            derive_full_name(meta.as_object(), Some("x@y.z")),
            "Jane Q. Public"
        );
        let blank = json!({"full_name": "   ", "name": 42});
        assert_eq!(derive_full_name(blank.as_object(), Some("sam@y.z")), "sam");
        assert_eq!(derive_full_name(None, None), "User");
        assert_eq!(derive_full_name(None, Some("@nolocal")), "User");
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let meta = json!({"full_name": "é".repeat(300)});
        let name = derive_full_name(meta.as_object(), None);
        assert_eq!(name.chars().count(), MAX_FULL_NAME_CHARS);
    }

    #[test]
    fn slugs_are_lowercase_ascii_with_single_dashes() {
        assert_eq!(slugify("John  Doe!!", 40), "john-doe");
        assert_eq!(slugify("--Ünïcode Çafé--", 40), "n-code-af");
        assert_eq!(slugify("李雷", 40), "");
        assert_eq!(slugify("a".repeat(100).as_str(), 40).len(), 40);
        assert_eq!(slugify("abc def", 4), "abc");
        assert_eq!(slug_base("李雷", Some("li.lei@example.cn")), "li-lei");
        assert_eq!(slug_base("李雷", None), FALLBACK_SLUG);
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
