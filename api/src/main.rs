use clap::Parser;

/// mimalloc instead of glibc malloc: the server makes many small, short-lived allocations on
/// several threads; glibc's malloc/free were 10% of its CPU on the household-detail load
/// (bench/peer). Only the binary: the tests run with the system allocator.
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
