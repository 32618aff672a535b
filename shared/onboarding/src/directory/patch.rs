//! PATCH (RFC 7644 §3.5.2): a user's operations applied here to the user as stored, then
//! saved whole (with the version read, so a concurrent change is not lost); a group's
//! reduced to member additions, removals and replacements the database applies without
//! reading a large group back.
//!
//! Accepted as identity providers send them: `op` in any case (`"Replace"`), an operation
//! without `path` whose value is an object of attributes (Entra, Okta), a value filter
//! with a sub-attribute after it (`emails[type eq "work"].value`), which adds the element
//! when none matches.

use super::error::ScimError;
use super::filter::{parse_path, Filter, Op, PatchPath};
use super::resource::object_at;
use super::schema::{extension_urn, Kind, Mutability, ResourceKind, PATCH_SCHEMA};
use serde_json::{json, Map, Value};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub kind: PatchKind,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// Reads a PatchOp body: `Operations`, each with an `op` (any case), maybe `path` and `value`.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    if let Some(schemas) = body.get("schemas").and_then(Value::as_array) {
        if !schemas.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA)) {
            return Err(ScimError::invalid_syntax(format!(
                "a PATCH body has the schema {PATCH_SCHEMA}"
            )));
        }
    }
    let list = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
        .ok_or_else(|| ScimError::invalid_syntax("Operations: a non-empty array"))?;
    list.iter()
        .map(|op| {
            let kind = match op["op"].as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("add") => PatchKind::Add,
                Some("replace") => PatchKind::Replace,
                Some("remove") => PatchKind::Remove,
                _ => return Err(ScimError::invalid_syntax("op: add, replace or remove")),
            };
            let path = match &op["path"] {
                Value::Null => None,
                Value::String(p) if p.trim().is_empty() => None,
                Value::String(p) => Some(p.trim().to_owned()),
                _ => return Err(ScimError::invalid_path("path is a string")),
            };
            let value = op.get("value").filter(|v| !v.is_null()).cloned();
            if kind != PatchKind::Remove && value.is_none() {
                return Err(ScimError::invalid_value("add and replace need a value"));
            }
            Ok(Operation { kind, path, value })
        })
        .collect()
}

/// Applies the operations to a stored user (an object).
pub fn apply_to_user(user: &mut Value, operations: &[Operation]) -> Result<(), ScimError> {
    let object = user
        .as_object_mut()
        .ok_or_else(|| ScimError::invalid_value("the user is not an object"))?;
    for operation in operations {
        match (&operation.path, &operation.value) {
            (None, None) => return Err(ScimError::no_target("remove needs a path")),
            (None, Some(Value::Object(fields))) => {
                if operation.kind == PatchKind::Remove {
                    return Err(ScimError::no_target("remove needs a path"));
                }
                for (name, value) in fields {
                    if let Some(urn) = extension_urn(ResourceKind::User, name) {
                        let Value::Object(inner) = value else {
                            return Err(ScimError::invalid_value(format!("{urn} is an object")));
                        };
                        for (inner_name, inner_value) in inner {
                            let path =
                                parse_path(ResourceKind::User, &format!("{urn}:{inner_name}"))?;
                            apply_at(object, operation.kind, &path, Some(inner_value.clone()))?;
                        }
                    } else {
                        let path = parse_path(ResourceKind::User, name)?;
                        apply_at(object, operation.kind, &path, Some(value.clone()))?;
                    }
                }
            }
            (None, Some(_)) => {
                return Err(ScimError::invalid_value(
                    "without a path, the value is an object",
                ))
            }
            (Some(path), value) => {
                if let Some(urn) = extension_urn(ResourceKind::User, path) {
                    apply_to_extension(object, urn, operation.kind, value.clone())?;
                    continue;
                }
                let path = parse_path(ResourceKind::User, path)?;
                apply_at(object, operation.kind, &path, value.clone())?;
            }
        }
    }
    Ok(())
}

/// A path naming an extension itself (`urn:…:enterprise:2.0:User`): its attributes as one
/// object, or all of them removed.
fn apply_to_extension(
    user: &mut Map<String, Value>,
    urn: &str,
    kind: PatchKind,
    value: Option<Value>,
) -> Result<(), ScimError> {
    match (kind, value) {
        (PatchKind::Remove, _) => {
            user.remove(urn);
        }
        (_, Some(Value::Object(fields))) => {
            if kind == PatchKind::Replace {
                user.remove(urn);
            }
            for (name, value) in fields.into_iter().filter(|(name, _)| name != "schemas") {
                let path = parse_path(ResourceKind::User, &format!("{urn}:{name}"))?;
                apply_at(user, kind, &path, Some(value))?;
            }
        }
        _ => return Err(ScimError::invalid_value(format!("{urn} is an object"))),
    }
    Ok(())
}

fn apply_at(
    user: &mut Map<String, Value>,
    kind: PatchKind,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let read_only = path.attr.mutability == Mutability::ReadOnly
        || path
            .sub
            .is_some_and(|sub| sub.mutability == Mutability::ReadOnly);
    if read_only {
        if path.keys == ["id"] || path.keys == ["meta"] || path.keys == ["groups"] {
            return Err(ScimError::mutability(format!(
                "{} is read-only",
                path.keys.join(".")
            )));
        }
        return Ok(());
    }
    if kind == PatchKind::Remove && path.keys == ["userName"] {
        return Err(ScimError::invalid_value("userName is required"));
    }
    let (last, parents) = path
        .keys
        .split_last()
        .ok_or_else(|| ScimError::invalid_path("empty path"))?;
    let target = object_at(user, parents)?;
    if path.attr.multi {
        return apply_multi(target, last, kind, path, value);
    }
    match (kind, value) {
        (PatchKind::Remove, _) => {
            target.remove(last);
        }
        (_, Some(Value::Object(fields))) if path.attr.kind == Kind::Complex => {
            let entry = target.entry(last.clone()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            if let Value::Object(existing) = entry {
                existing.extend(fields);
            }
        }
        // Entra sends the enterprise `manager` as the manager's id alone: its `value`.
        (_, Some(value))
            if path.attr.kind == Kind::Complex
                && path.attr.sub.iter().any(|s| s.name == "value") =>
        {
            target.insert(last.clone(), json!({ "value": value }));
        }
        (_, Some(value)) => {
            target.insert(last.clone(), value);
        }
        (_, None) => return Err(ScimError::invalid_value("add and replace need a value")),
    }
    Ok(())
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => vec![other],
    }
}

fn apply_multi(
    target: &mut Map<String, Value>,
    key: &str,
    kind: PatchKind,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let mut items = match target.remove(key) {
        Some(Value::Array(items)) => items,
        Some(other) if !other.is_null() => vec![other],
        _ => Vec::new(),
    };
    let selected: Vec<usize> = match &path.filter {
        Some(filter) => (0..items.len())
            .filter(|i| filter.matches(&items[*i]))
            .collect(),
        None => (0..items.len()).collect(),
    };
    match (kind, &path.filter, path.sub, value) {
        (PatchKind::Remove, None, None, Some(values)) => {
            let gone = as_list(values);
            items.retain(|item| {
                !gone.iter().any(|g| {
                    g == item || (g.get("value").is_some() && g.get("value") == item.get("value"))
                })
            });
        }
        (PatchKind::Remove, None, None, None) => items.clear(),
        (PatchKind::Remove, Some(_), None, _) => {
            let mut index = 0;
            items.retain(|_| {
                let keep = !selected.contains(&index);
                index += 1;
                keep
            });
        }
        (PatchKind::Remove, _, Some(sub), _) => {
            for i in &selected {
                if let Some(item) = items[*i].as_object_mut() {
                    item.remove(sub.name);
                }
            }
        }
        (PatchKind::Add, None, None, Some(values)) => {
            for value in as_list(values) {
                if !items.contains(&value) {
                    items.push(value);
                }
            }
        }
        (PatchKind::Replace, None, None, Some(values)) => items = as_list(values),
        (_, filter, sub, Some(value)) => {
            if selected.is_empty() {
                // Entra replaces `emails[type eq "work"].value` on a user with no work email:
                // the element is made from the filter's equalities.
                let made = filter.as_ref().and_then(element_from).ok_or_else(|| {
                    ScimError::no_target(format!("no {key} matches the path's filter"))
                })?;
                items.push(made);
                let index = items.len() - 1;
                set_element(&mut items[index], sub.map(|s| s.name), value, kind);
            } else {
                for i in selected {
                    set_element(&mut items[i], sub.map(|s| s.name), value.clone(), kind);
                }
            }
        }
        (_, _, _, None) => return Err(ScimError::invalid_value("add and replace need a value")),
    }
    if !items.is_empty() {
        target.insert(key.to_owned(), Value::Array(items));
    }
    Ok(())
}

fn set_element(item: &mut Value, sub: Option<&str>, value: Value, kind: PatchKind) {
    match (sub, value) {
        (Some(sub), value) => {
            if !item.is_object() {
                *item = json!({});
            }
            if let Some(o) = item.as_object_mut() {
                o.insert(sub.to_owned(), value);
            }
        }
        (None, Value::Object(fields)) if kind == PatchKind::Add => {
            if let Some(o) = item.as_object_mut() {
                o.extend(fields);
            }
        }
        (None, value) => *item = value,
    }
}

/// `type eq "work"` (and such equalities joined by `and`) as the element it describes.
fn element_from(filter: &Filter) -> Option<Value> {
    match filter {
        Filter::Compare {
            keys,
            op: Op::Eq,
            value,
            ..
        } if keys.len() == 1 => Some(json!({ keys[0].clone(): value })),
        Filter::And(l, r) => {
            let (Value::Object(mut a), Value::Object(b)) = (element_from(l)?, element_from(r)?)
            else {
                return None;
            };
            a.extend(b);
            Some(Value::Object(a))
        }
        _ => None,
    }
}

// ---- Groups ---------------------------------------------------------------------------

/// A group's PATCH as the changes `scim_patch_group` applies.
pub fn group_changes(operations: &[Operation]) -> Result<Vec<Value>, ScimError> {
    let mut changes = Vec::new();
    for operation in operations {
        match (&operation.path, &operation.value) {
            (None, Some(Value::Object(fields))) if operation.kind != PatchKind::Remove => {
                for (name, value) in fields {
                    group_change(&mut changes, operation.kind, name, Some(value))?;
                }
            }
            (None, _) => return Err(ScimError::no_target("a group change names what it changes")),
            (Some(path), value) => {
                group_change(&mut changes, operation.kind, path, value.as_ref())?
            }
        }
    }
    Ok(changes)
}

fn member_ids(value: Option<&Value>) -> Result<Vec<String>, ScimError> {
    let items = match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    };
    items
        .iter()
        .map(|item| {
            let id = item
                .get("value")
                .and_then(Value::as_str)
                .or_else(|| item.as_str())
                .unwrap_or_default();
            Uuid::parse_str(id).map(|id| id.to_string()).map_err(|_| {
                ScimError::invalid_value("a member's value is the id of a user of this directory")
            })
        })
        .collect()
}

fn group_change(
    changes: &mut Vec<Value>,
    kind: PatchKind,
    path: &str,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if path.eq_ignore_ascii_case("id") {
        return Ok(()); // Entra repeats the id in a replace without path
    }
    let parsed = parse_path(ResourceKind::Group, path)?;
    let op = match kind {
        PatchKind::Add => "add",
        PatchKind::Replace => "replace",
        PatchKind::Remove => "remove",
    };
    match parsed.keys.first().map(String::as_str) {
        Some("members") => {
            if let Some(filter) = &parsed.filter {
                // `members[value eq "id"]`: the ids the filter names.
                let ids = filter_ids(filter)
                    .ok_or_else(|| ScimError::invalid_path("select members by value eq"))?;
                if kind != PatchKind::Remove {
                    return Err(ScimError::invalid_path("members[…] is for remove"));
                }
                changes.push(json!({ "op": "remove", "members": member_ids(Some(&json!(ids)))? }));
            } else if kind == PatchKind::Remove && value.is_none() {
                changes.push(json!({ "op": "replace", "members": [] }));
            } else {
                changes.push(json!({ "op": op, "members": member_ids(value)? }));
            }
        }
        Some("displayName") => match (kind, value) {
            (PatchKind::Remove, _) => {
                return Err(ScimError::invalid_value("displayName is required"))
            }
            (_, Some(Value::String(name))) => changes.push(json!({ "displayName": name })),
            _ => return Err(ScimError::invalid_value("displayName is a string")),
        },
        Some("externalId") => match (kind, value) {
            (PatchKind::Remove, _) => changes.push(json!({ "externalId": null })),
            (_, Some(Value::String(id))) => changes.push(json!({ "externalId": id })),
            _ => return Err(ScimError::invalid_value("externalId is a string")),
        },
        _ => return Err(ScimError::mutability(format!("{path} cannot be changed"))),
    }
    Ok(())
}

fn filter_ids(filter: &Filter) -> Option<Vec<Value>> {
    match filter {
        Filter::Compare {
            keys,
            op: Op::Eq,
            value,
            ..
        } if keys == &["value"] => Some(vec![value.clone()]),
        Filter::Or(l, r) => Some([filter_ids(l)?, filter_ids(r)?].concat()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::schema::ENTERPRISE_SCHEMA;

    fn patch(user: Value, ops: Value) -> Result<Value, ScimError> {
        let mut user = user;
        let ops = operations(&json!({ "schemas": [PATCH_SCHEMA], "Operations": ops }))?;
        apply_to_user(&mut user, &ops)?;
        Ok(user)
    }

    #[test]
    fn entra_and_okta_shapes_apply() {
        let user = json!({"userName": "a@x.io", "active": true,
                          "emails": [{"type": "work", "value": "a@x.io", "primary": true}]});
        let out = patch(
            user.clone(),
            json!([{"op": "Replace", "value": {"active": "False"}}]),
        )
        .unwrap();
        assert_eq!(out["active"], "False"); // read as false when stored (storable_user)
        let out = patch(user.clone(), json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.io"},
            {"op": "add", "path": "name.givenName", "value": "Bee"},
            {"op": "replace", "path": format!("{ENTERPRISE_SCHEMA}:department"), "value": "Ops"},
        ])).unwrap();
        assert_eq!(out["emails"][0]["value"], "b@x.io");
        assert_eq!(out["name"]["givenName"], "Bee");
        assert_eq!(out[ENTERPRISE_SCHEMA]["department"], "Ops");
        let manager = patch(
            user.clone(),
            json!([{"op": "Add", "path": format!("{ENTERPRISE_SCHEMA}:manager"), "value": "ab12"}]),
        )
        .unwrap();
        assert_eq!(
            manager[ENTERPRISE_SCHEMA]["manager"],
            json!({"value": "ab12"})
        );
        // No work phone yet: Entra's replace makes it.
        let out = patch(
            user.clone(),
            json!([
            {"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555"}]),
        )
        .unwrap();
        assert_eq!(
            out["phoneNumbers"],
            json!([{"type": "work", "value": "+1 555"}])
        );
        let out = patch(
            user.clone(),
            json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
        )
        .unwrap();
        assert!(out.get("emails").is_none());
        let out = patch(
            user,
            json!([{"op": "add", "value": {"name.familyName": "Jensen", "displayName": "B J"}}]),
        )
        .unwrap();
        assert_eq!(out["name"]["familyName"], "Jensen");
    }

    #[test]
    fn refusals_name_the_rfc_error() {
        let user = json!({"userName": "a"});
        let kind = |ops: Value| patch(user.clone(), ops).unwrap_err().scim_type;
        assert_eq!(kind(json!([{"op": "remove"}])), Some("noTarget"));
        assert_eq!(
            kind(json!([{"op": "replace", "path": "id", "value": "x"}])),
            Some("mutability")
        );
        assert_eq!(
            kind(json!([{"op": "replace", "path": "shoeSize", "value": 1}])),
            Some("invalidPath")
        );
        assert_eq!(
            kind(json!([{"op": "frobnicate", "path": "title", "value": 1}])),
            Some("invalidSyntax")
        );
        assert_eq!(
            kind(json!([{"op": "remove", "path": "userName"}])),
            Some("invalidValue")
        );
        assert_eq!(
            kind(
                json!([{"op": "replace", "path": "emails[type eq \"work\" or type eq \"home\"].value", "value": "x"}])
            ),
            Some("noTarget")
        );
    }

    #[test]
    fn group_patches_become_member_changes() {
        let id = Uuid::new_v4().to_string();
        let ops = operations(&json!({"Operations": [
            {"op": "Add", "path": "members", "value": [{"value": id}]},
            {"op": "Remove", "path": format!("members[value eq \"{id}\"]")},
            {"op": "Replace", "value": {"id": "x", "displayName": "Leads"}},
            {"op": "remove", "path": "members"},
        ]}))
        .unwrap();
        assert_eq!(
            group_changes(&ops).unwrap(),
            vec![
                json!({"op": "add", "members": [id]}),
                json!({"op": "remove", "members": [id]}),
                json!({"displayName": "Leads"}),
                json!({"op": "replace", "members": []}),
            ]
        );
        let bad = operations(&json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": "nope"}]}]})).unwrap();
        assert_eq!(
            group_changes(&bad).unwrap_err().scim_type,
            Some("invalidValue")
        );
    }
}
