//! Reading a request: the method, the body's size and type, and its JSON fields.
//!
//! [`Fields`] is the one way every function validates a payload: it reads each field,
//! collects every problem instead of stopping at the first, and ends in one
//! `400 invalid_payload` whose message names all offending fields (the first one first).

use crate::error::ApiError;
use crate::http::{HttpRequest, MAX_BODY_BYTES};
use crate::values::EmailAddress;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Refuses any method but `allowed` with 405 and an `Allow` header.
pub fn require_method(request: &HttpRequest, allowed: &'static str) -> Result<(), ApiError> {
    if request.method == allowed {
        return Ok(());
    }
    Err(ApiError::MethodNotAllowed {
        method: request.method.clone(),
        allowed,
    })
}

/// Checks a JSON body's size and declared type before it is parsed. Called after
/// authentication, so an anonymous caller learns nothing about what would be accepted.
pub fn check_json_body(request: &HttpRequest) -> Result<(), ApiError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    // text/plain is what `fetch` sends for a string body when no type is given.
    let media_type = request.header("content-type").map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match media_type.as_deref() {
        None | Some("" | "application/json" | "text/plain") => Ok(()),
        Some(_) => Err(ApiError::UnsupportedMediaType),
    }
}

/// Bytes as a JSON object: 400 `invalid_json` when they are not JSON, 400
/// `invalid_payload` when they are JSON but not an object.
pub fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::InvalidPayload(
            "body must be a JSON object".into(),
        )),
        Err(err) => Err(ApiError::InvalidJson(err.to_string())),
    }
}

/// The fields of one JSON object, read one by one; every problem is kept.
///
/// Each reader returns `None` when the field is absent (and optional) or wrong; a wrong
/// or missing required field is recorded. Call [`Fields::finish`] once everything has
/// been read: it fails with every recorded problem.
#[derive(Debug)]
pub struct Fields {
    object: Map<String, Value>,
    /// Prepended to field names in messages (`record.` for a nested object).
    prefix: String,
    problems: Vec<String>,
}

impl Fields {
    pub fn new(object: Map<String, Value>) -> Self {
        Fields {
            object,
            prefix: String::new(),
            problems: Vec::new(),
        }
    }

    /// The request's body as fields: 400 at once when it is not a JSON object.
    pub fn from_body(body: &[u8]) -> Result<Self, ApiError> {
        parse_json_object(body).map(Fields::new)
    }

    /// The raw value of a field, for checks of a shape of the caller's own.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.object.get(field).filter(|value| !value.is_null())
    }

    /// Records a problem with `field` (named with this object's prefix).
    pub fn problem<T>(&mut self, field: &str, problem: impl std::fmt::Display) -> Option<T> {
        self.problems
            .push(format!("{}{field} {problem}", self.prefix));
        None
    }

    /// A string of at most `max_len` characters, trimmed; a required one must not be
    /// blank.
    pub fn string(&mut self, field: &str, max_len: usize, required: bool) -> Option<String> {
        match self.object.get(field) {
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => self.problem(field, "is required"),
            Some(Value::String(value)) if value.trim().is_empty() && required => {
                self.problem(field, "must not be empty")
            }
            Some(Value::String(value)) if value.chars().count() > max_len => {
                self.problem(field, format!("must be at most {max_len} characters"))
            }
            Some(Value::String(value)) => Some(value.trim().to_owned()),
            Some(_) => self.problem(field, "must be a string"),
        }
    }

    /// A required string that must equal `expected` when present.
    pub fn constant(&mut self, field: &str, expected: &str, why: &str) -> bool {
        match self.object.get(field) {
            None => true,
            Some(Value::String(value)) if value == expected => true,
            Some(_) => self
                .problem::<()>(field, format!("must be \"{expected}\"{why}"))
                .is_some(),
        }
    }

    /// A required UUID, as a string.
    pub fn uuid(&mut self, field: &str) -> Option<Uuid> {
        match self.object.get(field) {
            None | Some(Value::Null) => self.problem(field, "is required"),
            Some(Value::String(raw)) => match Uuid::parse_str(raw.trim()) {
                Ok(id) => Some(id),
                Err(_) => self.problem(field, "must be a UUID"),
            },
            Some(_) => self.problem(field, "must be a UUID string"),
        }
    }

    /// A required email address (at most 320 characters), lower-cased.
    pub fn email(&mut self, field: &str) -> Option<EmailAddress> {
        let raw = self.string(field, 320, true)?;
        match EmailAddress::parse(&raw) {
            Some(email) => Some(email),
            None => self.problem(field, "must be an email address"),
        }
    }

    /// An optional boolean, `default` when absent.
    pub fn boolean(&mut self, field: &str, default: bool) -> bool {
        match self.object.get(field) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(value)) => *value,
            Some(_) => self.problem(field, "must be a boolean").unwrap_or(default),
        }
    }

    /// A nested object, read with its own [`Fields`] whose problems name it
    /// (`parent.child …`); hand it back with [`Fields::absorb`].
    pub fn object(&mut self, field: &str, required: bool, shape: &str) -> Option<Fields> {
        match self.object.get(field) {
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => self.problem(field, "is required"),
            Some(Value::Object(inner)) => Some(Fields {
                object: inner.clone(),
                prefix: format!("{}{field}.", self.prefix),
                problems: Vec::new(),
            }),
            Some(_) => self.problem(field, format!("must be {shape}")),
        }
    }

    /// Takes over the problems of a nested object read with [`Fields::object`].
    pub fn absorb(&mut self, inner: Fields) {
        self.problems.extend(inner.problems);
    }

    /// The one required string a small request carries (`{"token": …}`).
    pub fn only_string(mut self, field: &str, max_len: usize) -> Result<String, ApiError> {
        let value = self.string(field, max_len, true);
        self.finish()?;
        value.ok_or(ApiError::Internal)
    }

    /// The one required UUID a small request carries (`{"invite_id": …}`).
    pub fn only_uuid(mut self, field: &str) -> Result<Uuid, ApiError> {
        let value = self.uuid(field);
        self.finish()?;
        value.ok_or(ApiError::Internal)
    }

    /// `Ok` when every field read was right; else one 400 naming every problem.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidPayload(self.problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        Fields::from_body(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn every_problem_is_named_first_one_first() {
        let mut check = fields(json!({"a": 1, "id": "x", "mail": "nope", "flag": "yes"}));
        assert_eq!(check.string("a", 10, true), None);
        assert_eq!(check.string("missing", 10, true), None);
        assert_eq!(check.uuid("id"), None);
        assert_eq!(check.email("mail"), None);
        assert!(!check.boolean("flag", false));
        assert_eq!(
            check.finish(),
            Err(ApiError::InvalidPayload(
                "a must be a string; missing is required; id must be a UUID; \
                 mail must be an email address; flag must be a boolean"
                    .into()
            ))
        );
    }

    #[test]
    fn good_fields_are_read_trimmed_and_normalised() {
        let id = Uuid::new_v4();
        let mut check = fields(json!({"name": "  Ada ", "id": id, "mail": "Ada@Example.COM"}));
        assert_eq!(check.string("name", 10, true).as_deref(), Some("Ada"));
        assert_eq!(check.string("absent", 10, false), None);
        assert_eq!(check.uuid("id"), Some(id));
        assert_eq!(
            check.email("mail").as_ref().map(EmailAddress::as_str),
            Some("ada@example.com")
        );
        assert!(check.boolean("absent", true));
        assert_eq!(check.finish(), Ok(()));
    }

    #[test]
    fn nested_objects_name_their_parent() {
        let mut check = fields(json!({"record": {"id": 7}, "other": "x"}));
        let mut record = check.object("record", true, "an object").unwrap();
        assert_eq!(record.uuid("id"), None);
        check.absorb(record);
        assert!(check.object("other", true, "an object with id").is_none());
        assert_eq!(
            check.finish(),
            Err(ApiError::InvalidPayload(
                "record.id must be a UUID string; other must be an object with id".into()
            ))
        );
    }

    #[test]
    fn constants_and_lengths() {
        let mut check = fields(json!({"type": "UPDATE", "s": "abcdef"}));
        assert!(!check.constant("type", "INSERT", ": INSERT only"));
        assert!(check.constant("absent", "INSERT", ""));
        assert_eq!(check.string("s", 3, true), None);
        assert_eq!(
            check.finish(),
            Err(ApiError::InvalidPayload(
                "type must be \"INSERT\": INSERT only; s must be at most 3 characters".into()
            ))
        );
    }

    #[test]
    fn bodies_that_are_not_objects() {
        assert!(matches!(
            Fields::from_body(b"[1]"),
            Err(ApiError::InvalidPayload(_))
        ));
        assert!(matches!(
            Fields::from_body(b"{"),
            Err(ApiError::InvalidJson(_))
        ));
    }

    #[test]
    fn method_and_body_checks() {
        let get = HttpRequest::new("GET");
        assert!(matches!(
            require_method(&get, "POST"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert_eq!(require_method(&HttpRequest::new("post"), "POST"), Ok(()));
        let big = HttpRequest::new("POST").with_body(vec![b' '; MAX_BODY_BYTES + 1]);
        assert!(matches!(
            check_json_body(&big),
            Err(ApiError::PayloadTooLarge { .. })
        ));
        let form = HttpRequest::new("POST")
            .with_header("Content-Type", "application/x-www-form-urlencoded");
        assert_eq!(check_json_body(&form), Err(ApiError::UnsupportedMediaType));
        let plain =
            HttpRequest::new("POST").with_header("Content-Type", "text/plain;charset=UTF-8");
        assert_eq!(check_json_body(&plain), Ok(()));
        let json =
            HttpRequest::new("POST").with_header("Content-Type", "application/json; charset=utf-8");
        assert_eq!(check_json_body(&json), Ok(()));
        assert_eq!(check_json_body(&HttpRequest::new("POST")), Ok(()));
    }
}
