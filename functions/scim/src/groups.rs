//! `/Groups`: list and filter, get, create, replace, PATCH (members added, removed or
//! replaced without reading a large group back), delete.

use crate::query::Query;
use crate::users::{body, respond, rows};
use crate::{list_response, Directory};
use onboarding::directory::error::scim_json;
use onboarding::directory::filter;
use onboarding::directory::patch::{group_changes, operations};
use onboarding::directory::resource::render_group;
use onboarding::directory::schema::ResourceKind;
use onboarding::directory::ScimError;
use platform::outbound::Outbound;
use platform::{Db, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use uuid::Uuid;

pub(crate) async fn serve<D: Db, O: Outbound>(
    directory: &Directory<'_, D, O>,
    request: &HttpRequest,
    id: Option<Uuid>,
) -> Result<HttpResponse, ScimError> {
    match (request.method.as_str(), id) {
        ("GET", None) => list(directory, &Query::from_request(request)?).await,
        ("GET", Some(id)) => {
            let row = directory
                .call(
                    "scim_get_group",
                    json!({ "p_id": id, "p_with_members": Query::from_request(request)?.shows_members() }),
                )
                .await?;
            respond(
                request,
                ResourceKind::Group,
                render_group(&row, directory.base),
            )
        }
        ("POST", None) => {
            let row = save(directory, None, &body(request)?).await?;
            let group = render_group(&row, directory.base);
            let location = group["meta"]["location"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Ok(scim_json(201, &group).with_header("location", location))
        }
        ("PUT", Some(id)) => {
            let row = save(directory, Some(id), &body(request)?).await?;
            respond(
                request,
                ResourceKind::Group,
                render_group(&row, directory.base),
            )
        }
        ("PATCH", Some(id)) => {
            let changes = group_changes(&operations(&body(request)?)?)?;
            let row = directory
                .call(
                    "scim_patch_group",
                    json!({ "p_id": id, "p_changes": changes }),
                )
                .await?;
            respond(
                request,
                ResourceKind::Group,
                render_group(&row, directory.base),
            )
        }
        ("DELETE", Some(id)) => {
            directory
                .call("scim_delete_group", json!({ "p_id": id }))
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
    group: &Value,
) -> Result<Value, ScimError> {
    let name = group["displayName"]
        .as_str()
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    let external_id = match &group["externalId"] {
        Value::Null => None,
        Value::String(id) => Some(id.clone()),
        _ => return Err(ScimError::invalid_value("externalId is a string")),
    };
    let members = match &group["members"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|m| {
                m["value"]
                    .as_str()
                    .and_then(|v| Uuid::parse_str(v).ok())
                    .ok_or_else(|| {
                        ScimError::invalid_value(
                            "a member's value is the id of a user of this directory",
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(ScimError::invalid_value("members is an array")),
    };
    directory
        .call("scim_save_group", json!({
            "p_id": id, "p_display_name": name, "p_external_id": external_id, "p_members": members,
        }))
        .await
}

pub(crate) async fn list<D: Db, O: Outbound>(
    directory: &Directory<'_, D, O>,
    query: &Query,
) -> Result<HttpResponse, ScimError> {
    let filter = match &query.filter {
        Some(text) => Some(filter::parse(ResourceKind::Group, text)?.to_json()),
        None => None,
    };
    let page = directory
        .call(
            "scim_list_groups",
            json!({
                "p_filter": filter, "p_start_index": query.start_index, "p_count": query.count,
                "p_with_members": query.shows_members(),
            }),
        )
        .await?;
    let resources = rows(&page)
        .iter()
        .map(|row| query.project(ResourceKind::Group, render_group(row, directory.base)))
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
