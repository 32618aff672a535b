//! `/Users`: list and filter, get, create, replace, PATCH, delete.

use crate::query::Query;
use crate::{list_response, Directory};
use onboarding::directory::error::scim_json;
use onboarding::directory::filter;
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
    match (request.method.as_str(), id) {
        ("GET", None) => list(directory, &Query::from_request(request)?).await,
        ("POST", None) => {
            let resource = storable_user(body(request)?)?;
            let row = save(directory, None, resource, None).await?;
            directory.invite_if_asked(&row).await;
            let user = render_user(&row, directory.base);
            let location = user["meta"]["location"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Ok(scim_json(201, &user).with_header("location", location))
        }
        ("GET", Some(id)) => {
            let row = directory
                .call("scim_get_user", json!({ "p_id": id }))
                .await?;
            respond(
                request,
                ResourceKind::User,
                render_user(&row, directory.base),
            )
        }
        ("PUT", Some(id)) => {
            let row = save(directory, Some(id), storable_user(body(request)?)?, None).await?;
            respond(
                request,
                ResourceKind::User,
                render_user(&row, directory.base),
            )
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
                    Ok(row) => {
                        return respond(
                            request,
                            ResourceKind::User,
                            render_user(&row, directory.base),
                        )
                    }
                }
            }
        }
        ("DELETE", Some(id)) => {
            directory
                .call("scim_delete_user", json!({ "p_id": id }))
                .await?;
            Ok(HttpResponse {
                status: 204,
                ..Default::default()
            })
        }
        (method, _) => Err(ScimError::new(
            405,
            None,
            format!("{method} is not allowed here"),
        )),
    }
}

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

pub(crate) async fn list<D: Db, O: Outbound>(
    directory: &Directory<'_, D, O>,
    query: &Query,
) -> Result<HttpResponse, ScimError> {
    let filter = match &query.filter {
        Some(text) => Some(filter::parse(ResourceKind::User, text)?.to_json()),
        None => None,
    };
    let page = directory
        .call(
            "scim_list_users",
            json!({
                "p_filter": filter, "p_start_index": query.start_index, "p_count": query.count,
            }),
        )
        .await?;
    let resources = rows(&page)
        .iter()
        .map(|row| query.project(ResourceKind::User, render_user(row, directory.base)))
        .collect();
    Ok(scim_json(
        200,
        &list_response(
            page["total"].as_u64().unwrap_or(0),
            query.start_index,
            resources,
        ),
    ))
}

pub(crate) fn rows(page: &Value) -> Vec<Value> {
    page["resources"].as_array().cloned().unwrap_or_default()
}

/// One resource, trimmed as the query string asks.
pub(crate) fn respond(
    request: &HttpRequest,
    kind: ResourceKind,
    resource: Value,
) -> Result<HttpResponse, ScimError> {
    Ok(scim_json(
        200,
        &Query::from_request(request)?.project(kind, resource),
    ))
}

/// A request's body as JSON: SCIM's or JSON's media type, within the size limit.
pub(crate) fn body(request: &HttpRequest) -> Result<Value, ScimError> {
    if request.body.len() > platform::http::MAX_BODY_BYTES {
        return Err(ScimError::new(413, None, "the body is too large"));
    }
    let media = request
        .header("content-type")
        .unwrap_or("application/scim+json");
    let media = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/scim+json" && media != "application/json" {
        return Err(ScimError::new(415, None, "send application/scim+json"));
    }
    serde_json::from_slice(&request.body)
        .map_err(|_| ScimError::invalid_syntax("the body is not JSON"))
}
