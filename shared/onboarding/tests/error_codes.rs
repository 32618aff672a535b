//! The SQL error contract, checked (beside tools/scripts/errors.py, which generates the Rust
//! tables, the OpenAPI enums and docs/errors.md from openapi/errors.toml): every stable
//! code raised in `supabase/migrations/` is listed in docs/errors.md's table of codes
//! raised by the database; every code a function maps (`RAISED` tables) is raised in
//! SQL and listed as mapped; every code listed as client-facing is raised in SQL.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Codes raised in SQL: `message = '<code>'` inside `raise exception using …`.
fn raised_in_sql() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("supabase/migrations")).unwrap() {
        let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            !sql.contains("raise exception '"),
            "a raise without a stable code (see CONTRIBUTING.md's convention)"
        );
        for part in sql.split("raise exception using").skip(1) {
            let statement = part.split(';').next().unwrap();
            let code = statement
                .split("message = '")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("a raise without message = '<code>': {statement}"));
            codes.insert(code.to_owned());
        }
    }
    codes
}

/// docs/errors.md's table of codes raised by the database: code → who reads it.
fn documented_sql_codes() -> BTreeMap<String, String> {
    let page = std::fs::read_to_string(root().join("docs/errors.md")).unwrap();
    let section = page.split("## Raised by the database").nth(1).unwrap();
    section
        .lines()
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((code.to_owned(), cells.get(4)?.to_string()))
        })
        .collect()
}

fn mapped_in_rust() -> BTreeSet<String> {
    [
        onboarding::signup::RAISED,
        onboarding::invites::RAISED,
        onboarding::tenant_users::RAISED,
        onboarding::export::RAISED,
        onboarding::directory::RAISED,
    ]
    .iter()
    .flat_map(|table| table.iter().map(|raised| raised.code.to_owned()))
    .collect()
}

#[test]
fn sql_rust_and_docs_agree_on_error_codes() {
    let sql = raised_in_sql();
    let documented = documented_sql_codes();
    let rust = mapped_in_rust();
    assert!(sql.len() > 20, "found only {} codes in SQL", sql.len());
    let unlisted: Vec<_> = sql
        .iter()
        .filter(|code| !documented.contains_key(*code))
        .collect();
    assert!(
        unlisted.is_empty(),
        "raised in SQL, missing from docs/errors.md: {unlisted:?}"
    );
    let stale: Vec<_> = documented
        .keys()
        .filter(|code| !sql.contains(*code))
        .collect();
    assert!(
        stale.is_empty(),
        "in docs/errors.md, raised nowhere in SQL: {stale:?}"
    );
    let unraised: Vec<_> = rust.iter().filter(|code| !sql.contains(*code)).collect();
    assert!(
        unraised.is_empty(),
        "mapped in Rust, raised nowhere in SQL: {unraised:?}"
    );
    for (code, mapped_by) in &documented {
        let client_facing = mapped_by.starts_with("client-facing");
        assert_eq!(
            client_facing,
            !rust.contains(code),
            "{code}: docs/errors.md says \"{mapped_by}\", but it is {}mapped in Rust",
            if rust.contains(code) { "" } else { "not " }
        );
    }
}

/// Every `code` the OpenAPI document lists for a function route.
fn documented_codes() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("openapi/functions.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut codes = BTreeSet::new();
    for operations in doc["paths"].as_object().unwrap().values() {
        for operation in operations.as_object().unwrap().values() {
            for response in operation["responses"].as_object().unwrap().values() {
                let schema = &response["content"]["application/json"]["schema"];
                for code in schema["properties"]["error"]["properties"]["code"]["enum"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    codes.insert(code.as_str().unwrap().to_owned());
                }
            }
        }
    }
    codes
}

/// Codes the code itself can answer with: the `RAISED` tables, the platform's own codes
/// (`ApiError::code` and the `code: "…"` literals of the crates), the gateway's and the
/// shim's.
fn producible_codes() -> BTreeSet<String> {
    let mut codes = mapped_in_rust();
    let mut sources = vec![
        root().join("shared/platform/src/error.rs"),
        root().join("local/stack/gateway.ts"),
        root().join("local/stack/project-keys.ts"),
        root().join("functions/_shared/wasm_host.ts"),
    ];
    // The gateway's modules, each of which may answer with its own code.
    for entry in std::fs::read_dir(root().join("local/stack/gateway")).unwrap() {
        sources.push(entry.unwrap().path());
    }
    for dir in [
        "functions",
        "shared/onboarding/src",
        "shared/onboarding/src/tenant_users",
    ] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let lib = path.join("src/lib.rs");
            if lib.exists() {
                sources.push(lib);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push(path);
            }
        }
    }
    for source in sources {
        let text = std::fs::read_to_string(&source).unwrap();
        for marker in [
            "code: \"",
            "=> \"",
            "problem(401, \"",
            "problem(404, \"",
            "problem(502, \"",
            "problem(503, \"",
            "problem(504, \"",
            "refusal(surface, 401, \"",
            "jsonError(503, \"",
            "jsonError(504, \"",
        ] {
            for part in text.split(marker).skip(1) {
                if let Some(code) = part.split('"').next() {
                    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    {
                        codes.insert(code.to_owned());
                    }
                }
            }
        }
    }
    codes
}

#[test]
fn the_openapi_document_lists_what_the_functions_answer() {
    let documented = documented_codes();
    // The scim function answers in SCIM's own error shape (RFC 7644 §3.12), which its RFC
    // and docs/directory-sync.md document, not in the product's `{"error"}` routes.
    let scim_only: BTreeSet<&str> = onboarding::directory::RAISED
        .iter()
        .map(|r| r.code)
        .collect();
    let missing: Vec<_> = mapped_in_rust()
        .into_iter()
        .filter(|code| !documented.contains(code) && !scim_only.contains(code.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "mapped in Rust, missing from openapi/functions.json: {missing:?}"
    );
    let producible = producible_codes();
    let imaginary: Vec<_> = documented
        .iter()
        .filter(|code| !producible.contains(*code))
        .collect();
    assert!(
        imaginary.is_empty(),
        "in openapi/functions.json, answered by no code: {imaginary:?}"
    );
}
