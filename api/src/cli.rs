//! The command line: `api [serve]`, `api migrate`, `api account create`, `api print-schema`,
//! `api import areas FILE.csv`, `api import households FILE.csv`, `api seed-demo`,
//! `api rollup rebuild|check`, `api persisted-queries add FILE...`.
use std::{
    io::BufRead,
    path::{Path, PathBuf},
    time::Instant,
};

use clap::{Parser, Subcommand, ValueEnum};
use entity::enums::Role;
use secrecy::ExposeSecret;

use crate::{
    account::service::{NewAccount, create_account},
    area::service::import_areas,
    audit::service::Actor,
    auth::Scope,
    config::{DEFAULT_DEMO_PASSWORD, Settings},
    db,
    demo::{DemoOptions, seed_demo},
    household::import::{
        ImportOutcome, ImportProgress, ImportRowResult, ImportTotals, import_households,
    },
    pii::PiiCipher,
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
    /// Fill an empty database with synthetic demo data: villages and about 3,000 households
    /// in the 7 SRA provinces, and the demo accounts (password from APP_DEMO_PASSWORD).
    SeedDemo {
        /// Seed even if the database holds households already (demo households that exist
        /// are left as they are).
        #[arg(long)]
        force: bool,
    },
    /// The dashboard rollups (`docs/rollups.md`).
    Rollup {
        #[command(subcommand)]
        command: RollupCommand,
    },
    /// Persisted queries (`docs/operations.md`).
    PersistedQueries {
        #[command(subcommand)]
        command: PersistedQueryCommand,
    },
    /// Housekeeping (`docs/operations.md` "Retention").
    Maintenance {
        #[command(subcommand)]
        command: MaintenanceCommand,
    },
}

#[derive(Subcommand)]
pub enum MaintenanceCommand {
    /// Run one pruning pass now (what every server does each APP_PRUNE_INTERVAL_SECS): drop
    /// change-log rows, idempotency keys, request-budget windows and persisted queries past
    /// their retention; prints what it removed. Safe to run while servers run, and twice.
    Prune,
}

#[derive(Subcommand)]
pub enum PersistedQueryCommand {
    /// Register each file's text (one GraphQL document per file) under its SHA-256, the way
    /// clients send it; prints `hash  file`. The texts pass the request limits first. This is
    /// how texts get onto the allow-list (`APP_PERSISTED_QUERIES=allowlist`).
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum RollupCommand {
    /// Rebuild the rollups from the records, in one transaction.
    Rebuild,
    /// Compare the rollups with a recount from the records: prints the number of differing
    /// rows (and the first of them on standard error); exits non-zero when there are any.
    Check,
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
    /// Import households, one row per person (format: see api/src/household/import.rs or
    /// the README). Safe to run again: known households are updated, not duplicated.
    Households {
        file: PathBuf,
        /// Write every row that was not created (line, household_key, outcome, reason) to
        /// this CSV file.
        #[arg(long)]
        report: Option<PathBuf>,
        /// All or nothing: when any household is rejected or a duplicate, roll back the
        /// whole file (nothing is imported).
        #[arg(long)]
        strict: bool,
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
            .await?;
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
            let result = import_areas(&db, std::io::BufReader::new(reader)).await?;
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
        Command::Import {
            command:
                ImportCommand::Households {
                    file,
                    report,
                    strict,
                },
        } => {
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            let pii = pii_cipher(&settings)?;
            import_households_file(&db, &pii, &file, report.as_deref(), strict).await?;
        }
        Command::Rollup { command } => {
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            rollup_command(&db, command).await?;
        }
        Command::PersistedQueries {
            command: PersistedQueryCommand::Add { files },
        } => {
            // Every file is read and checked before anything is stored.
            let mut texts = Vec::with_capacity(files.len());
            for file in &files {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                let hash = crate::ops::persisted::checked_hash(&text, &settings.limits)
                    .map_err(|m| anyhow::anyhow!("{}: {m}", file.display()))?;
                texts.push((hash, text));
            }
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            for ((hash, text), file) in texts.iter().zip(&files) {
                crate::ops::persisted::store(&db, hash, text).await?;
                println!("{hash}  {}", file.display());
            }
        }
        Command::Maintenance {
            command: MaintenanceCommand::Prune,
        } => {
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            let pruned = crate::maintenance::prune(&db, &settings.ops, chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("pruning failed: {e:?}"))?;
            println!("pruned: {pruned}");
        }
        Command::SeedDemo { force } => {
            let db = db::connect(&settings).await?;
            db::prepare(&db).await?;
            let pii = pii_cipher(&settings)?;
            let started = Instant::now();
            let summary = seed_demo(
                &db,
                &pii,
                &settings,
                DemoOptions {
                    force,
                    ..DemoOptions::default()
                },
            )
            .await?;
            let t = summary.import;
            println!(
                "villages: {} created; households: {} created, {} already there; {} lifecycle \
                 transitions; {} consents ({:.1} s)",
                summary.villages_created,
                t.created,
                t.updated + t.unchanged,
                summary.transitions,
                summary.consents,
                started.elapsed().as_secs_f64()
            );
            match &summary.story {
                Some(s) => println!(
                    "story (Lampang): {} technologies and {} services from 2 agencies; {} \
                     assessments over two rounds; a matching run with {} matches, one at each \
                     status; {} cases, {} consented referrals and {} refused for want of \
                     consent; {} interventions; {} visits; {} relapse after graduation",
                    s.technologies,
                    s.services,
                    s.assessments,
                    s.matches,
                    s.cases,
                    s.referrals,
                    s.referrals_refused_for_consent,
                    s.interventions,
                    s.visits,
                    s.relapses
                ),
                None => println!(
                    "story: not told now (an earlier seed told it, or there are fewer than {} \
                     verified or enrolled Lampang households to tell it with)",
                    crate::demo::story::STORY_HOUSEHOLDS
                ),
            }
            println!("households per SRA province:");
            for (code, name, count) in &summary.households_by_province {
                println!("  {code} {name:<12} {count:>6}");
            }
            println!(
                "demo accounts (password: {}):",
                if settings.demo_password.expose_secret() == DEFAULT_DEMO_PASSWORD {
                    format!(
                        "{DEFAULT_DEMO_PASSWORD}, the default; set APP_DEMO_PASSWORD to choose another"
                    )
                } else {
                    "the value of APP_DEMO_PASSWORD".to_string()
                }
            );
            for (login, role, created) in &summary.accounts {
                println!(
                    "  {login:<22} {:<12} {}",
                    format!("{role:?}").to_uppercase(),
                    if *created {
                        "created"
                    } else {
                        "existed, left as it was"
                    }
                );
            }
        }
    }
    Ok(())
}

/// `api rollup rebuild` and `api rollup check`.
async fn rollup_command(
    db: &sea_orm::DatabaseConnection,
    command: RollupCommand,
) -> anyhow::Result<()> {
    match command {
        RollupCommand::Rebuild => {
            let started = Instant::now();
            let s = crate::rollup::rebuild(db).await?;
            println!(
                "rollups rebuilt: {} households, {} contribution rows, {} rollup rows ({:.1} s)",
                s.households,
                s.contribution_rows,
                s.rollup_rows,
                started.elapsed().as_secs_f64()
            );
        }
        RollupCommand::Check => {
            let differences = crate::rollup::check(db).await?;
            println!("{} differing rows", differences.len());
            for d in differences.iter().take(20) {
                eprintln!(
                    "{} {} {}: stored n={} quantity={} amount_satang={}, recounted n={} \
                     quantity={} amount_satang={}",
                    if d.area_code.is_empty() {
                        "''"
                    } else {
                        &d.area_code
                    },
                    d.metric,
                    d.bucket,
                    d.stored.n,
                    d.stored.quantity,
                    d.stored.amount_satang,
                    d.recounted.n,
                    d.recounted.quantity,
                    d.recounted.amount_satang
                );
            }
            if !differences.is_empty() {
                anyhow::bail!(
                    "the rollups differ from a recount in {} rows; `api rollup rebuild` rebuilds them",
                    differences.len()
                );
            }
        }
    }
    Ok(())
}

fn pii_cipher(settings: &Settings) -> anyhow::Result<PiiCipher> {
    PiiCipher::new(
        &settings.pii.key_id,
        &settings.pii.keys,
        &settings.pii.hash_key,
    )
}

/// `api import households`: streams the file, shows progress on a terminal, writes the
/// report, prints the first problems and a summary; fails (exit 1) when any household was
/// rejected or a duplicate. `strict`: the whole file in one transaction, rolled back then.
pub async fn import_households_file(
    db: &sea_orm::DatabaseConnection,
    pii: &PiiCipher,
    file: &Path,
    report: Option<&Path>,
    strict: bool,
) -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    if !strict {
        return import_households_through(db, pii, file, report, false).await;
    }
    let txn = db.begin().await?;
    match import_households_through(&txn, pii, file, report, true).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(())
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

async fn import_households_through<C: crate::household::import::ImportDb>(
    db: &C,
    pii: &PiiCipher,
    file: &Path,
    report: Option<&Path>,
    strict: bool,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    const SHOWN: usize = 20;
    let input =
        std::fs::File::open(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let size = input.metadata()?.len();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {percent:>3}%  {msg}  ETA {eta}")
        {
            bar.set_style(style);
        }
        bar
    });
    let mut writer = match report {
        Some(path) => {
            let mut w = csv::Writer::from_path(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            w.write_record(["line", "household_key", "outcome", "reason"])?;
            Some(w)
        }
        None => None,
    };
    let mut write_error: Option<csv::Error> = None;
    let mut problems = 0usize;
    let mut missing_villages = 0u64;
    let mut last = ImportTotals::default();
    let started = Instant::now();
    let mut sink = |r: &ImportRowResult| {
        if r.outcome == ImportOutcome::Created {
            return;
        }
        if let Some(w) = writer.as_mut()
            && write_error.is_none()
            && let Err(e) = w.write_record([
                r.line.to_string().as_str(),
                &r.household_key,
                r.outcome.as_str(),
                r.reason.as_deref().unwrap_or(""),
            ])
        {
            write_error = Some(e);
        }
        if matches!(
            r.outcome,
            ImportOutcome::Rejected | ImportOutcome::Duplicate
        ) {
            problems += 1;
            if r.reason
                .as_deref()
                .is_some_and(|reason| reason.contains("unknown village code"))
            {
                missing_villages += 1;
            }
            if problems <= SHOWN {
                let line = format!(
                    "{} {}: {}",
                    r.outcome.as_str(),
                    r.household_key,
                    r.reason.as_deref().unwrap_or("")
                );
                match &bar {
                    Some(bar) => bar.suspend(|| eprintln!("{line}")),
                    None => eprintln!("{line}"),
                }
            }
        }
    };
    let mut progress = |p: ImportProgress| {
        last = p.totals;
        if let Some(bar) = &bar {
            let rate = p.totals.households as f64 / started.elapsed().as_secs_f64().max(0.001);
            bar.set_position(p.bytes_read);
            bar.set_message(format!(
                "{} rows, {} households, {rate:.0} households/s",
                p.totals.rows, p.totals.households
            ));
        }
    };
    let result = import_households(
        db,
        pii,
        &Scope::All,
        &Actor::system("import"),
        input,
        &mut sink,
        &mut progress,
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if let Some(mut w) = writer {
        w.flush()?;
    }
    if let Some(e) = write_error {
        anyhow::bail!("writing the report: {e}");
    }
    if problems > SHOWN {
        eprintln!(
            "… and {} more rows not imported{}",
            problems - SHOWN,
            if report.is_some() {
                " (all in the report)"
            } else {
                " (use --report FILE to list them all)"
            }
        );
    }
    let totals = match result {
        Ok(totals) => totals,
        Err(e) => {
            eprintln!("stopped: {}", summary_line(&last, started));
            return Err(e.into());
        }
    };
    println!("{}", summary_line(&totals, started));
    if missing_villages > 0 {
        eprintln!("{}", missing_villages_hint(missing_villages));
    }
    let refused = totals.rejected + totals.duplicate;
    if refused > 0 {
        anyhow::bail!(
            "{refused} of {} households were not imported ({} rejected, {} duplicate){}",
            totals.households,
            totals.rejected,
            totals.duplicate,
            if strict {
                "; --strict: the whole file was rolled back, nothing was imported"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// What to do when rows name villages the database does not know: only provinces, districts
/// and subdistricts ship with the service.
pub fn missing_villages_hint(rows: u64) -> String {
    format!(
        "hint: {rows} rows name a village code the database does not know. Only \
         provinces, districts and subdistricts ship with the service; import your villages \
         first with `api import areas villages.csv` (header \
         code,level,parent_code,name_th,name_en,postal_code,lat,lng,region; level VILLAGE; a \
         village code is its subdistrict's code plus the 2-digit หมู่ number), then run this \
         import again"
    )
}

fn summary_line(t: &ImportTotals, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    format!(
        "households: {} read, {} created, {} updated, {} unchanged, {} duplicate, {} rejected; \
         {} rows in {secs:.1} s ({:.0} households/s)",
        t.households,
        t.created,
        t.updated,
        t.unchanged,
        t.duplicate,
        t.rejected,
        t.rows,
        t.households as f64 / secs.max(0.001)
    )
}
