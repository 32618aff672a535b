//! `/Groups`: list and filter, get, create, replace, PATCH (members added, removed or
//! replaced without reading a large group back), delete.

use crate::answer::{body, created, list, no_content, not_allowed, respond};
use crate::query::Query;
use crate::Directory;
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
    let group = |row: &Value| render_group(row, directory.base);
    match (request.method.as_str(), id) {
        ("GET", None) => {
            list(
                directory,
                &Query::from_request(request)?,
                ResourceKind::Group,
            )
            .await
        }
        ("GET", Some(id)) => {
            let with_members = Query::from_request(request)?.shows_members();
            let row = directory
                .call(
                    "scim_get_group",
                    json!({ "p_id": id, "p_with_members": with_members }),
                )
                .await?;
            respond(request, ResourceKind::Group, group(&row))
        }
        ("POST", None) => Ok(created(group(
            &save(directory, None, &body(request)?).await?,
        ))),
        ("PUT", Some(id)) => {
            let row = save(directory, Some(id), &body(request)?).await?;
            respond(request, ResourceKind::Group, group(&row))
        }
        ("PATCH", Some(id)) => {
            let changes = group_changes(&operations(&body(request)?)?)?;
            let row = directory
                .call(
                    "scim_patch_group",
                    json!({ "p_id": id, "p_changes": changes }),
                )
                .await?;
            respond(request, ResourceKind::Group, group(&row))
        }
        ("DELETE", Some(id)) => {
            directory
                .call("scim_delete_group", json!({ "p_id": id }))
                .await?;
            Ok(no_content())
        }
        (method, _) => Err(not_allowed(method)),
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
