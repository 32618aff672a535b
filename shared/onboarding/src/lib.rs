//! The onboarding domain, by capability, on top of the [`platform`] crate:
//!
//! - [`signup`] — a new `auth.users` row becomes a profile, an organization and its
//!   owner's membership (the naming rules the SQL reconcile job repeats);
//! - [`invites`] — invite tokens, links, the invite email, and the invite RPCs' errors;
//! - [`email`] — sending through Resend's API, with its retry rules;
//! - [`tenant_users`] — a tenant's complainants and executors onboarded over Telegram
//!   through a Make scenario: the request and callback contracts, delivery to Make;
//! - [`webhooks`] — organizations' events delivered to their own endpoints, signed as
//!   Standard Webhooks specifies, in order, one batch per leased endpoint;
//! - [`export`] — an organization's data as one JSON document, written page by page
//!   while it is sent.
//!
//! Nothing here does I/O except through the platform's seams (`Db`, `Outbound`), so every
//! rule is unit-tested natively and runs unchanged as WebAssembly.

pub mod directory;
pub mod email;
pub mod export;
pub mod invites;
pub mod raised;
pub mod signup;
pub mod tenant_users;
pub mod webhooks;
