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

#[cfg(test)]
mod tests {
    use super::*;

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
