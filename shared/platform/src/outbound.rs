//! The seam for calls to third-party HTTP APIs (Resend, Make, webhook endpoints, a
//! DNS-over-HTTPS resolver): one request, one answer, a deadline. Retrying is the caller's decision (see [`crate::retry`]).

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

    /// A GET of `request.url` with its headers (the body is not sent).
    async fn get(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError>;
}

/// [`Outbound`] over the platform: reqwest natively, the global `fetch` in Deno.
#[derive(Default)]
pub struct HttpOutbound {
    #[cfg(not(target_arch = "wasm32"))]
    client: reqwest::Client,
}

impl Outbound for HttpOutbound {
    async fn post(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        self.send("POST", request, timeout_ms).await
    }

    async fn get(
        &self,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        self.send("GET", request, timeout_ms).await
    }
}

impl HttpOutbound {
    #[cfg(not(target_arch = "wasm32"))]
    async fn send(
        &self,
        method: &str,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        let mut builder = if method == "GET" {
            self.client.get(&request.url)
        } else {
            self.client.post(&request.url).body(request.body.clone())
        }
        .timeout(std::time::Duration::from_millis(timeout_ms));
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let call = async {
            let response = builder.send().await.map_err(|err| {
                if err.is_timeout() {
                    OutboundError::Timeout
                } else {
                    OutboundError::Unreachable(err.to_string())
                }
            })?;
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
        crate::runtime::with_deadline(timeout_ms, call)
            .await
            .unwrap_or(Err(OutboundError::Timeout))
    }

    #[cfg(target_arch = "wasm32")]
    async fn send(
        &self,
        method: &str,
        request: &OutboundRequest,
        timeout_ms: u64,
    ) -> Result<OutboundResponse, OutboundError> {
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let body = (method != "GET").then_some(request.body.as_str());
        match crate::fetch::fetch(method, &request.url, &headers, body, timeout_ms).await {
            Ok(response) => Ok(OutboundResponse {
                status: response.status,
                retry_after: response.retry_after,
                body: response.body,
            }),
            Err(crate::fetch::FetchError::Timeout) => Err(OutboundError::Timeout),
            Err(crate::fetch::FetchError::Failed(reason)) => {
                Err(OutboundError::Unreachable(reason))
            }
        }
    }
}
