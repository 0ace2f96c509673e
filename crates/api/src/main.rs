//! `juragan`: serve the shop, migrate the database, print the API document.

use std::path::PathBuf;

use anyhow::Context;
use api::config::AppEnv;
use api::{Application, MIGRATOR, Settings, app, demo, openapi, telemetry};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "juragan",
    version,
    about = "Storefront, billing, provisioning and monitoring for a hosting reseller"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP and run the job workers (configured from the environment).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the shop owner's account (password from OWNER_PASSWORD or a prompt).
    CreateOwner {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Development only: demo accounts for trying the shop (idempotent).
    SeedDemo,
    /// Import hosts and account sales from an .xlsx (sheets named like VPS
    /// and AKUN): prints the preview's problems, then writes the valid rows
    /// unless --dry-run.
    ImportXlsx {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the OpenAPI document (to stdout, or to --output).
    Openapi {
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi { output } = &cli.command {
        // Needs no configuration: the document is built from the code alone.
        let document = openapi::document_json();
        return match output {
            Some(path) => std::fs::write(path, document)
                .with_context(|| format!("writing {}", path.display())),
            None => {
                print!("{document}");
                Ok(())
            }
        };
    }

    let settings = Settings::from_env().context("configuration")?;
    telemetry::init_tracing(settings.log_format, settings.owner_alert_level);
    app::install_crypto_provider();

    match cli.command {
        Command::Serve => {
            // Thousands of checks in flight need more than the usual 1024 descriptors.
            match monitoring::probe::raise_fd_limit() {
                Ok(limit) => tracing::info!(limit, "open file limit"),
                Err(error) => tracing::warn!(%error, "could not raise the open file limit"),
            }
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            let pool = app::connect_database(&settings).await?;
            MIGRATOR.run(&pool).await.context("running migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateOwner { email, name } => {
            let password = match std::env::var("OWNER_PASSWORD") {
                Ok(password) if !password.is_empty() => password,
                _ => rpassword::prompt_password("Owner password (at least 10 characters): ")
                    .context("reading the password")?,
            };
            let pool = app::connect_database(&settings).await?;
            let redis = app::connect_redis(&settings).await?;
            let identity = app::build_identity(&settings, pool, redis)?;
            let id = identity
                .create_owner(&email, &name, &password)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            println!(
                "owner {email} created ({id}); sign in at {}/login",
                settings.public_base_url
            );
            Ok(())
        }
        Command::SeedDemo => {
            anyhow::ensure!(
                settings.app_env != AppEnv::Production,
                "seed-demo refuses to run with APP_ENV=production"
            );
            let pool = app::connect_database(&settings).await?;
            let redis = app::connect_redis(&settings).await?;
            let identity = app::build_identity(&settings, pool.clone(), redis)?;
            demo::seed(&identity, &pool, &app::sealer(&settings)?).await
        }
        Command::ImportXlsx { file, dry_run } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pool = app::connect_database(&settings).await?;
            let name = file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Staged like an upload: the rows go to the row tables as they
            // are read, so the command never holds the whole file's rows.
            // The shell is the operator's: private networks are allowed,
            // the shop's other address rules still hold.
            let writer = monitoring::host::WriteContext {
                today: domain::Clock::system(settings.shop_calendar).today(),
                addresses: settings.monitor.addresses,
                private_permitted: true,
            };
            let staged = monitoring::import::stage(&pool, None, &name, bytes, writer)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            let summary = &staged.summary;
            println!(
                "hosts: {} rows, {} valid ({} new, {} to update, {} unchanged); account sales: {} rows, {} valid ({} new, {} duplicates)",
                summary.parsed.hosts.total_rows,
                summary.parsed.hosts.valid_rows,
                summary.hosts.new,
                summary.hosts.update,
                summary.hosts.unchanged,
                summary.parsed.account_sales.total_rows,
                summary.parsed.account_sales.valid_rows,
                summary.account_sales.new,
                summary.account_sales.duplicate
            );
            let only_problems = monitoring::import::RowQuery {
                status: Some(monitoring::import::RowStatus::Invalid),
                offset: None,
                limit: Some(100),
            };
            let host_rows = monitoring::import::hosts(&pool, staged.id, &only_problems)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            let sale_rows = monitoring::import::account_sales(&pool, staged.id, &only_problems)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            let problems = host_rows
                .rows
                .iter()
                .map(|row| (&row.sheet, row.row, &row.problems))
                .chain(
                    sale_rows
                        .rows
                        .iter()
                        .map(|row| (&row.sheet, row.row, &row.problems)),
                );
            for (sheet, row, problems) in problems.take(100) {
                let text: Vec<String> = problems
                    .iter()
                    .map(|problem| format!("{}: {}", problem.field, problem.message))
                    .collect();
                println!("  {sheet} row {row}: {}", text.join("; "));
            }
            let mut tx = pool.begin().await?;
            if dry_run {
                monitoring::import::cancel(&mut tx, staged.id)
                    .await
                    .map_err(|error| anyhow::anyhow!("{error}"))?;
                tx.commit().await?;
                println!("dry run: nothing written");
                return Ok(());
            }
            let confirmed = monitoring::import::confirm(&mut tx, staged.id, false, writer.today)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            tx.commit().await?;
            println!("{}", serde_json::to_string_pretty(&confirmed.outcome)?);
            Ok(())
        }
        Command::Openapi { .. } => Ok(()),
    }
}
