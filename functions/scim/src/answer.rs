//! The shapes of an answer every route shares: a created resource with its `Location`, a
//! resource trimmed as asked, a page of a list, no content, a method not allowed, and a
//! request body read as SCIM JSON.

use crate::query::Query;
use crate::{list_response, Directory};
use onboarding::directory::error::scim_json;
use onboarding::directory::filter;
use onboarding::directory::resource::{render_group, render_user};
use onboarding::directory::schema::ResourceKind;
use onboarding::directory::ScimError;
use platform::outbound::Outbound;
use platform::{Db, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// 201 with the resource and its `Location`.
pub(crate) fn created(resource: Value) -> HttpResponse {
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    scim_json(201, &resource).with_header("location", location)
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

pub(crate) fn no_content() -> HttpResponse {
    HttpResponse {
        status: 204,
        ..Default::default()
    }
}

pub(crate) fn not_allowed(method: &str) -> ScimError {
    ScimError::new(405, None, format!("{method} is not allowed here"))
}

/// A page of users or groups matching the query's filter, rendered and trimmed.
pub(crate) async fn list<D: Db, O: Outbound>(
    directory: &Directory<'_, D, O>,
    query: &Query,
    kind: ResourceKind,
) -> Result<HttpResponse, ScimError> {
    let filter = match &query.filter {
        Some(text) => Some(filter::parse(kind, text)?.to_json()),
        None => None,
    };
    let mut args =
        json!({ "p_filter": filter, "p_start_index": query.start_index, "p_count": query.count });
    let (function, render): (&str, fn(&Value, &str) -> Value) = match kind {
        ResourceKind::User => ("scim_list_users", render_user),
        ResourceKind::Group => {
            args["p_with_members"] = json!(query.shows_members());
            ("scim_list_groups", render_group)
        }
    };
    let page = directory.call(function, args).await?;
    let resources = page["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| query.project(kind, render(row, directory.base)))
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
