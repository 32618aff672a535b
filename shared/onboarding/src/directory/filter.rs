//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed against the schema.
//!
//! A filter becomes a [`Filter`] tree: attribute names in their canonical case, a
//! comparison on a multi-valued attribute turned into "has an element that matches"
//! (`emails.value eq x`, `emails eq x` and Entra's `emails[type eq "work"].value eq x`
//! all mean that). The tree is sent to the database as JSON ([`Filter::to_json`]), which
//! turns it into quoted SQL; inside a PATCH path it is evaluated here on a resource's
//! elements ([`Filter::matches`]).

use super::error::ScimError;
use super::schema::{resolve, resolve_sub, Attr, Kind, ResourceKind};
use serde_json::{json, Value};

/// Longer filters are refused: no identity provider sends one near this.
const MAX_FILTER_CHARS: usize = 4096;
const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// A multi-valued attribute with an element matching the inner filter.
    Has {
        keys: Vec<String>,
        filter: Box<Filter>,
    },
    Compare {
        keys: Vec<String>,
        op: Op,
        value: Value,
        case_exact: bool,
    },
    Present {
        keys: Vec<String>,
    },
}

impl Filter {
    /// The tree as `scim_filter_sql` reads it.
    pub fn to_json(&self) -> Value {
        match self {
            Filter::And(l, r) => json!({ "op": "and", "left": l.to_json(), "right": r.to_json() }),
            Filter::Or(l, r) => json!({ "op": "or", "left": l.to_json(), "right": r.to_json() }),
            Filter::Not(f) => json!({ "op": "not", "filter": f.to_json() }),
            Filter::Has { keys, filter } => {
                json!({ "op": "has", "path": keys, "filter": filter.to_json() })
            }
            Filter::Compare {
                keys,
                op,
                value,
                case_exact,
            } => {
                json!({ "op": op.name(), "path": keys, "value": value, "case_exact": case_exact })
            }
            Filter::Present { keys } => json!({ "op": "pr", "path": keys }),
        }
    }

    /// Whether an element of a multi-valued attribute (or a resource) matches.
    pub fn matches(&self, element: &Value) -> bool {
        match self {
            Filter::And(l, r) => l.matches(element) && r.matches(element),
            Filter::Or(l, r) => l.matches(element) || r.matches(element),
            Filter::Not(f) => !f.matches(element),
            Filter::Has { keys, filter } => match lookup(element, keys) {
                Some(Value::Array(items)) => items.iter().any(|item| filter.matches(item)),
                _ => false,
            },
            Filter::Present { keys } => lookup(element, keys).is_some_and(|v| match v {
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            }),
            Filter::Compare {
                keys,
                op,
                value,
                case_exact,
            } => compare(
                lookup(element, keys).unwrap_or(&Value::Null),
                *op,
                value,
                *case_exact,
            ),
        }
    }
}

fn lookup<'a>(value: &'a Value, keys: &[String]) -> Option<&'a Value> {
    keys.iter().try_fold(value, |current, key| {
        current
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn compare(actual: &Value, op: Op, expected: &Value, case_exact: bool) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) if !case_exact => Some(s.to_lowercase()),
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let (Some(a), Some(e)) = (text(actual), text(expected)) else {
        return match op {
            Op::Eq => actual.is_null() && expected.is_null(),
            Op::Ne => actual.is_null() != expected.is_null(),
            _ => false,
        };
    };
    match op {
        Op::Eq => a == e,
        Op::Ne => a != e,
        Op::Co => a.contains(&e),
        Op::Sw => a.starts_with(&e),
        Op::Ew => a.ends_with(&e),
        Op::Gt => a > e,
        Op::Ge => a >= e,
        Op::Lt => a < e,
        Op::Le => a <= e,
    }
}

// ---- Tokens --------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    LBracket,
    RBracket,
    Str(String),
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, ScimError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1
            }
            '[' => {
                tokens.push(Token::LBracket);
                i += 1
            }
            ']' => {
                tokens.push(Token::RBracket);
                i += 1
            }
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                if i >= chars.len() {
                    return Err(ScimError::invalid_filter("a string is not closed"));
                }
                i += 1;
                let literal: String = chars[start..i].iter().collect();
                let value: String = serde_json::from_str(&literal)
                    .map_err(|_| ScimError::invalid_filter("a string is not valid JSON"))?;
                tokens.push(Token::Str(value));
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"()[]\"".contains(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

// ---- Parsing -------------------------------------------------------------------------

/// Where names are looked up: a resource's attributes, or an element's sub-attributes.
#[derive(Clone, Copy)]
enum Scope {
    Resource(ResourceKind),
    Element(Attr),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

/// An attribute named in a filter or path, resolved.
enum Named {
    /// A single-valued attribute (maybe inside a complex one).
    Single { keys: Vec<String>, attr: Attr },
    /// A multi-valued attribute, with the sub-attribute named after it, if any.
    Multi {
        keys: Vec<String>,
        attr: Attr,
        sub: Option<Attr>,
    },
}

fn name_in(scope: Scope, word: &str) -> Result<Named, ScimError> {
    let unknown = || ScimError::invalid_filter(format!("unknown attribute {word}"));
    match scope {
        Scope::Element(parent) => {
            let sub = resolve_sub(&parent, word).ok_or_else(unknown)?;
            Ok(Named::Single {
                keys: vec![sub.name.to_owned()],
                attr: sub,
            })
        }
        Scope::Resource(kind) => {
            let resolved = resolve(kind, word).ok_or_else(unknown)?;
            Ok(if resolved.attr.multi {
                Named::Multi {
                    keys: resolved.keys,
                    attr: resolved.attr,
                    sub: resolved.sub,
                }
            } else {
                Named::Single {
                    keys: resolved.keys,
                    attr: resolved.attr,
                }
            })
        }
    }
}

fn literal(token: Option<Token>) -> Result<Value, ScimError> {
    match token {
        Some(Token::Str(s)) => Ok(Value::String(s)),
        Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            "null" => Ok(Value::Null),
            _ => serde_json::from_str::<serde_json::Number>(&w)
                .map(Value::Number)
                .map_err(|_| ScimError::invalid_filter(format!("{w} is not a value"))),
        },
        _ => Err(ScimError::invalid_filter("a comparison needs a value")),
    }
}

fn case_exact(attr: &Attr) -> bool {
    attr.case_exact || matches!(attr.kind, Kind::Reference(_) | Kind::Binary)
}

impl Parser {
    fn new(text: &str) -> Result<Self, ScimError> {
        if text.chars().count() > MAX_FILTER_CHARS {
            return Err(ScimError::invalid_filter("the filter is too long"));
        }
        Ok(Parser {
            tokens: tokenize(text)?,
            at: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), ScimError> {
        if self.next() == Some(token) {
            Ok(())
        } else {
            Err(ScimError::invalid_filter(format!("expected {what}")))
        }
    }

    fn or(&mut self, scope: Scope) -> Result<Filter, ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScimError::invalid_filter("the filter nests too deeply"));
        }
        let mut left = self.and(scope)?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and(scope)?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self, scope: Scope) -> Result<Filter, ScimError> {
        let mut left = self.unary(scope)?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary(scope)?));
        }
        Ok(left)
    }

    fn unary(&mut self, scope: Scope) -> Result<Filter, ScimError> {
        if self.peek_word("not") && self.tokens.get(self.at + 1) == Some(&Token::Open) {
            self.at += 2;
            let inner = self.or(scope)?;
            self.expect(Token::Close, ")")?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or(scope)?;
            self.expect(Token::Close, ")")?;
            return Ok(inner);
        }
        let Some(Token::Word(word)) = self.next() else {
            return Err(ScimError::invalid_filter("expected an attribute"));
        };
        match name_in(scope, &word)? {
            Named::Single { keys, attr } => {
                if self.peek() == Some(&Token::LBracket) {
                    return Err(ScimError::invalid_filter(format!(
                        "{word} is not multi-valued"
                    )));
                }
                self.comparison(keys, &attr)
            }
            Named::Multi { keys, attr, sub } => {
                let mut inner = None;
                if sub.is_none() && self.peek() == Some(&Token::LBracket) {
                    if matches!(scope, Scope::Element(_)) {
                        return Err(ScimError::invalid_filter("value filters do not nest"));
                    }
                    self.at += 1;
                    inner = Some(self.or(Scope::Element(attr))?);
                    self.expect(Token::RBracket, "]")?;
                }
                // `attr[filter].sub op value` (Entra) and `attr.sub op value` compare a
                // sub-attribute of the same element; a bare `attr op value`, its value.
                let sub = match (sub, self.peek()) {
                    (Some(sub), _) => Some(sub),
                    (None, Some(Token::Word(w))) if w.starts_with('.') => {
                        let name = w[1..].to_owned();
                        self.at += 1;
                        Some(resolve_sub(&attr, &name).ok_or_else(|| {
                            ScimError::invalid_filter(format!("unknown attribute {name}"))
                        })?)
                    }
                    _ => None,
                };
                let compared = match (&inner, sub) {
                    (Some(_), None) => None,
                    (_, Some(sub)) => Some(sub),
                    (None, None) => resolve_sub(&attr, "value").or(Some(attr)),
                };
                let compared = match compared {
                    Some(sub) if sub.name != attr.name => {
                        Some(self.comparison(vec![sub.name.to_owned()], &sub)?)
                    }
                    Some(_) => return self.comparison(keys, &attr),
                    None => None,
                };
                let filter = match (inner, compared) {
                    (Some(f), Some(c)) => Filter::And(Box::new(f), Box::new(c)),
                    (Some(f), None) => f,
                    (None, Some(c)) => c,
                    (None, None) => return Err(ScimError::invalid_filter("an empty value filter")),
                };
                Ok(Filter::Has {
                    keys,
                    filter: Box::new(filter),
                })
            }
        }
    }

    fn comparison(&mut self, keys: Vec<String>, attr: &Attr) -> Result<Filter, ScimError> {
        let Some(Token::Word(op)) = self.next() else {
            return Err(ScimError::invalid_filter("expected an operator"));
        };
        if op.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present { keys });
        }
        let op = Op::parse(&op)
            .ok_or_else(|| ScimError::invalid_filter(format!("unknown operator {op}")))?;
        let value = literal(self.next())?;
        if attr.kind == Kind::Complex {
            return Err(ScimError::invalid_filter(format!(
                "{} is complex: compare one of its sub-attributes",
                attr.name
            )));
        }
        Ok(Filter::Compare {
            keys,
            op,
            value,
            case_exact: case_exact(attr),
        })
    }

    fn finish(&self) -> Result<(), ScimError> {
        if self.at == self.tokens.len() {
            Ok(())
        } else {
            Err(ScimError::invalid_filter(
                "unexpected text after the filter",
            ))
        }
    }
}

/// Parses a `filter` query parameter for a list of users or groups.
pub fn parse(kind: ResourceKind, text: &str) -> Result<Filter, ScimError> {
    let mut parser = Parser::new(text)?;
    let filter = parser.or(Scope::Resource(kind))?;
    parser.finish()?;
    Ok(filter)
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2): an attribute, maybe a sub-attribute,
/// maybe a value filter selecting elements of a multi-valued one.
#[derive(Debug, Clone)]
pub struct PatchPath {
    /// Keys to the attribute in the stored resource.
    pub keys: Vec<String>,
    pub attr: Attr,
    /// `emails[type eq "work"]`: which elements.
    pub filter: Option<Filter>,
    /// `emails[…].value` or `emails.value`: which sub-attribute of them.
    pub sub: Option<Attr>,
}

pub fn parse_path(kind: ResourceKind, text: &str) -> Result<PatchPath, ScimError> {
    let invalid = |why: &str| ScimError::invalid_path(format!("{why}: {text}"));
    let mut parser = Parser::new(text).map_err(|_| invalid("not a path"))?;
    let Some(Token::Word(word)) = parser.next() else {
        return Err(invalid("not a path"));
    };
    let resolved = resolve(kind, &word).ok_or_else(|| invalid("no such attribute"))?;
    let mut path = PatchPath {
        keys: resolved.keys,
        attr: resolved.attr,
        filter: None,
        sub: resolved.sub,
    };
    if parser.peek() == Some(&Token::LBracket) {
        if !path.attr.multi || path.sub.is_some() {
            return Err(invalid("a value filter needs a multi-valued attribute"));
        }
        parser.at += 1;
        path.filter = Some(
            parser
                .or(Scope::Element(path.attr))
                .map_err(|e| ScimError::invalid_path(e.detail))?,
        );
        parser
            .expect(Token::RBracket, "]")
            .map_err(|_| invalid("] expected"))?;
        if let Some(Token::Word(w)) = parser.peek().cloned() {
            let sub = w
                .strip_prefix('.')
                .ok_or_else(|| invalid("unexpected text"))?;
            path.sub =
                Some(resolve_sub(&path.attr, sub).ok_or_else(|| invalid("no such sub-attribute"))?);
            parser.at += 1;
        }
    }
    parser.finish().map_err(|_| invalid("unexpected text"))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::schema::ENTERPRISE_SCHEMA;

    fn users(text: &str) -> Value {
        parse(ResourceKind::User, text).unwrap().to_json()
    }

    #[test]
    fn the_filters_identity_providers_send() {
        assert_eq!(
            users(r#"userName eq "Bjensen@Example.com""#),
            json!({"op": "eq", "path": ["userName"], "value": "Bjensen@Example.com", "case_exact": false})
        );
        assert_eq!(users(r#"externalId EQ "00u1""#)["case_exact"], true);
        // Entra's form and the RFC's forms of "a work email equal to".
        let entra = users(r#"emails[type eq "work"].value eq "a@b.c""#);
        assert_eq!(entra["op"], "has");
        assert_eq!(entra["path"], json!(["emails"]));
        assert_eq!(entra["filter"]["op"], "and");
        assert_eq!(entra["filter"]["right"]["path"], json!(["value"]));
        assert_eq!(
            users(r#"emails.value eq "a@b.c""#)["filter"]["path"],
            json!(["value"])
        );
        assert_eq!(
            users(r#"emails eq "a@b.c""#)["filter"]["path"],
            json!(["value"])
        );
        let both = users(r#"userName eq "a" and (externalId eq "b" or not (active eq false))"#);
        assert_eq!(both["op"], "and");
        assert_eq!(both["right"]["op"], "or");
        assert_eq!(both["right"]["right"]["op"], "not");
        assert_eq!(
            users(&format!(r#"{ENTERPRISE_SCHEMA}:department sw "Eng""#))["path"],
            json!([ENTERPRISE_SCHEMA, "department"])
        );
        assert_eq!(users("title pr")["op"], "pr");
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let f = users(r#"title eq "a" or title eq "b" and title eq "c""#);
        assert_eq!(f["op"], "or");
        assert_eq!(f["right"]["op"], "and");
    }

    #[test]
    fn malformed_filters_are_invalid_filter() {
        for bad in [
            r#"userName eq"#,
            r#"userName zz "a""#,
            r#"shoeSize eq "a""#,
            r#"userName eq "a" garbage"#,
            r#"(userName eq "a""#,
            r#"userName eq "unclosed"#,
            r#"name eq "x""#,
            r#"emails[type eq "work""#,
        ] {
            let error = parse(ResourceKind::User, bad).unwrap_err();
            assert_eq!(error.scim_type, Some("invalidFilter"), "{bad}");
        }
    }

    #[test]
    fn value_filters_select_elements() {
        let path = parse_path(ResourceKind::User, r#"emails[type eq "WORK"].value"#).unwrap();
        let filter = path.filter.unwrap();
        assert!(filter.matches(&json!({"type": "work", "value": "a@b.c"})));
        assert!(!filter.matches(&json!({"type": "home", "value": "a@b.c"})));
        assert_eq!(path.sub.unwrap().name, "value");
        let members = parse_path(ResourceKind::Group, r#"members[value eq "2819c223"]"#).unwrap();
        assert!(members
            .filter
            .unwrap()
            .matches(&json!({"value": "2819c223"})));
        assert!(parse_path(ResourceKind::User, "userName[value eq \"x\"]").is_err());
        assert!(parse_path(ResourceKind::User, "nothing").is_err());
    }
}
