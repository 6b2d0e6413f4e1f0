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
    /// What pruning keeps and how it runs (`crate::maintenance`).
    pub retention: Retention,
}

/// How long housekeeping keeps rows that would otherwise grow forever (docs/operations.md
/// "Retention"), and how it prunes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Days change-log rows stay (`APP_RETAIN_CHANGE_LOG_DAYS`, default 90): a superseded row
    /// or the rows of a deleted record older than this are removed; a device that has not
    /// synced for longer may have to sync again from null.
    pub change_log_days: u32,
    /// Days an idempotency key is honoured (`APP_RETAIN_IDEMPOTENCY_KEYS_DAYS`, default 30).
    pub idempotency_key_days: u32,
    /// Days a persisted query may go unused before it is dropped
    /// (`APP_RETAIN_PERSISTED_QUERIES_DAYS`, default 90; 0 keeps them; never in allow-list
    /// mode).
    pub persisted_query_days: u32,
    /// How often each replica runs a pruning pass (`APP_PRUNE_INTERVAL_SECS`, default 3600;
    /// 0: only `api maintenance prune`).
    pub interval: Duration,
    /// Rows one DELETE removes at most (`APP_PRUNE_BATCH`, default 1000).
    pub batch: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            change_log_days: 90,
            idempotency_key_days: 30,
            persisted_query_days: 90,
            interval: Duration::from_secs(3600),
            batch: 1000,
        }
    }
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
        let d = Retention::default();
        let days = |var: &'static str, default: u32, min: u32| -> Result<u32, ConfigError> {
            let v: u32 = number(get(var), var, default)?;
            if v < min || v > 36_500 {
                return Err(ConfigError {
                    var,
                    message: format!("must be between {min} and 36500"),
                });
            }
            Ok(v)
        };
        let batch: u64 = number(get("APP_PRUNE_BATCH"), "APP_PRUNE_BATCH", d.batch)?;
        if !(1..=100_000).contains(&batch) {
            return Err(ConfigError {
                var: "APP_PRUNE_BATCH",
                message: "must be between 1 and 100000".into(),
            });
        }
        let retention = Retention {
            change_log_days: days("APP_RETAIN_CHANGE_LOG_DAYS", d.change_log_days, 1)?,
            idempotency_key_days: days(
                "APP_RETAIN_IDEMPOTENCY_KEYS_DAYS",
                d.idempotency_key_days,
                1,
            )?,
            persisted_query_days: days(
                "APP_RETAIN_PERSISTED_QUERIES_DAYS",
                d.persisted_query_days,
                0,
            )?,
            interval: Duration::from_secs(number(
                get("APP_PRUNE_INTERVAL_SECS"),
                "APP_PRUNE_INTERVAL_SECS",
                d.interval.as_secs(),
            )?),
            batch,
        };
        Ok(Self {
            retention,
            persisted_queries,
            request_budget,
            request_budget_window: Duration::from_secs(window),
            trust_forwarded_for,
            metrics_token: metrics_token.map(SecretString::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(vars: &[(&str, &str)]) -> Result<OpsSettings, ConfigError> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        OpsSettings::from_lookup(&|name: &str| vars.get(name).cloned(), false)
    }

    #[test]
    fn retention_has_documented_defaults_and_refuses_out_of_range_values() {
        let r = ops(&[]).unwrap().retention;
        assert_eq!(
            (
                r.change_log_days,
                r.idempotency_key_days,
                r.persisted_query_days,
                r.interval,
                r.batch
            ),
            (90, 30, 90, Duration::from_secs(3600), 1000)
        );
        let r = ops(&[
            ("APP_RETAIN_CHANGE_LOG_DAYS", "7"),
            ("APP_RETAIN_PERSISTED_QUERIES_DAYS", "0"),
            ("APP_PRUNE_INTERVAL_SECS", "0"),
        ])
        .unwrap()
        .retention;
        assert_eq!(
            (r.change_log_days, r.persisted_query_days, r.interval),
            (7, 0, Duration::ZERO)
        );
        for (var, value) in [
            ("APP_RETAIN_CHANGE_LOG_DAYS", "0"),
            ("APP_RETAIN_IDEMPOTENCY_KEYS_DAYS", "0"),
            ("APP_RETAIN_CHANGE_LOG_DAYS", "ninety"),
            ("APP_PRUNE_BATCH", "0"),
            ("APP_PRUNE_BATCH", "1000000"),
        ] {
            let err = ops(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{var}={value}");
        }
    }
}
