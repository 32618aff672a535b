//! What the directory keeps, described once: the attributes of RFC 7643's User (with the
//! enterprise extension) and Group. The same table names a filter's or a PATCH path's
//! attributes in their canonical case, tells which are multi-valued or read-only, and
//! is published at `/Schemas`; `/ServiceProviderConfig` and `/ResourceTypes` say what is
//! supported, as built.

use serde_json::{json, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most resources one page holds (`count` above it is lowered to it).
pub const MAX_RESULTS: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    Complex,
    DateTime,
    Binary,
    Reference(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadWrite,
    ReadOnly,
    Immutable,
}

#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Kind,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub unique: bool,
    pub sub: &'static [Attr],
    pub canonical: &'static [&'static str],
}

const fn attr(name: &'static str, kind: Kind) -> Attr {
    Attr {
        name,
        kind,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        unique: false,
        sub: &[],
        canonical: &[],
    }
}

const fn string(name: &'static str) -> Attr {
    attr(name, Kind::String)
}

const fn complex(name: &'static str, sub: &'static [Attr]) -> Attr {
    Attr {
        sub,
        ..attr(name, Kind::Complex)
    }
}

const fn multi(name: &'static str, sub: &'static [Attr]) -> Attr {
    Attr {
        multi: true,
        ..complex(name, sub)
    }
}

const fn read_only(attribute: Attr) -> Attr {
    Attr {
        mutability: Mutability::ReadOnly,
        ..attribute
    }
}

const TYPES: &[&str] = &["work", "home", "other"];
const fn typed(value: Attr) -> [Attr; 4] {
    [
        value,
        string("display"),
        Attr {
            canonical: TYPES,
            ..string("type")
        },
        attr("primary", Kind::Boolean),
    ]
}

const EMAIL: [Attr; 4] = typed(string("value"));
const PHONE: [Attr; 4] = typed(string("value"));
const IM: [Attr; 4] = typed(string("value"));
const PHOTO: [Attr; 4] = typed(attr("value", Kind::Reference(&["external"])));
const ENTITLEMENT: [Attr; 4] = typed(string("value"));
const ROLE: [Attr; 4] = typed(string("value"));
const CERTIFICATE: [Attr; 4] = typed(attr("value", Kind::Binary));

const NAME: &[Attr] = &[
    string("formatted"),
    string("familyName"),
    string("givenName"),
    string("middleName"),
    string("honorificPrefix"),
    string("honorificSuffix"),
];

const ADDRESS: &[Attr] = &[
    string("formatted"),
    string("streetAddress"),
    string("locality"),
    string("region"),
    string("postalCode"),
    string("country"),
    Attr {
        canonical: TYPES,
        ..string("type")
    },
    attr("primary", Kind::Boolean),
];

const GROUP_REF: &[Attr] = &[
    read_only(string("value")),
    read_only(attr("$ref", Kind::Reference(&["Group"]))),
    read_only(string("display")),
    read_only(string("type")),
];

pub const USER_ATTRIBUTES: &[Attr] = &[
    Attr {
        required: true,
        unique: true,
        ..string("userName")
    },
    complex("name", NAME),
    string("displayName"),
    string("nickName"),
    attr("profileUrl", Kind::Reference(&["external"])),
    string("title"),
    string("userType"),
    string("preferredLanguage"),
    string("locale"),
    string("timezone"),
    attr("active", Kind::Boolean),
    multi("emails", &EMAIL),
    multi("phoneNumbers", &PHONE),
    multi("ims", &IM),
    multi("photos", &PHOTO),
    multi("addresses", ADDRESS),
    read_only(multi("groups", GROUP_REF)),
    multi("entitlements", &ENTITLEMENT),
    multi("roles", &ROLE),
    multi("x509Certificates", &CERTIFICATE),
];

const MANAGER: &[Attr] = &[
    string("value"),
    attr("$ref", Kind::Reference(&["User"])),
    read_only(string("displayName")),
];

pub const ENTERPRISE_ATTRIBUTES: &[Attr] = &[
    string("employeeNumber"),
    string("costCenter"),
    string("organization"),
    string("division"),
    string("department"),
    complex("manager", MANAGER),
];

const MEMBER: &[Attr] = &[
    Attr {
        mutability: Mutability::Immutable,
        ..string("value")
    },
    Attr {
        mutability: Mutability::Immutable,
        ..attr("$ref", Kind::Reference(&["User"]))
    },
    read_only(string("display")),
    Attr {
        mutability: Mutability::Immutable,
        canonical: &["User"],
        ..string("type")
    },
];

pub const GROUP_ATTRIBUTES: &[Attr] = &[
    Attr {
        required: true,
        unique: true,
        ..string("displayName")
    },
    multi("members", MEMBER),
];

/// The attributes every resource has (RFC 7643 §3.1), outside any schema's list.
pub const COMMON_ATTRIBUTES: &[Attr] = &[
    Attr {
        case_exact: true,
        ..read_only(string("id"))
    },
    Attr {
        case_exact: true,
        ..string("externalId")
    },
    read_only(complex("meta", META)),
];

const META: &[Attr] = &[
    read_only(string("resourceType")),
    read_only(attr("created", Kind::DateTime)),
    read_only(attr("lastModified", Kind::DateTime)),
    read_only(attr("location", Kind::Reference(&["uri"]))),
    read_only(string("version")),
];

/// Users or groups: which schemas a resource has and where its attributes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn schema(self) -> &'static str {
        match self {
            ResourceKind::User => USER_SCHEMA,
            ResourceKind::Group => GROUP_SCHEMA,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }

    fn core(self) -> &'static [Attr] {
        match self {
            ResourceKind::User => USER_ATTRIBUTES,
            ResourceKind::Group => GROUP_ATTRIBUTES,
        }
    }

    fn extensions(self) -> &'static [(&'static str, &'static [Attr])] {
        match self {
            ResourceKind::User => &[(ENTERPRISE_SCHEMA, ENTERPRISE_ATTRIBUTES)],
            ResourceKind::Group => &[],
        }
    }
}

/// An attribute path resolved against the schema: the JSON keys that reach it in a
/// stored resource (an extension's attributes sit under its URN), and its definition.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub keys: Vec<String>,
    pub attr: Attr,
    /// The sub-attribute named after a multi-valued attribute (`emails.value`).
    pub sub: Option<Attr>,
}

fn find(attrs: &'static [Attr], name: &str) -> Option<Attr> {
    attrs
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .copied()
}

/// Resolves `attrPath` (RFC 7644: `[URN ":"] name ["." sub]`), names compared without
/// regard to case as the RFC says; `None` for an attribute the resource does not have.
pub fn resolve(kind: ResourceKind, path: &str) -> Option<Resolved> {
    let (schema, rest) = split_urn(kind, path)?;
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    let (attrs, mut keys): (&'static [Attr], Vec<String>) = match schema {
        Some(urn) if urn != kind.schema() => {
            let (urn, attrs) = kind.extensions().iter().find(|(u, _)| *u == urn).copied()?;
            (attrs, vec![urn.to_owned()])
        }
        _ => (kind.core(), Vec::new()),
    };
    let attr = find(attrs, name).or_else(|| {
        // The common attributes carry no URN of their own but the core schema's.
        (keys.is_empty())
            .then(|| find(COMMON_ATTRIBUTES, name))
            .flatten()
    })?;
    keys.push(attr.name.to_owned());
    let sub = match sub {
        None => None,
        Some(sub) => {
            let found = find(attr.sub, sub)?;
            if !attr.multi {
                keys.push(found.name.to_owned());
                return Some(Resolved {
                    keys,
                    attr: found,
                    sub: None,
                });
            }
            Some(found)
        }
    };
    Some(Resolved { keys, attr, sub })
}

/// A sub-attribute of a multi-valued attribute, in its canonical case.
pub fn resolve_sub(parent: &Attr, name: &str) -> Option<Attr> {
    find(parent.sub, name)
}

/// Splits a leading schema URN off a path: `urn:…:User:department` → (URN, `department`).
fn split_urn(kind: ResourceKind, path: &str) -> Option<(Option<&'static str>, &str)> {
    if !path.to_ascii_lowercase().starts_with("urn:") {
        return Some((None, path));
    }
    let schemas =
        std::iter::once(kind.schema()).chain(kind.extensions().iter().map(|(urn, _)| *urn));
    for urn in schemas {
        if path.len() > urn.len()
            && path[..urn.len()].eq_ignore_ascii_case(urn)
            && path.as_bytes()[urn.len()] == b':'
        {
            return Some((Some(urn), &path[urn.len() + 1..]));
        }
    }
    None
}

/// Whether `key` of a resource's top level is an extension's URN (its value an object).
pub fn extension_urn(kind: ResourceKind, key: &str) -> Option<&'static str> {
    kind.extensions()
        .iter()
        .map(|(urn, _)| *urn)
        .find(|urn| urn.eq_ignore_ascii_case(key))
}

// ---- Discovery documents --------------------------------------------------------------

fn describe(attr: &Attr) -> Value {
    let (kind, references) = match attr.kind {
        Kind::String => ("string", None),
        Kind::Boolean => ("boolean", None),
        Kind::Complex => ("complex", None),
        Kind::DateTime => ("dateTime", None),
        Kind::Binary => ("binary", None),
        Kind::Reference(types) => ("reference", Some(types)),
    };
    let mut described = json!({
        "name": attr.name,
        "type": kind,
        "multiValued": attr.multi,
        "description": format!("{} ({})", attr.name, kind),
        "required": attr.required,
        "caseExact": attr.case_exact || matches!(attr.kind, Kind::Reference(_) | Kind::Binary),
        "mutability": match attr.mutability {
            Mutability::ReadWrite => "readWrite",
            Mutability::ReadOnly => "readOnly",
            Mutability::Immutable => "immutable",
        },
        "returned": "default",
        "uniqueness": if attr.unique { "server" } else { "none" },
    });
    if let Some(types) = references {
        described["referenceTypes"] = json!(types);
    }
    if !attr.canonical.is_empty() {
        described["canonicalValues"] = json!(attr.canonical);
    }
    if !attr.sub.is_empty() {
        described["subAttributes"] = attr.sub.iter().map(describe).collect();
    }
    described
}

fn schema_document(base: &str, id: &str, name: &str, attrs: &[Attr]) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": format!("{name} as this directory keeps it"),
        "attributes": attrs.iter().map(describe).collect::<Vec<_>>(),
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        schema_document(base, USER_SCHEMA, "User", USER_ATTRIBUTES),
        schema_document(
            base,
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            ENTERPRISE_ATTRIBUTES,
        ),
        schema_document(base, GROUP_SCHEMA, "Group", GROUP_ATTRIBUTES),
    ]
}

pub fn resource_types(base: &str) -> Vec<Value> {
    [ResourceKind::User, ResourceKind::Group]
        .iter()
        .map(|kind| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": kind.name(),
                "name": kind.name(),
                "endpoint": format!("/{}", kind.endpoint()),
                "description": format!("The organization's {}", kind.endpoint().to_lowercase()),
                "schema": kind.schema(),
                "schemaExtensions": kind.extensions().iter()
                    .map(|(urn, _)| json!({ "schema": urn, "required": false }))
                    .collect::<Vec<_>>(),
                "meta": {
                    "resourceType": "ResourceType",
                    "location": format!("{base}/ResourceTypes/{}", kind.name()),
                },
            })
        })
        .collect()
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A directory token made on the Team page (create_directory_token), as Authorization: Bearer",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_in_their_canonical_case() {
        let name = resolve(ResourceKind::User, "USERNAME").unwrap();
        assert_eq!(name.keys, vec!["userName"]);
        let given = resolve(ResourceKind::User, "name.givenname").unwrap();
        assert_eq!(given.keys, vec!["name", "givenName"]);
        let emails = resolve(ResourceKind::User, "emails.value").unwrap();
        assert_eq!(emails.keys, vec!["emails"]);
        assert_eq!(emails.sub.unwrap().name, "value");
        let department = resolve(
            ResourceKind::User,
            &format!("{ENTERPRISE_SCHEMA}:department"),
        )
        .unwrap();
        assert_eq!(department.keys, vec![ENTERPRISE_SCHEMA, "department"]);
        let core = resolve(ResourceKind::User, &format!("{USER_SCHEMA}:userName")).unwrap();
        assert_eq!(core.keys, vec!["userName"]);
        assert!(resolve(ResourceKind::User, "shoeSize").is_none());
        assert!(resolve(ResourceKind::Group, "userName").is_none());
        assert_eq!(
            resolve(ResourceKind::Group, "externalid").unwrap().keys,
            vec!["externalId"]
        );
    }
}
