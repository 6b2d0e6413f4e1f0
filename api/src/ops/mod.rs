//! Operations: automatic persisted queries (`persisted`), the request budget shared by replicas
//! (`budget`) and their settings. Metrics are in `crate::metrics`. See `docs/operations.md`.
pub mod budget;
pub mod persisted;

use std::time::Duration;

use secrecy::SecretString;

use crate::config::ConfigError;

/// How `/graphql` treats persisted queries (`APP_PERSISTED_QUERIES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersistedQueryMode {
    /// Apollo APQ: a hash alone runs a known text; a hash with its text registers it. Requests
    /// with a full text and no hash run as usual. The default.
    Automatic,
    /// Only texts registered by `api persisted-queries add` run; nothing registers over HTTP.
    Allowlist,
    /// `extensions.persistedQuery` is refused (PERSISTED_QUERY_NOT_FOUND).
    Off,
}

#[derive(Debug, Clone)]
pub struct OpsSettings {
    pub persisted_queries: PersistedQueryMode,
    /// Requests a caller may send per window; 0 = no budget (`APP_REQUEST_BUDGET`).
    pub request_budget: u32,
    /// The budget's window (`APP_REQUEST_BUDGET_WINDOW_SECS`).
    pub request_budget_window: Duration,
    /// Whether the last address of `X-Forwarded-For` is the client's (`APP_TRUST_FORWARDED_FOR`:
    /// set it only behind a proxy that appends it).
    pub trust_forwarded_for: bool,
    /// Bearer token `/metrics` asks for (`APP_METRICS_TOKEN`). Unset: `/metrics` is open in
    /// development and absent (404) in production.
    pub metrics_token: Option<SecretString>,
}

impl OpsSettings {
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        fn number<T: std::str::FromStr>(
            raw: Option<String>,
            var: &'static str,
            default: T,
        ) -> Result<T, ConfigError> {
            match raw {
                None => Ok(default),
                Some(raw) => raw.trim().parse().map_err(|_| ConfigError {
                    var,
                    message: format!("'{raw}' is not a valid value"),
                }),
            }
        }
        let persisted_queries = match get("APP_PERSISTED_QUERIES").as_deref().map(str::trim) {
            None | Some("auto") | Some("automatic") => PersistedQueryMode::Automatic,
            Some("allowlist") => PersistedQueryMode::Allowlist,
            Some("off") => PersistedQueryMode::Off,
            Some(other) => {
                return Err(ConfigError {
                    var: "APP_PERSISTED_QUERIES",
                    message: format!("'{other}' is not one of auto, allowlist, off"),
                });
            }
        };
        let request_budget = number(
            get("APP_REQUEST_BUDGET"),
            "APP_REQUEST_BUDGET",
            if production { 1200 } else { 0 },
        )?;
        let window: u64 = number(
            get("APP_REQUEST_BUDGET_WINDOW_SECS"),
            "APP_REQUEST_BUDGET_WINDOW_SECS",
            60,
        )?;
        if window == 0 || window > 86_400 {
            return Err(ConfigError {
                var: "APP_REQUEST_BUDGET_WINDOW_SECS",
                message: "must be between 1 and 86400".into(),
            });
        }
        let trust_forwarded_for = match get("APP_TRUST_FORWARDED_FOR").as_deref().map(str::trim) {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                return Err(ConfigError {
                    var: "APP_TRUST_FORWARDED_FOR",
                    message: format!("'{other}' is not true or false"),
                });
            }
        };
        let metrics_token = get("APP_METRICS_TOKEN").map(|t| t.trim().to_string());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError {
                var: "APP_METRICS_TOKEN",
                message: "must be at least 16 characters".into(),
            });
        }
        Ok(Self {
            persisted_queries,
            request_budget,
            request_budget_window: Duration::from_secs(window),
            trust_forwarded_for,
            metrics_token: metrics_token.map(SecretString::from),
        })
    }
}
