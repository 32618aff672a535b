//! One structured JSON line per request: what an operator needs to follow traffic,
//! and nothing personal (no email, no token, no body).

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct RequestLog<'a> {
    pub function: &'a str,
    pub request_id: &'a str,
    pub method: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<&'a str>,
    /// The error code, when the response is an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// A free-form diagnostic for 5xx responses (never request data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

impl RequestLog<'_> {
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Writes a log line where the platform collects them (stdout natively, the console in
/// Deno, which Supabase's function logs capture).
pub fn emit(line: &str) {
    #[cfg(target_arch = "wasm32")]
    web_sys::console::log_1(&line.into());
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

/// Text from outside (an upstream's error message) made fit for a log line: email
/// addresses and anything shaped like a key or token (`re_…`, `sb_secret_…`,
/// `sb_publishable_…`, `whsec_…`, `sbp_…`, a directory's `scim_…`, a JWT) are replaced,
/// the rest kept.
pub fn redacted(text: &str) -> String {
    const SECRET_PREFIXES: [&str; 7] = [
        "re_",
        "sb_secret_",
        "sb_publishable_",
        "whsec_",
        "sbp_",
        "scim_",
        "eyJ",
    ];
    let is_word = |c: char| c.is_ascii_alphanumeric() || "._%+-@/=".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let at = word.find('@');
        if at.is_some_and(|i| i > 0 && i + 1 < word.len()) {
            out.push_str("[address]");
        } else if SECRET_PREFIXES
            .iter()
            .any(|prefix| word.starts_with(prefix))
        {
            out.push_str("[secret]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if is_word(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_text_keeps_no_address_and_no_key() {
        let text = "Invalid `to` field: ann@acme.com. API key re_123abc is invalid; Bearer eyJhbGciOi.x.y (422)";
        assert_eq!(
            redacted(text),
            "Invalid `to` field: [address] API key [secret] is invalid; Bearer [secret] (422)"
        );
        assert_eq!(
            redacted("sb_secret_abc and whsec_x== and scim_Ab-9"),
            "[secret] and [secret] and [secret]"
        );
        assert_eq!(redacted("a plain message, 429"), "a plain message, 429");
    }

    #[test]
    fn a_log_line_is_one_json_object() {
        let line = RequestLog {
            function: "on-signup-create-org",
            request_id: "r1",
            method: "POST",
            status: 401,
            duration_ms: 1.5,
            correlation_id: None,
            error: Some("unauthorized"),
            detail: None,
        }
        .to_line();
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["status"], 401);
        assert_eq!(parsed["error"], "unauthorized");
        assert!(parsed.get("detail").is_none());
        assert!(!line.contains('\n'));
    }
}
