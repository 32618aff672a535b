//! How a run can end; each way has its own exit code.

use crate::api::ApiError;
use crate::database;

/// How a run can end; each has its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("configuration: {0}")]
    Config(String),
    #[error("Management API: {0}")]
    Api(String),
    #[error("verification: {0}")]
    Verification(String),
    #[error("database: {0}")]
    Database(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Config(_) => 2,
            Failure::Api(_) => 3,
            Failure::Verification(_) => 4,
            Failure::Database(_) => 5,
        }
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Failure::Api(err.to_string())
    }
}

impl From<database::DbStepError> for Failure {
    fn from(err: database::DbStepError) -> Self {
        match err {
            database::DbStepError::RlsMissing(_) => Failure::Verification(err.to_string()),
            other => Failure::Database(other.to_string()),
        }
    }
}
