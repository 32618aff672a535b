//! `/Users`: list and filter, get, create, replace, PATCH, delete.

use crate::answer::{body, created, list, no_content, not_allowed, respond};
use crate::query::Query;
use crate::Directory;
use onboarding::directory::patch::{apply_to_user, operations};
use onboarding::directory::resource::{linking_email, render_user, storable_user};
use onboarding::directory::schema::ResourceKind;
use onboarding::directory::ScimError;
use platform::outbound::Outbound;
use platform::{Db, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use uuid::Uuid;

/// How often a PATCH is tried again when the user changed between its read and its write.
const PATCH_ATTEMPTS: usize = 3;

pub(crate) async fn serve<D: Db, O: Outbound>(
    directory: &Directory<'_, D, O>,
    request: &HttpRequest,
    id: Option<Uuid>,
) -> Result<HttpResponse, ScimError> {
    let user = |row: &Value| render_user(row, directory.base);
    match (request.method.as_str(), id) {
        ("GET", None) => {
            list(
                directory,
                &Query::from_request(request)?,
                ResourceKind::User,
            )
            .await
        }
        ("POST", None) => {
            let row = save(directory, None, storable_user(body(request)?)?, None).await?;
            directory.invite_if_asked(&row).await;
            Ok(created(user(&row)))
        }
        ("GET", Some(id)) => {
            let row = directory
                .call("scim_get_user", json!({ "p_id": id }))
                .await?;
            respond(request, ResourceKind::User, user(&row))
        }
        ("PUT", Some(id)) => {
            let row = save(directory, Some(id), storable_user(body(request)?)?, None).await?;
            respond(request, ResourceKind::User, user(&row))
        }
        ("PATCH", Some(id)) => {
            let operations = operations(&body(request)?)?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let row = directory
                    .call("scim_get_user", json!({ "p_id": id }))
                    .await?;
                let mut resource = row["resource"].clone();
                apply_to_user(&mut resource, &operations)?;
                let version = row["version"].as_i64();
                match save(directory, Some(id), storable_user(resource)?, version).await {
                    Err(error) if error.status == 412 && attempt < PATCH_ATTEMPTS => continue,
                    Err(error) => return Err(error),
                    Ok(row) => return respond(request, ResourceKind::User, user(&row)),
                }
            }
        }
        ("DELETE", Some(id)) => {
            directory
                .call("scim_delete_user", json!({ "p_id": id }))
                .await?;
            Ok(no_content())
        }
        (method, _) => Err(not_allowed(method)),
    }
}

/// Creates (no id) or replaces a user, linked by the address [`linking_email`] finds;
/// `version`, when given, is the one the change was made on.
async fn save<D: Db, O: Outbound>(
    directory: &Directory<'_, D, O>,
    id: Option<Uuid>,
    resource: Value,
    version: Option<i64>,
) -> Result<Value, ScimError> {
    let email = linking_email(&resource);
    directory
        .call(
            "scim_save_user",
            json!({
                "p_id": id, "p_resource": resource, "p_email": email, "p_expected_version": version,
            }),
        )
        .await
}
