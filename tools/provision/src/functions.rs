//! What `supabase functions deploy --use-api` uploads for each function of
//! `supabase/config.toml`, computed the way the Supabase CLI computes it
//! (`pkg/function/deploy.go`): the files its `static_files` patterns match, then the
//! entrypoint and every local module it imports, found by the CLI's own import pattern
//! and walked depth first. Paths are relative to the project directory (the CLI's working
//! directory), e.g. `supabase/functions/validate-invite/index.ts`. The local stack
//! bundles its functions with the same computation (`provision files`), and the deploy
//! check holds it to what the real CLI uploads.

use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

/// One function as the deploy endpoint takes it: metadata and files.
#[derive(Debug, Clone)]
pub struct FunctionUpload {
    pub slug: String,
    pub verify_jwt: bool,
    pub entrypoint_path: String,
    pub static_patterns: Vec<String>,
    /// (path relative to the project directory, contents), in upload order.
    pub files: Vec<(String, Vec<u8>)>,
}

impl FunctionUpload {
    /// The `metadata` part of the multipart body (`FunctionDeployBody.metadata`).
    pub fn metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.slug,
            "entrypoint_path": self.entrypoint_path,
            "verify_jwt": self.verify_jwt,
            "static_patterns": self.static_patterns,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("supabase/config.toml: {0}")]
    Config(String),
}

#[derive(Deserialize)]
struct ConfigToml {
    #[serde(default)]
    functions: BTreeMap<String, FunctionSection>,
}

#[derive(Deserialize)]
struct FunctionSection {
    #[serde(default = "enabled")]
    enabled: bool,
    #[serde(default = "enabled")]
    verify_jwt: bool,
    entrypoint: Option<String>,
    #[serde(default)]
    static_files: Vec<String>,
}

fn enabled() -> bool {
    true
}

/// The CLI's pattern for a module's imports (`importPathPattern` in `pkg/function/deno.go`):
/// `import … from "x"`, `export … from "x"`, `import "x"`, and `import("x")`.
static IMPORT_PATH: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:import|export)\s+(?:type\s+)?(?:\{[^{}]+\}|.*?)\s*(?:from)?\s*['"](.*?)['"]|import\(\s*['"](.*?)['"]\)"#,
    )
    .ok()
});

/// Every enabled function of `<project_dir>/supabase/config.toml`, with its files read.
pub fn read_functions(project_dir: &Path) -> Result<Vec<FunctionUpload>, BundleError> {
    let config_path = project_dir.join("supabase/config.toml");
    let text = std::fs::read_to_string(&config_path).map_err(|err| BundleError::File {
        path: config_path.display().to_string(),
        message: err.to_string(),
    })?;
    let config: ConfigToml =
        toml::from_str(&text).map_err(|err| BundleError::Config(err.to_string()))?;
    let from_supabase_dir = |path: &str| format!("supabase/{}", path.trim_start_matches("./"));
    config
        .functions
        .into_iter()
        .filter(|(_, section)| section.enabled)
        .map(|(slug, section)| {
            let entrypoint = from_supabase_dir(
                section
                    .entrypoint
                    .as_deref()
                    .unwrap_or(&format!("./functions/{slug}/index.ts")),
            );
            let static_patterns: Vec<String> = section
                .static_files
                .iter()
                .map(|pattern| from_supabase_dir(pattern))
                .collect();
            let files = deployed_files(project_dir, &entrypoint, &static_patterns)?
                .into_iter()
                .map(|path| {
                    let bytes = std::fs::read(project_dir.join(&path)).map_err(|err| {
                        BundleError::File {
                            path: path.clone(),
                            message: err.to_string(),
                        }
                    })?;
                    Ok((path, bytes))
                })
                .collect::<Result<_, BundleError>>()?;
            Ok(FunctionUpload {
                slug,
                verify_jwt: section.verify_jwt,
                entrypoint_path: entrypoint,
                static_patterns,
                files,
            })
        })
        .collect()
}

/// What a deployment of one function holds, paths relative to the project directory, in
/// upload order: the files its `static_files` patterns match, then the entrypoint and the
/// local modules it imports. The one computation of it: the local stack bundles each
/// function with it too (`provision files`, called by local/stack/bundle.ts).
pub fn deployed_files(
    project_dir: &Path,
    entrypoint: &str,
    static_patterns: &[String],
) -> Result<Vec<String>, BundleError> {
    let mut paths = Vec::new();
    for pattern in static_patterns {
        paths.extend(expand_static(project_dir, pattern)?);
    }
    for module in module_graph(project_dir, entrypoint)? {
        if !paths.contains(&module) {
            paths.push(module);
        }
    }
    Ok(paths)
}

/// The files a `static_files` pattern matches (`*` within the last path segment only, as
/// the rest of this repository uses them); a pattern that matches nothing is an error,
/// since the function would read a file it does not have (`make build` first).
fn expand_static(project_dir: &Path, pattern: &str) -> Result<Vec<String>, BundleError> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let missing = |message: String| BundleError::File {
        path: pattern.to_owned(),
        message,
    };
    if dir.contains('*') {
        return Err(missing(
            "only the last path segment may hold a wildcard".into(),
        ));
    }
    let matcher = Regex::new(&format!(
        "^{}$",
        regex::escape(name)
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
    ))
    .map_err(|err| missing(err.to_string()))?;
    let entries = std::fs::read_dir(project_dir.join(dir))
        .map_err(|err| missing(format!("{err} (run `make build` first)")))?;
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|file| matcher.is_match(file))
        .map(|file| format!("{dir}/{file}"))
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(missing("matches no file (run `make build` first)".into()));
    }
    Ok(found)
}

/// The entrypoint and the local modules it imports, transitively: relative specifiers
/// with an extension, as the CLI follows them (URLs, `npm:` and `jsr:` are resolved by
/// the platform, not uploaded).
fn module_graph(project_dir: &Path, entrypoint: &str) -> Result<Vec<String>, BundleError> {
    let pattern = IMPORT_PATH
        .as_ref()
        .ok_or_else(|| BundleError::Config("the import pattern did not compile".into()))?;
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    let mut stack = vec![entrypoint.to_owned()];
    while let Some(current) = stack.pop() {
        if !seen.insert(current.clone()) {
            continue;
        }
        let source = std::fs::read_to_string(project_dir.join(&current)).map_err(|err| {
            BundleError::File {
                path: current.clone(),
                message: err.to_string(),
            }
        })?;
        order.push(current.clone());
        let base = Path::new(&current).parent().unwrap_or(Path::new(""));
        for captures in pattern.captures_iter(&source) {
            let specifier = captures
                .get(1)
                .filter(|m| !m.as_str().is_empty())
                .or_else(|| captures.get(2))
                .map(|m| m.as_str().trim())
                .unwrap_or_default();
            let relative = specifier.starts_with("./") || specifier.starts_with("../");
            if !relative || Path::new(specifier).extension().is_none() {
                continue;
            }
            stack.push(clean(&base.join(specifier)));
        }
    }
    Ok(order)
}

/// `path.Clean` for relative paths: `.` dropped, `..` resolved.
fn clean(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    PathBuf::from_iter(parts).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn imports_are_found_as_the_cli_finds_them() {
        let source = r#"
            import * as glue from "./pkg/x.js";
            import { serveWasm } from "../_shared/wasm_host.ts";
            import type { T } from './types.d.ts';
            export { a } from "./reexport.ts";
            import "./side-effect.ts";
            const lazy = await import("./lazy.ts");
            import { serve } from "https://deno.land/std/http/server.ts";
            import postgres from "npm:postgres";
        "#;
        let found: Vec<&str> = IMPORT_PATH
            .as_ref()
            .unwrap()
            .captures_iter(source)
            .filter_map(|c| c.get(1).filter(|m| !m.as_str().is_empty()).or(c.get(2)))
            .map(|m| m.as_str())
            .collect();
        assert_eq!(
            found,
            [
                "./pkg/x.js",
                "../_shared/wasm_host.ts",
                "./types.d.ts",
                "./reexport.ts",
                "./side-effect.ts",
                "./lazy.ts",
                "https://deno.land/std/http/server.ts",
                "npm:postgres"
            ]
        );
        assert_eq!(
            clean(Path::new("supabase/functions/a/../_shared/./x.ts")),
            "supabase/functions/_shared/x.ts"
        );
    }
}
