//! Pure logic of the invite flow: tokens, links, the email, and the error codes the
//! invite SQL functions raise (as `P0001` with the code as message), mapped once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use platform::error::{ApiError, RaisedError};

/// A token is 32 bytes from the CSPRNG in unpadded base64url: 43 characters.
pub const TOKEN_LEN: usize = 43;

/// An invite token: 32 bytes from the CSPRNG in unpadded base64url. A value of this type
/// is well-formed (anything else is refused before any database work); only its SHA-256
/// is stored, the token itself exists in the email and in the response to the admin, and
/// its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken(String);

impl InviteToken {
    /// A fresh token (see [`platform::secrets::new_token`]).
    pub fn generate() -> Self {
        InviteToken(platform::secrets::new_token())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == TOKEN_LEN
            && URL_SAFE_NO_PAD
                .decode(raw)
                .is_ok_and(|bytes| bytes.len() == 32))
        .then(|| InviteToken(raw.to_owned()))
    }

    /// What the database keeps and compares: the SHA-256, hex.
    pub fn hash(&self) -> String {
        platform::secrets::sha256_hex(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteToken(…)")
    }
}

/// `{APP_URL}/onboarding/join/{token}`; the base comes from configuration, never from
/// the request, so a forged Host header cannot redirect the link.
pub fn invite_link(app_url: &str, token: &InviteToken) -> String {
    format!(
        "{}/onboarding/join/{}",
        app_url.trim_end_matches('/'),
        token.as_str()
    )
}

/// One send of an invite, as `issue_invite_token` numbered it: the email, and the attempt
/// number `record_invite_send` is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSend {
    pub email: crate::email::Email,
    pub send_attempt: i64,
}

/// One send of invite `invite_id`, from `issue_invite_token`'s answer (`email`,
/// `organization_name`, `expires_at`, `send_attempt`): the email to the invitee with one
/// idempotency key per send — retries of this send reuse it, a later resend does not.
/// `None` when the answer lacks what a send needs.
pub fn issued_invite_email(
    invite_id: &str,
    issued: &serde_json::Value,
    link: &str,
) -> Option<IssuedSend> {
    let field = |key: &str| issued.get(key).and_then(serde_json::Value::as_str);
    let send_attempt = issued.get("send_attempt")?.as_i64()?;
    let content = invite_email(
        field("organization_name").unwrap_or_default(),
        link,
        field("expires_at").unwrap_or_default(),
    );
    let email = crate::email::Email {
        to: field("email")?.to_owned(),
        subject: content.subject,
        html: content.html,
        text: content.text,
        idempotency_key: format!("invite-{invite_id}-{send_attempt}"),
    };
    Some(IssuedSend {
        email,
        send_attempt,
    })
}

pub struct InviteEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The invitation email, in HTML and plain text. The organization name is the admin's
/// input and is escaped.
pub fn invite_email(organization_name: &str, link: &str, expires_at: &str) -> InviteEmail {
    let name = html_escape(organization_name);
    let href = html_escape(link);
    InviteEmail {
        subject: format!("You're invited to set up {organization_name}"),
        html: format!(
            "<p>You have been invited to set up <strong>{name}</strong>.</p>\
             <p><a href=\"{href}\">Accept the invitation</a></p>\
             <p>Or open this link: {href}</p>\
             <p>The invitation expires at {expires}.</p>",
            expires = html_escape(expires_at)
        ),
        text: format!(
            "You have been invited to set up {organization_name}.\n\n\
             Accept the invitation: {link}\n\n\
             The invitation expires at {expires_at}.\n"
        ),
    }
}

pub(crate) fn html_escape(text: &str) -> String {
    text.chars()
        .fold(String::with_capacity(text.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                _ => out.push(c),
            }
            out
        })
}

/// The errors the invite SQL functions raise, with their statuses.
pub const RAISED: &[RaisedError] = crate::raised::INVITES;

/// Maps a database error from an invite SQL function.
pub fn from_db(error: platform::db::DbError) -> ApiError {
    ApiError::from_db(error, RAISED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_chars_and_unique() {
        let token = InviteToken::generate();
        assert_eq!(token.as_str().len(), TOKEN_LEN);
        assert_eq!(InviteToken::parse(token.as_str()), Some(token.clone()));
        assert_ne!(token, InviteToken::generate());
        assert_eq!(token.hash().len(), 64);
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}!", "a".repeat(42)),
            &format!("{}=", "a".repeat(42)),
        ] {
            assert_eq!(InviteToken::parse(bad), None, "{bad}");
        }
        assert!(InviteToken::parse(&"A".repeat(TOKEN_LEN)).is_some());
    }

    #[test]
    fn links_use_the_configured_base() {
        assert_eq!(
            invite_link(
                "https://app.example.com/",
                &InviteToken::parse(&"A".repeat(TOKEN_LEN)).unwrap()
            ),
            format!(
                "https://app.example.com/onboarding/join/{}",
                "A".repeat(TOKEN_LEN)
            )
        );
    }

    #[test]
    fn the_email_escapes_the_organization_name() {
        let email = invite_email(
            "<b>Evil & Co</b>",
            "https://app/x?a=1&b=2",
            "2026-11-24T00:00:00Z",
        );
        assert!(email.html.contains("&lt;b&gt;Evil &amp; Co&lt;/b&gt;"));
        assert!(email.html.contains("https://app/x?a=1&amp;b=2"));
        assert!(email.text.contains("https://app/x?a=1&b=2"));
        assert_eq!(email.subject, "You're invited to set up <b>Evil & Co</b>");
    }

    #[test]
    fn every_sql_error_code_maps_to_its_status() {
        let expected = [
            ("invite_not_found", 404),
            ("invite_expired", 410),
            ("invite_revoked", 410),
            ("invite_already_accepted", 409),
            ("invite_superseded", 409),
            ("invite_wrong_user", 403),
            ("email_not_confirmed", 403),
            ("not_platform_admin", 403),
        ];
        for (code, status) in expected {
            let raised = platform::db::DbError::Rejected {
                status: 400,
                code: "P0001".into(),
                message: code.into(),
                details: None,
            };
            let error = from_db(raised);
            assert_eq!((error.code(), error.status()), (code, status));
        }
    }
}
