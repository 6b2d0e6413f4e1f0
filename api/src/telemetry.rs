//! Logging. Rule: never log names, ID numbers, phone numbers, addresses or tokens — log ids,
//! counts and codes. Request logs carry the request id, method, path (never the query
//! string, which can hold GraphQL variables), status and latency.
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{LogFormat, Settings};

pub fn init(settings: &Settings) {
    let filter =
        EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to standard error, so that a CLI command's answer on standard output can be
    // piped or captured on its own.
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
