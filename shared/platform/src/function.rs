//! What an edge function is to the rest of the system: a name, a constructor from the
//! environment, and a request handler. Native tests and the Deno bridge both drive
//! functions through this trait, so they exercise the same code path.

use crate::config::{ConfigError, Env};
use crate::error::ApiError;
use crate::http::{HttpRequest, HttpResponse};

#[allow(async_fn_in_trait)] // deliberately without Send: wasm32 futures are !Send
pub trait EdgeFunction: Sized + 'static {
    /// The function's name as deployed (`/functions/v1/<NAME>`), used in log lines.
    const NAME: &'static str;

    /// Whether browsers call it directly (`fetch` from the app): then preflight
    /// `OPTIONS` requests are answered and responses carry CORS headers. Callers
    /// authenticate with bearer tokens, never cookies, so any origin may be allowed.
    const CORS: bool = false;

    /// Reads and validates the configuration once, at start.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError>;
}

/// The headers supabase-js sends, as Supabase's own CORS example allows them.
const CORS_HEADERS: [(&str, &str); 4] = [
    ("access-control-allow-origin", "*"),
    (
        "access-control-allow-headers",
        "authorization, x-client-info, apikey, content-type, x-request-id",
    ),
    ("access-control-allow-methods", "GET, POST, OPTIONS"),
    ("access-control-expose-headers", "x-request-id"),
];

/// Runs a handler and renders any error as the documented JSON error response.
pub async fn respond<F: EdgeFunction>(function: &F, request: &HttpRequest) -> HttpResponse {
    if F::CORS && request.method == "OPTIONS" {
        let preflight = HttpResponse {
            status: 204,
            ..Default::default()
        };
        return with_cors(preflight.with_header("access-control-max-age", "86400"));
    }
    let response = match function.handle(request).await {
        Ok(response) => response,
        Err(error) => HttpResponse::error(&error),
    };
    finish::<F>(response)
}

/// An error met before the handler could run (an unreadable request, an instance that
/// was never configured), rendered as the handler's own errors are: with CORS headers
/// when browsers call the function, so the page can read it.
pub fn respond_error<F: EdgeFunction>(error: ApiError) -> HttpResponse {
    finish::<F>(HttpResponse::error(&error))
}

fn finish<F: EdgeFunction>(response: HttpResponse) -> HttpResponse {
    if F::CORS {
        with_cors(response)
    } else {
        response
    }
}

fn with_cors(response: HttpResponse) -> HttpResponse {
    CORS_HEADERS
        .iter()
        .fold(response, |response, (name, value)| {
            response.with_header(name, *value)
        })
}
