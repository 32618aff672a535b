//! What a list asks for — `filter`, `startIndex`, `count`, `attributes`,
//! `excludedAttributes` — from a GET's query string or a POST `.search` body
//! (RFC 7644 §3.4.3), read one way.

use onboarding::directory::resource::project;
use onboarding::directory::schema::{ResourceKind, MAX_RESULTS};
use onboarding::directory::ScimError;
use platform::HttpRequest;
use serde_json::Value;

const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

#[derive(Debug, Default)]
pub(crate) struct Query {
    pub filter: Option<String>,
    pub start_index: u64,
    pub count: u64,
    pub attributes: Option<String>,
    pub excluded: Option<String>,
}

impl Query {
    pub fn from_request(request: &HttpRequest) -> Result<Query, ScimError> {
        let number = |name: &str| -> Result<Option<i64>, ScimError> {
            request
                .query_param(name)
                .map(|raw| {
                    raw.trim()
                        .parse::<i64>()
                        .map_err(|_| ScimError::invalid_value(format!("{name} is a number")))
                })
                .transpose()
        };
        Ok(Query::paged(
            request.query_param("filter"),
            number("startIndex")?,
            number("count")?,
            request.query_param("attributes"),
            request.query_param("excludedAttributes"),
        ))
    }

    pub fn from_search(body: &Value) -> Result<Query, ScimError> {
        if let Some(schemas) = body["schemas"].as_array() {
            if !schemas.iter().any(|s| s.as_str() == Some(SEARCH_SCHEMA)) {
                return Err(ScimError::invalid_syntax(format!(
                    "a search has the schema {SEARCH_SCHEMA}"
                )));
            }
        }
        let list = |name: &str| -> Result<Option<String>, ScimError> {
            match &body[name] {
                Value::Null => Ok(None),
                Value::Array(items) => Ok(Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                )),
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(ScimError::invalid_value(format!(
                    "{name} is a list of attribute names"
                ))),
            }
        };
        let number = |name: &str| -> Result<Option<i64>, ScimError> {
            match &body[name] {
                Value::Null => Ok(None),
                v => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::invalid_value(format!("{name} is a number"))),
            }
        };
        Ok(Query::paged(
            body["filter"].as_str().map(str::to_owned),
            number("startIndex")?,
            number("count")?,
            list("attributes")?,
            list("excludedAttributes")?,
        ))
    }

    /// `startIndex` below 1 is 1; `count` above the maximum is the maximum, 0 asks for
    /// the total only (RFC 7644 §3.4.2.4).
    fn paged(
        filter: Option<String>,
        start: Option<i64>,
        count: Option<i64>,
        attributes: Option<String>,
        excluded: Option<String>,
    ) -> Query {
        Query {
            filter: filter.filter(|f| !f.trim().is_empty()),
            start_index: start.unwrap_or(1).max(1) as u64,
            count: count
                .unwrap_or(i64::from(MAX_RESULTS))
                .clamp(0, i64::from(MAX_RESULTS)) as u64,
            attributes,
            excluded,
        }
    }

    pub fn project(&self, kind: ResourceKind, resource: Value) -> Value {
        project(
            kind,
            resource,
            self.attributes.as_deref(),
            self.excluded.as_deref(),
        )
    }

    /// Whether a group's members are in the answer: identity providers ask for large
    /// groups with `excludedAttributes=members`, and then they are not read at all.
    pub fn shows_members(&self) -> bool {
        let names = |list: &Option<String>| list.as_ref().map(|l| l.to_ascii_lowercase());
        let excluded =
            names(&self.excluded).is_some_and(|l| l.split(',').any(|a| a.trim() == "members"));
        let asked = names(&self.attributes)
            .is_none_or(|l| l.split(',').any(|a| a.trim().starts_with("members")));
        asked && !excluded
    }
}
