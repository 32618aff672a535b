//! The run's generated secrets: passwords from the CSPRNG, and the secrets file kept
//! (mode 0600) across runs so that an interrupted run can resume.

use crate::Failure;
use platform::config::Secret;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// A password of `len` characters from `[A-Za-z0-9]`, from the CSPRNG, without bias.
pub fn generate_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut password = String::with_capacity(len);
    while password.len() < len {
        for byte in platform::runtime::random_bytes::<64>() {
            // 248 = 4 × 62: bytes above it would favour the first characters.
            if byte < 248 && password.len() < len {
                password.push(ALPHABET[(byte % 62) as usize] as char);
            }
        }
    }
    password
}

/// The secrets file: JSON, mode 0600, kept across runs so an interrupted run can resume.
pub(crate) struct SecretsFile {
    path: Option<PathBuf>,
    values: Map<String, Value>,
}

impl SecretsFile {
    pub(crate) fn open(path: Option<PathBuf>) -> Result<Self, Failure> {
        let values = match &path {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| Failure::Config(format!("{}: {err}", path.display())))?;
                serde_json::from_str(&text).map_err(|_| {
                    Failure::Config(format!(
                        "{} is not a secrets file of this tool",
                        path.display()
                    ))
                })?
            }
            _ => Map::new(),
        };
        Ok(SecretsFile { path, values })
    }

    pub(crate) fn get(&self, key: &str) -> Option<Secret> {
        self.values
            .get(key)
            .and_then(Value::as_str)
            .map(Secret::new)
    }

    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), Failure> {
        self.values.insert(key.to_owned(), json!(value));
        let Some(path) = &self.path else {
            return Ok(());
        };
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)?;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(
                serde_json::to_string_pretty(&self.values)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
            file.sync_all()
        };
        write().map_err(|err| {
            Failure::Config(format!(
                "could not write the secrets file {}: {err}",
                path.display()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn passwords_are_32_alphanumerics_and_differ() {
        let password = generate_password(32);
        assert_eq!(password.len(), 32);
        assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(password, generate_password(32));
    }
}
