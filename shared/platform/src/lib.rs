//! The platform under the edge functions. It knows nothing of onboarding.
//!
//! Handlers are written once against the plain types here ([`http::HttpRequest`],
//! [`http::HttpResponse`]) and two seams — [`db::Db`] (PostgREST RPC) and
//! [`outbound::Outbound`] (third-party HTTP APIs) — so the very same code runs natively
//! under `cargo test` and as WebAssembly inside Deno ([`wasm`], with its export macro).
//! Around them: the one error type and its HTTP mapping ([`error`]), configuration read
//! once ([`config`]), reading and validating a request ([`request`]), the clock and
//! randomness ([`runtime`]), retry and backoff ([`retry`]), secrets ([`secrets`]),
//! webhook signatures ([`signing`]), the request log line ([`log`]). With the `testing`
//! feature, [`testing`] has scripted fakes of both seams.

pub mod config;
pub mod db;
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
pub mod function;
pub mod http;
pub mod log;
pub mod outbound;
pub mod request;
pub mod retry;
pub mod runtime;
pub mod secrets;
pub mod signing;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod values;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{Config, ConfigError, Env};
pub use db::{Caller, Db, DbError, PostgrestDb};
pub use error::ApiError;
pub use function::{respond, EdgeFunction};
pub use http::{HttpRequest, HttpResponse};
