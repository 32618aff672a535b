//! The core every onboarding edge function shares.
//!
//! Handlers are written once against the plain types here ([`http::HttpRequest`],
//! [`http::HttpResponse`]) and the [`db::Db`] seam, so the very same code runs
//! natively under `cargo test` (against the real local stack) and as WebAssembly
//! inside Deno. Everything that touches the outside world — the HTTP edge, PostgREST,
//! the clock and randomness — sits behind those seams; the rest is pure and unit-tested.

pub mod config;
pub mod db;
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
pub mod function;
pub mod http;
pub mod invite;
pub mod log;
pub mod outbound;
pub mod resend;
pub mod retry;
pub mod runtime;
pub mod secrets;
pub mod signup;
pub mod user_onboarding;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{Config, ConfigError, Env};
pub use db::{Caller, Db, DbError, PostgrestDb};
pub use error::ApiError;
pub use function::{respond, EdgeFunction};
pub use http::{HttpRequest, HttpResponse};
