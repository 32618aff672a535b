//! Client provisioning: one command per new client creates its own Supabase project
//! through the Management API, installs this product's schema (and optionally an
//! application template) with row-level security verified before anything is committed,
//! deploys the functions, sets their secrets, and creates the client's first organization
//! with its owner's invite: a working project handed over.
//!
//! Every step is idempotent and the run is resumable: the project is found by name
//! before it is created, migrations are recorded where the Supabase CLI records them,
//! and function secrets already set are left alone.

pub mod api;
pub mod database;
pub mod functions;
pub mod organization;
pub mod output;

mod failure;
mod job;
mod provisioner;
mod region;
mod secrets_file;
mod settings;

pub use failure::Failure;
pub use job::{template_path, Job, Outcome, Step};
pub use provisioner::project::{
    FAILED_STATUSES, MAX_CREATE_AMBIGUOUS, MAX_CREATE_RATE_LIMITED, MAX_RETRY_AFTER_MS,
};
pub use provisioner::Provisioner;
pub use region::{RegionChoice, CLIENT_CONTINENT, FALLBACK_REGION_GROUP, REGIONS, REGION_GROUPS};
pub use secrets_file::generate_password;
pub use settings::{OrganizationRef, Settings, GENERATED_SECRETS, PASSTHROUGH_SECRETS};
