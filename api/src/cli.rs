//! The command line: `api [serve]`, `api migrate`, `api account create`, `api print-schema`,
//! `api import areas FILE.csv`.
use std::{io::BufRead, path::PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use entity::enums::Role;

use crate::{
    account::service::{NewAccount, create_account},
    area::service::import_areas,
    audit::service::Actor,
    config::Settings,
    db,
    startup::Application,
};

#[derive(Parser)]
#[command(name = "api", version, about = "PPAOS GraphQL API server and tools")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply migrations and load reference data, then exit.
    Migrate,
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Print the GraphQL schema (SDL, sorted).
    PrintSchema,
    /// Import data from files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account; the password is read from standard input, never from the command
    /// line (e.g. `api account create --login admin --role admin`, then type it).
    Create {
        #[arg(long)]
        login: String,
        #[arg(long, value_enum)]
        role: CliRole,
        /// Name shown to other users (defaults to the login).
        #[arg(long)]
        display_name: Option<String>,
        /// DOPA area code prefix (repeatable); required for coordinator and surveyor.
        #[arg(long = "area-scope")]
        area_scopes: Vec<String>,
        /// Agency id (UUID) for agency accounts.
        #[arg(long)]
        agency_id: Option<uuid::Uuid>,
    },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import areas (villages, corrections) from a CSV in the format of `api/data/areas.csv`.
    Areas {
        file: PathBuf,
        /// Write the rejected rows (line, reason) to this CSV file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CliRole {
    Admin,
    Coordinator,
    Surveyor,
    Agency,
    Analyst,
}

impl From<CliRole> for Role {
    fn from(r: CliRole) -> Self {
        match r {
            CliRole::Admin => Role::Admin,
            CliRole::Coordinator => Role::Coordinator,
            CliRole::Surveyor => Role::Surveyor,
            CliRole::Agency => Role::Agency,
            CliRole::Analyst => Role::Analyst,
        }
    }
}

/// Reads the password: hidden prompt on a terminal, one line from a pipe otherwise.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Repeat password: ")?;
        if first != again {
            anyhow::bail!("the passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        anyhow::bail!("no password given on standard input");
    }
    Ok(password)
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            tracing::info!("database is up to date");
        }
        Command::PrintSchema => {
            print!("{}", crate::graphql::schema::sdl());
        }
        Command::Account {
            command:
                AccountCommand::Create {
                    login,
                    role,
                    display_name,
                    area_scopes,
                    agency_id,
                },
        } => {
            let password = read_password()?;
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            let account = create_account(
                &db,
                &Actor::system("cli"),
                NewAccount {
                    display_name: display_name.unwrap_or_else(|| login.clone()),
                    login,
                    password,
                    role: role.into(),
                    area_scopes,
                    agency_id,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            println!(
                "created account {} ({:?}) with id {}",
                account.login, account.role, account.id
            );
        }
        Command::Import {
            command: ImportCommand::Areas { file, report },
        } => {
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            let reader = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let result = import_areas(&db, std::io::BufReader::new(reader))
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
            for (line, reason) in &result.rejected {
                eprintln!("line {line}: {reason}");
            }
            if let Some(path) = report {
                let mut w = csv::Writer::from_path(&path)?;
                w.write_record(["line", "reason"])?;
                for (line, reason) in &result.rejected {
                    w.write_record([line.to_string(), reason.clone()])?;
                }
                w.flush()?;
            }
            println!(
                "areas: {} created, {} updated, {} unchanged, {} rejected",
                result.created,
                result.updated,
                result.unchanged,
                result.rejected.len()
            );
        }
    }
    Ok(())
}

fn describe(e: &crate::error::ApiError) -> String {
    match e {
        crate::error::ApiError::BadUserInput { field, message } => format!("{field}: {message}"),
        other => other.message(),
    }
}
