//! `juragan`: serve the shop, migrate the database, print the API document.

use std::path::PathBuf;

use anyhow::Context;
use api::{Application, MIGRATOR, Settings, app, openapi, telemetry};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "juragan", version, about = "Storefront, billing, provisioning and monitoring for a hosting reseller")]
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
            Some(path) => std::fs::write(path, document).with_context(|| format!("writing {}", path.display())),
            None => {
                print!("{document}");
                Ok(())
            }
        };
    }

    let settings = Settings::from_env().context("configuration")?;
    telemetry::init_tracing(settings.log_format);
    app::install_crypto_provider();

    match cli.command {
        Command::Serve => Application::build(settings).await?.run_until_stopped().await,
        Command::Migrate => {
            let pool = app::connect_database(&settings).await?;
            MIGRATOR.run(&pool).await.context("running migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Openapi { .. } => Ok(()),
    }
}
