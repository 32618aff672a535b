//! export-organization: everything an organization holds, as one JSON document (GDPR
//! art. 20), for a member holding `org:audit:read` and `org:settings:manage`.
//!
//! `POST {"organization_id": …}` with the user's JWT. The first page (the organization
//! itself) is fetched before answering, so a refusal is a proper error response; then the
//! answer is streamed: each section's pages are fetched as the caller reads, so an
//! organization with tens of thousands of rows never sits in the function's memory.

use onboarding::export::{self, ExportWriter};
use platform::request::{check_json_body, require_method, Fields};
use platform::{
    ApiError, Config, ConfigError, Db, EdgeFunction, Env, HttpRequest, HttpResponse, PostgrestDb,
};
use std::rc::Rc;

pub struct ExportOrganization<D> {
    db: Rc<D>,
}

impl<D: Db + 'static> ExportOrganization<D> {
    pub fn new(db: D) -> Self {
        ExportOrganization { db: Rc::new(db) }
    }

    async fn export(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        require_method(request, "POST")?;
        let jwt = request
            .bearer_jwt()
            .ok_or(ApiError::Unauthorized)?
            .to_owned();
        check_json_body(request)?;
        let organization_id = Fields::from_body(&request.body)?.only_uuid("organization_id")?;
        let first = export::page(
            self.db.as_ref(),
            &jwt,
            organization_id,
            "organization",
            None,
        )
        .await?;
        let writer = ExportWriter::new(self.db.clone(), jwt, organization_id, first)?;
        Ok(
            HttpResponse::streamed(200, "application/json", writer).with_header(
                "content-disposition",
                format!("attachment; filename=\"organization-{organization_id}.json\""),
            ),
        )
    }
}

impl EdgeFunction for ExportOrganization<PostgrestDb> {
    const NAME: &'static str = "export-organization";
    const CORS: bool = true;

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(ExportOrganization::new(PostgrestDb::new(
            &Config::from_env(env)?,
        )))
    }

    async fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.export(request).await
    }
}

#[cfg(target_arch = "wasm32")]
platform::export_to_deno!(crate::ExportOrganization<platform::PostgrestDb>);
