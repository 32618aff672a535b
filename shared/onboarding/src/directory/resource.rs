//! Resources in and out: a user as the identity provider sent it, made storable (read-only
//! attributes dropped, names in their canonical case, IdPs' `"False"` read as false), the
//! address it is linked by, and users and groups rendered with `schemas`, `id` and `meta`
//! and trimmed to `attributes` / `excludedAttributes`.

use super::error::ScimError;
use super::schema::{
    extension_urn, resolve, Mutability, ResourceKind, ENTERPRISE_SCHEMA, USER_SCHEMA,
};
use platform::values::EmailAddress;
use serde_json::{json, Map, Value};

/// A user body (POST, PUT, or the result of a PATCH) as the database keeps it.
pub fn storable_user(body: Value) -> Result<Value, ScimError> {
    let Value::Object(fields) = body else {
        return Err(ScimError::invalid_syntax("a user is a JSON object"));
    };
    let mut stored = Map::new();
    for (key, value) in fields {
        if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("password") {
            continue; // schemas are rendered; a password is never kept
        }
        if let Some(urn) = extension_urn(ResourceKind::User, &key) {
            let Value::Object(inner) = value else {
                return Err(ScimError::invalid_value(format!("{urn} is an object")));
            };
            for (name, inner_value) in inner.into_iter().filter(|(name, _)| name != "schemas") {
                put_attribute(&mut stored, &format!("{urn}:{name}"), inner_value)?;
            }
            continue;
        }
        put_attribute(&mut stored, &key, value)?;
    }
    if let Some(active) = stored.get("active") {
        stored.insert("active".into(), Value::Bool(boolean(active)?));
    }
    match stored.get("userName") {
        Some(Value::String(name)) if !name.trim().is_empty() => {}
        _ => return Err(ScimError::invalid_value("userName is required")),
    }
    Ok(Value::Object(stored))
}

/// Stores one attribute under its canonical keys; read-only ones are dropped, unknown
/// ones kept as sent (the directory keeps what the provider sent).
fn put_attribute(
    stored: &mut Map<String, Value>,
    name: &str,
    value: Value,
) -> Result<(), ScimError> {
    let Some(resolved) = resolve(ResourceKind::User, name) else {
        stored.insert(name.to_owned(), value);
        return Ok(());
    };
    if resolved.attr.mutability == Mutability::ReadOnly || resolved.sub.is_some() {
        return Ok(());
    }
    let (last, parents) = resolved
        .keys
        .split_last()
        .ok_or_else(|| ScimError::invalid_path(name.to_owned()))?;
    let target = object_at(stored, parents)?;
    target.insert(last.clone(), value);
    Ok(())
}

/// The object at `keys` inside `root`, made (or made an object) where it is not one yet:
/// where a nested attribute (`name.givenName`, an extension's) is written.
pub(super) fn object_at<'a>(
    root: &'a mut Map<String, Value>,
    keys: &[String],
) -> Result<&'a mut Map<String, Value>, ScimError> {
    let mut target = root;
    for key in keys {
        let entry = target.entry(key.clone()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        target = entry
            .as_object_mut()
            .ok_or_else(|| ScimError::invalid_path(key.clone()))?;
    }
    Ok(target)
}

/// `active` as providers send it: a boolean, or Entra's `"True"` / `"False"`.
pub fn boolean(value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value("active is true or false")),
    }
}

/// The address a directory user is linked to an account by: the work email, else the
/// primary one, else the first, else the userName when it is an address. Lower-cased:
/// `Bjensen@Example.com` and `bjensen@example.com` are one person.
pub fn linking_email(user: &Value) -> Option<String> {
    let emails: Vec<&Value> = user["emails"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let pick = |wanted: &dyn Fn(&Value) -> bool| {
        emails
            .iter()
            .copied()
            .filter(|e| wanted(e))
            .find_map(|e| e["value"].as_str().and_then(address))
    };
    pick(&|e| {
        e["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    })
    .or_else(|| pick(&|e| e["primary"] == json!(true)))
    .or_else(|| pick(&|_| true))
    .or_else(|| user["userName"].as_str().and_then(address))
}

fn address(text: &str) -> Option<String> {
    EmailAddress::parse(text.trim()).map(|a| a.as_str().to_lowercase())
}

/// A user row of `scim_*_user` rendered as a SCIM User.
pub fn render_user(row: &Value, base: &str) -> Value {
    let id = row["id"].as_str().unwrap_or_default();
    let mut user = row["resource"].as_object().cloned().unwrap_or_default();
    let mut schemas = vec![json!(USER_SCHEMA)];
    if user.contains_key(ENTERPRISE_SCHEMA) {
        schemas.push(json!(ENTERPRISE_SCHEMA));
    }
    user.insert("schemas".into(), Value::Array(schemas));
    user.insert("id".into(), json!(id));
    let groups: Vec<Value> = row["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| {
                    json!({
                        "value": g["value"], "display": g["display"], "type": "direct",
                        "$ref": format!("{base}/Groups/{}", g["value"].as_str().unwrap_or_default()),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if !groups.is_empty() {
        user.insert("groups".into(), Value::Array(groups));
    }
    user.insert(
        "meta".into(),
        meta("User", row, &format!("{base}/Users/{id}")),
    );
    Value::Object(user)
}

/// A group row of `scim_*_group` rendered as a SCIM Group.
pub fn render_group(row: &Value, base: &str) -> Value {
    let id = row["id"].as_str().unwrap_or_default();
    let mut group = json!({
        "schemas": [ResourceKind::Group.schema()],
        "id": id,
        "displayName": row["display_name"],
        "meta": meta("Group", row, &format!("{base}/Groups/{id}")),
    });
    if !row["external_id"].is_null() {
        group["externalId"] = row["external_id"].clone();
    }
    if let Some(members) = row["members"].as_array() {
        group["members"] = members
            .iter()
            .map(|m| {
                json!({
                    "value": m["value"], "type": "User",
                    "$ref": format!("{base}/Users/{}", m["value"].as_str().unwrap_or_default()),
                })
            })
            .collect();
    }
    group
}

fn meta(resource_type: &str, row: &Value, location: &str) -> Value {
    json!({
        "resourceType": resource_type,
        "created": row["created"],
        "lastModified": row["last_modified"],
        "location": location,
    })
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): `id` and `schemas` always
/// stay; names the schema does not know are ignored.
pub fn project(
    kind: ResourceKind,
    resource: Value,
    attributes: Option<&str>,
    excluded: Option<&str>,
) -> Value {
    let names = |list: Option<&str>| -> Vec<String> {
        list.map(|l| {
            l.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    let Value::Object(full) = resource else {
        return resource;
    };
    let wanted = names(attributes);
    let mut out = if wanted.is_empty() {
        full.clone()
    } else {
        let mut kept = Map::new();
        for key in ["schemas", "id"] {
            if let Some(v) = full.get(key) {
                kept.insert(key.into(), v.clone());
            }
        }
        for name in &wanted {
            let Some(resolved) = resolve(kind, name) else {
                continue;
            };
            copy_path(
                &full,
                &mut kept,
                &resolved.keys,
                resolved.sub.map(|s| s.name),
            );
        }
        kept
    };
    for name in names(excluded) {
        let Some(resolved) = resolve(kind, &name) else {
            continue;
        };
        if resolved.keys == ["id"] {
            continue;
        }
        remove_path(&mut out, &resolved.keys, resolved.sub.map(|s| s.name));
    }
    Value::Object(out)
}

fn copy_path(
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
    keys: &[String],
    sub: Option<&str>,
) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    let Some(value) = from.get(first) else { return };
    if rest.is_empty() {
        let copied = match (sub, value) {
            (Some(sub), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .filter_map(|item| item.get(sub).map(|v| json!({ sub: v })))
                    .collect(),
            ),
            _ => value.clone(),
        };
        to.insert(first.clone(), copied);
        return;
    }
    if let Value::Object(inner) = value {
        let entry = to.entry(first.clone()).or_insert_with(|| json!({}));
        if let Value::Object(target) = entry {
            copy_path(inner, target, rest, sub);
        }
    }
}

fn remove_path(from: &mut Map<String, Value>, keys: &[String], sub: Option<&str>) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        match (sub, from.get_mut(first)) {
            (Some(sub), Some(Value::Array(items))) => items.iter_mut().for_each(|item| {
                if let Value::Object(o) = item {
                    o.remove(sub);
                }
            }),
            _ => {
                from.remove(first);
            }
        }
        return;
    }
    if let Some(Value::Object(inner)) = from.get_mut(first) {
        remove_path(inner, rest, sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_kept_as_sent_without_what_is_read_only() {
        let stored = storable_user(json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "id": "forged", "meta": {"created": "x"}, "password": "hunter2", "groups": [{"value": "g"}],
            "UserName": "Bjensen@Example.com", "active": "False",
            "name": {"givenName": "Barbara"},
            ENTERPRISE_SCHEMA: {"department": "Tour Operations", "manager": {"value": "26118915"}},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": "4130",
        }))
        .unwrap();
        assert_eq!(stored["userName"], "Bjensen@Example.com");
        assert_eq!(stored["active"], false);
        assert_eq!(stored[ENTERPRISE_SCHEMA]["department"], "Tour Operations");
        assert_eq!(stored[ENTERPRISE_SCHEMA]["costCenter"], "4130");
        for gone in ["id", "meta", "password", "groups", "schemas"] {
            assert!(stored.get(gone).is_none(), "{gone}");
        }
        assert!(storable_user(json!({"name": {}})).is_err());
        assert!(storable_user(json!({"userName": "a", "active": "maybe"})).is_err());
    }

    #[test]
    fn the_linking_address_prefers_the_work_email() {
        let user = json!({"userName": "B@X.io", "emails": [
            {"value": "home@x.io", "type": "home", "primary": true},
            {"value": "Work@X.io", "type": "work"}]});
        assert_eq!(linking_email(&user).as_deref(), Some("work@x.io"));
        assert_eq!(
            linking_email(&json!({"userName": "B@X.io"})).as_deref(),
            Some("b@x.io")
        );
        assert_eq!(linking_email(&json!({"userName": "bjensen"})), None);
    }

    #[test]
    fn projection_keeps_id_and_what_was_asked() {
        let user = json!({"schemas": [USER_SCHEMA], "id": "1", "userName": "a",
                          "name": {"givenName": "A", "familyName": "B"},
                          "emails": [{"value": "a@b.c", "type": "work"}]});
        let only = project(
            ResourceKind::User,
            user.clone(),
            Some("userName,name.givenName,emails.type"),
            None,
        );
        assert_eq!(
            only,
            json!({"schemas": [USER_SCHEMA], "id": "1", "userName": "a",
                                "name": {"givenName": "A"}, "emails": [{"type": "work"}]})
        );
        let without = project(ResourceKind::User, user, None, Some("emails,id"));
        assert!(without.get("emails").is_none());
        assert_eq!(without["id"], "1");
    }
}
