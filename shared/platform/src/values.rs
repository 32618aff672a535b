//! Values that must be valid, as types: parsed once at the edge (a request's field), so a
//! value that exists is valid and nothing further in has to check it again.

use serde::Serialize;
use std::fmt;

/// An email address as the product keeps them: trimmed, lower-cased, at most 320 octets
/// (RFC 5321's path limit), one `@` with a dotted domain, no whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Option<Self> {
        let value = raw.trim();
        (value.len() <= 320 && is_email(value)).then(|| EmailAddress(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_normalised_or_refused() {
        assert_eq!(
            EmailAddress::parse("  Ada@Example.COM ").map(|e| e.to_string()),
            Some("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a b@example.com",
            "a@b@example.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), None, "{bad}");
        }
        assert_eq!(
            EmailAddress::parse(&format!("{}@example.com", "a".repeat(320))),
            None
        );
    }
}
