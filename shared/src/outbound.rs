//! The seam for calls to third-party HTTP APIs (Resend, Make): one request, one
//! answer, a deadline. Retrying is the caller's decision (see [`crate::retry`]).

use crate::runtime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    /// The raw `Retry-After` header, when the service sent one.
    pub retry_after: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("no answer within the deadline")]
    Timeout,
    #[error("unreachable: {0}")]
    Unreachable(String),
}

#[allow(async_fn_in_trait)] // deliberately without Send: wasm32 futures are !Send
pub trait Outbound {
    async fn post(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError>;
}

/// [`Outbound`] over reqwest: the global `fetch` in Deno, hyper natively.
#[derive(Default)]
pub struct ReqwestOutbound {
    client: reqwest::Client,
}

impl Outbound for ReqwestOutbound {
    async fn post(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        let mut builder = self.client.post(&request.url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.timeout(std::time::Duration::from_millis(timeout_ms));
        let call = async {
            let response = builder
                .send()
                .await
                .map_err(|err| OutboundError::Unreachable(err.to_string()))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let body = response
                .text()
                .await
                .map_err(|err| OutboundError::Unreachable(err.to_string()))?;
            Ok(OutboundResponse {
                status,
                retry_after,
                body,
            })
        };
        runtime::with_deadline(timeout_ms, call)
            .await
            .unwrap_or(Err(OutboundError::Timeout))
    }
}
