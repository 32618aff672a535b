//! `provision`: create a client's Supabase project and install the schema. See the
//! README's "Provisioning" section; `provision --help` lists the options.

use clap::Parser;
use provision::output::Reporter;
use provision::{template_path, Failure, Job, Provisioner, RegionChoice, Settings, Step};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    version,
    about = "Create a client's Supabase project and install the schema with RLS verified"
)]
struct Args {
    /// The client's id: the project is named client-<id>-prod.
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    client_name: String,
    #[arg(long)]
    org_email: String,
    /// The client's tier: free, starter, pro or enterprise, the plan of its first
    /// organization (free, starter, growth, enterprise). Not sent to Supabase (billing
    /// plans are set on the Supabase organization, not per project).
    #[arg(long, default_value = "pro")]
    tier: String,
    /// A specific region code (see --help of the README; validated before any call).
    /// Default: what Supabase recommends for African clients, else the emea group.
    #[arg(long)]
    region: Option<String>,
    /// A smart region group instead: americas, emea or apac.
    #[arg(long, conflicts_with = "region")]
    region_group: Option<String>,
    /// Deprecated and ignored: the Management API sets plans on the organization.
    #[arg(long, hide = true)]
    plan: Option<String>,
    /// A shipped template (`crm`, the seed's 21 tables) or `none`.
    #[arg(long, default_value = "crm")]
    template: String,
    /// A template of your own instead of a shipped one.
    #[arg(long, conflicts_with = "template")]
    template_file: Option<PathBuf>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../supabase/migrations"))]
    migrations_dir: PathBuf,
    /// The directory holding supabase/config.toml and the built functions (`make build`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    project_dir: PathBuf,
    /// Write the project's secrets here (JSON, mode 0600); also lets an interrupted
    /// run resume with the database password it generated.
    #[arg(long)]
    secrets_file: Option<PathBuf>,
    /// Emit progress as JSON lines on stderr and the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// Give up waiting for ACTIVE_HEALTHY after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    #[arg(long, default_value_t = 5000)]
    poll_interval_ms: u64,
    /// Stop after this step (the rest can be run later by running again).
    #[arg(long, value_enum, default_value = "organization")]
    until: Step,
}

/// `provision migrate`: the schema installer alone, for a database you already have
/// (the local stack uses it): applies what is not yet applied of `migrations/`, recorded
/// in `supabase_migrations.schema_migrations` as the Supabase CLI records them, in one
/// transaction that commits only if every table in `public` has row-level security.
#[derive(Parser)]
#[command(name = "provision migrate")]
struct MigrateArgs {
    /// A PostgreSQL URL; add `sslmode=disable` for a local database without TLS.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../supabase/migrations"))]
    migrations_dir: PathBuf,
}

async fn migrate(args: MigrateArgs) -> i32 {
    use provision::database::{apply, connect, migration_files};
    let result = async {
        let files = migration_files(&args.migrations_dir)?;
        let mut client = connect(&args.database_url).await?;
        apply(&mut client, &files).await
    }
    .await;
    match result {
        Ok(applied) if applied.is_empty() => {
            eprintln!("[migrate] up to date");
            0
        }
        Ok(applied) => {
            eprintln!("[migrate] applied {}", applied.join(", "));
            0
        }
        Err(err) => {
            eprintln!("[migrate] error: {err}");
            5
        }
    }
}

/// `provision files`: what a deployment of one function holds (see
/// `provision::functions::deployed_files`), one path per line; the local stack bundles
/// its functions with it.
#[derive(Parser)]
#[command(name = "provision files")]
struct FilesArgs {
    /// The entrypoint, relative to the project directory.
    #[arg(long)]
    entrypoint: String,
    /// A `static_files` pattern, relative to the project directory (repeatable).
    #[arg(long = "static")]
    static_patterns: Vec<String>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    project_dir: PathBuf,
}

fn files(args: FilesArgs) -> i32 {
    match provision::functions::deployed_files(
        &args.project_dir,
        &args.entrypoint,
        &args.static_patterns,
    ) {
        Ok(paths) => {
            for path in paths {
                println!("{path}");
            }
            0
        }
        Err(err) => {
            eprintln!("[files] {err}");
            2
        }
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("files") {
        std::process::exit(files(FilesArgs::parse_from(std::env::args().skip(1))));
    }
    if std::env::args().nth(1).as_deref() == Some("migrate") {
        let args = MigrateArgs::parse_from(std::env::args().skip(1));
        std::process::exit(migrate(args).await);
    }
    let args = Args::parse();
    let mut out = Reporter::new(args.json);
    let code = match run(&args, &mut out).await {
        Ok(outcome) => {
            if args.json {
                println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
            } else {
                println!(
                    "project   {} ({})",
                    outcome.project_ref, outcome.project_name
                );
                println!("url       {}", outcome.url);
                println!(
                    "anon key  {}",
                    outcome.anon_key.as_deref().unwrap_or("(not available)")
                );
                if let Some(pooler) = &outcome.database_pooler_url {
                    println!("database  {pooler}  (password in the secrets file)");
                }
                if !outcome.functions_deployed.is_empty() {
                    println!("functions {}", outcome.functions_deployed.join(", "));
                }
                if let Some(organization) = &outcome.organization_id {
                    println!("org       {organization} (plan {})", outcome.plan);
                }
                if let Some(link) = &outcome.invite_link {
                    println!(
                        "invite    {link}  (email: {})",
                        outcome.invite_email.as_deref().unwrap_or("not sent")
                    );
                }
                println!("steps     {}", outcome.completed_steps.join(", "));
                match &outcome.secrets_file {
                    Some(path) => println!("secrets   written to {path} (mode 0600)"),
                    None => {
                        println!("secrets   not written anywhere (use --secrets-file to keep them)")
                    }
                }
            }
            0
        }
        Err(failure) => {
            out.fail(&failure.to_string());
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "error": { "kind": kind(&failure), "message": failure.to_string() } })
                );
            }
            failure.exit_code()
        }
    };
    std::process::exit(code);
}

fn kind(failure: &Failure) -> &'static str {
    match failure {
        Failure::Config(_) => "configuration",
        Failure::Api(_) => "api",
        Failure::Verification(_) => "verification",
        Failure::Database(_) => "database",
    }
}

async fn run(args: &Args, out: &mut Reporter) -> Result<provision::Outcome, Failure> {
    let settings = Settings::from_env(&|name| std::env::var(name).ok())?;
    let template = match (&args.template_file, args.template.as_str()) {
        (Some(path), _) => Some(("custom".to_owned(), path.clone())),
        (None, "none") => None,
        (None, name) => {
            let path = template_path(name);
            if !path.exists() {
                return Err(Failure::Config(format!("no template named {name}")));
            }
            Some((name.to_owned(), path))
        }
    };
    let region = RegionChoice::from_args(args.region.as_deref(), args.region_group.as_deref())?;
    if args.plan.is_some() {
        out.progress(
            "project",
            "--plan is ignored: Supabase sets the plan on the organization, not per project",
        );
    }
    let job = Job {
        client_id: args.client_id.clone(),
        client_name: args.client_name.clone(),
        org_email: args.org_email.clone(),
        tier: args.tier.clone(),
        region,
        template,
        migrations_dir: args.migrations_dir.clone(),
        project_dir: args.project_dir.clone(),
        secrets_file: args.secrets_file.clone(),
        timeout: Duration::from_secs(args.timeout_secs),
        poll_interval: Duration::from_millis(args.poll_interval_ms),
        until: args.until,
    };
    Provisioner::new(&settings, &job, out).run().await
}
