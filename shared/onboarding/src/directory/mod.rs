//! Directory sync: SCIM 2.0 (RFC 7643, RFC 7644) as an organization's identity provider
//! speaks it, reduced to what the database keeps.
//!
//! The protocol lives here — filters parsed into a tree the SQL turns into quoted
//! conditions ([`filter`]), PATCH operations applied to a user as sent ([`patch`]),
//! resources rendered with their `meta` and trimmed to the attributes asked for
//! ([`resource`]), the discovery documents ([`schema`]), errors in RFC 7644's shape
//! ([`error`]). What provisioning does to memberships is the SQL's (`scim_*` functions,
//! migration `20261206000900_directory_sync.sql`).

pub mod error;
pub mod filter;
pub mod invitation;
pub mod patch;
pub mod resource;
pub mod schema;

pub use error::ScimError;

/// The directory's own database codes, with the status and words the function answers
/// them with (generated from `openapi/errors.toml`).
pub const RAISED: &[platform::error::RaisedError] = crate::raised::DIRECTORY;

/// The token an identity provider presents: `scim_` and 43 base64url characters, as
/// `create_directory_token` makes them. Anything else is refused before the database is
/// asked.
pub fn directory_token(presented: Option<&str>) -> Option<&str> {
    let token = presented?;
    let body = token.strip_prefix("scim_")?;
    (body.len() == 43
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_directory_tokens_are_taken() {
        let token = format!("scim_{}", "a".repeat(43));
        assert_eq!(directory_token(Some(&token)), Some(token.as_str()));
        assert_eq!(directory_token(Some("scim_short")), None);
        assert_eq!(
            directory_token(Some(&format!("sb_{}", "a".repeat(43)))),
            None
        );
        assert_eq!(
            directory_token(Some(&format!("scim_{}", "+".repeat(43)))),
            None
        );
        assert_eq!(directory_token(None), None);
    }
}
