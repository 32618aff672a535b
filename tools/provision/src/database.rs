//! The database step: `migrations/` and then the chosen template, in one transaction,
//! over a direct PostgreSQL connection; every table in `public` must have RLS enabled
//! before the transaction commits, so an insecure schema is never left behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres::Client;

#[derive(Debug, thiserror::Error)]
pub enum DbStepError {
    #[error("could not connect to the project's database: {0}")]
    Connect(String),
    #[error("{file}: {message} (nothing was applied)")]
    Sql { file: String, message: String },
    #[error("row-level security is not enabled on: {} (nothing was applied)", .0.join(", "))]
    RlsMissing(Vec<String>),
    #[error("{0}")]
    Io(String),
}

/// A SQL file to apply once, recorded as `version` in supabase_migrations.schema_migrations
/// (where the Supabase CLI records migrations, so both agree on what is applied).
#[derive(Debug, Clone)]
pub struct SqlFile {
    pub version: String,
    pub name: String,
    pub path: PathBuf,
}

/// `migrations/*.sql` in order; the version is the timestamp before the first `_`.
pub fn migration_files(dir: &Path) -> Result<Vec<SqlFile>, DbStepError> {
    let mut files: Vec<SqlFile> = std::fs::read_dir(dir)
        .map_err(|err| DbStepError::Io(format!("{}: {err}", dir.display())))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .filter_map(|path| {
            let stem = path.file_stem()?.to_str()?.to_owned();
            let version = stem.split('_').next()?.to_owned();
            Some(SqlFile {
                version,
                name: stem,
                path,
            })
        })
        .collect();
    files.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(files)
}

/// Connects with TLS (the system's web roots) unless the URL says `sslmode=disable`.
pub async fn connect(url: &str) -> Result<Client, DbStepError> {
    let error = |err: tokio_postgres::Error| DbStepError::Connect(err.to_string());
    if url.contains("sslmode=disable") {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(error)?;
        tokio::spawn(connection);
        return Ok(client);
    }
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| DbStepError::Connect(err.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) = tokio_postgres::connect(url, tls).await.map_err(error)?;
    tokio::spawn(connection);
    Ok(client)
}

/// Applies what is not yet applied, verifies RLS, and commits only then. Returns the
/// versions applied by this run.
pub async fn apply(client: &mut Client, files: &[SqlFile]) -> Result<Vec<String>, DbStepError> {
    let sql_error = |file: &str| {
        let file = file.to_owned();
        move |err: tokio_postgres::Error| DbStepError::Sql {
            file: file.clone(),
            message: err
                .as_db_error()
                .map_or_else(|| err.to_string(), |db| db.message().to_owned()),
        }
    };
    let transaction = client.transaction().await.map_err(sql_error("begin"))?;
    transaction
        .batch_execute(
            "create schema if not exists supabase_migrations;
             create table if not exists supabase_migrations.schema_migrations (
               version text primary key, name text, statements text[])",
        )
        .await
        .map_err(sql_error("supabase_migrations"))?;
    let mut applied = Vec::new();
    for file in files {
        let done = transaction
            .query_opt(
                "select 1 from supabase_migrations.schema_migrations where version = $1",
                &[&file.version],
            )
            .await
            .map_err(sql_error(&file.name))?;
        if done.is_some() {
            continue;
        }
        let sql = std::fs::read_to_string(&file.path)
            .map_err(|err| DbStepError::Io(format!("{}: {err}", file.path.display())))?;
        transaction
            .batch_execute(&sql)
            .await
            .map_err(sql_error(&file.name))?;
        transaction
            .execute(
                "insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)",
                &[&file.version, &file.name],
            )
            .await
            .map_err(sql_error(&file.name))?;
        applied.push(file.version.clone());
    }
    let missing = tables_without_rls(&transaction)
        .await
        .map_err(sql_error("verification"))?;
    if !missing.is_empty() {
        return Err(DbStepError::RlsMissing(missing));
    }
    transaction.commit().await.map_err(sql_error("commit"))?;
    Ok(applied)
}

/// Tables (and partitioned tables) in `public` without row-level security.
pub async fn tables_without_rls(
    client: &impl tokio_postgres::GenericClient,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
             order by 1",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}
