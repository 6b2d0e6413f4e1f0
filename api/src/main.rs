use clap::Parser;

/// mimalloc instead of glibc malloc (feature `mimalloc`, on by default): the server makes many
/// small, short-lived allocations on several threads; glibc's malloc/free were 10% of its CPU
/// on the household-detail load of bench/peer, and with mimalloc the page of 50 households
/// costs 8% less CPU (see `api/Cargo.toml`). Only the binary: the tests use the system
/// allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = api::cli::Cli::parse();
    let settings = match api::config::Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    api::telemetry::init(&settings);
    match api::cli::run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
