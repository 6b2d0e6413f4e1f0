//! Settings, read once from `APP_*` environment variables and passed down as a value.
//!
//! Every variable is listed in the README with its default. A value that does not parse stops
//! startup with the variable's name in the message.
use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};

/// Development-only PII keys (base64 of 32 bytes), refused in production.
pub const DEVELOPMENT_PII_KEY: &str = "ZGV2ZWxvcG1lbnQtb25seS1waWkta2V5LTAxMjM0NTY=";
pub const DEVELOPMENT_PII_HASH_KEY: &str = "ZGV2ZWxvcG1lbnQtb25seS1oYXNoLWtleS0wMTIzNDU=";

/// The secret used when `APP_JWT_SECRET` is not set. Good enough for a laptop, refused in
/// production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-change-me-0123456789";

#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    EdDsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub database_url: SecretString,
    pub database_max_connections: u32,
    /// How long a query waits for a pooled connection (or for the database to come back)
    /// before it fails with SERVICE_UNAVAILABLE.
    pub database_acquire_timeout: Duration,
    pub environment: Environment,
    pub jwt: JwtSettings,
    pub limits: Limits,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub login: LoginSettings,
    /// Delay a DataLoader waits to gather keys into one batch.
    pub dataloader_delay: Duration,
    pub pii: PiiSettings,
    /// Password of the `api seed-demo` accounts.
    pub demo_password: SecretString,
    /// Weights of the recommendation score (see README "Matching").
    pub match_weights: MatchWeights,
    /// Days a partner agency has to act on a referral before it is overdue, when the sender
    /// gives no due date.
    pub referral_sla_days: u32,
    /// Graduation criteria, the monitoring window, dashboard suppression and the evidence
    /// threshold of outcome-based recommendations (`docs/measurement.md`).
    pub measurement: MeasurementSettings,
    /// Limits of subscriptions (`docs/subscriptions.md`).
    pub live: crate::live::LiveSettings,
    /// Persisted queries, the request budget, `/metrics` (`docs/operations.md`).
    pub ops: crate::ops::OpsSettings,
}

/// The thresholds of measurement: who may graduate, how long a graduate is watched, which
/// counts are too small to show, how much evidence a recommendation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementSettings {
    /// The overall ladder level both of the latest two assessments must reach
    /// (`APP_GRADUATION_MIN_LEVEL`, default MANAGEABLE).
    pub graduation_min_level: entity::enums::LadderLevel,
    /// The income level both must reach (`APP_GRADUATION_MIN_INCOME_LEVEL`, default
    /// BELOW_POOREST_40: above the poverty line).
    pub graduation_min_income_level: entity::enums::IncomeLevel,
    /// Days at least between the two assessments (`APP_GRADUATION_MIN_GAP_DAYS`, default 90).
    pub graduation_min_gap_days: u32,
    /// Months a graduate is watched for relapse (`APP_GRADUATION_MONITOR_MONTHS`, default 24).
    pub monitor_months: u32,
    /// Dashboard cells below this are suppressed for viewers without household access
    /// (`APP_SUPPRESSION_K`, default 5).
    pub suppression_k: u32,
    /// Households needed in each group (adopters, comparison) before a technology's measured
    /// effect counts in a recommendation (`APP_EVIDENCE_MIN_SAMPLE`, default 10).
    pub evidence_min_sample: u32,
    /// Seconds a province's computed evidence is used although writes moved its rollups
    /// since (`APP_EVIDENCE_REFRESH_SECS`, default 60; 0: recomputed after every such write).
    pub evidence_refresh_secs: u32,
}

impl Default for MeasurementSettings {
    fn default() -> Self {
        Self {
            graduation_min_level: entity::enums::LadderLevel::Manageable,
            graduation_min_income_level: entity::enums::IncomeLevel::BelowPoorest40,
            graduation_min_gap_days: 90,
            monitor_months: 24,
            suppression_k: 5,
            evidence_min_sample: 10,
            evidence_refresh_secs: 60,
        }
    }
}

/// Weights of the five factors of a technology recommendation; they are normalised to sum 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchWeights {
    pub capital: f64,
    pub income: f64,
    pub affordability: f64,
    pub area: f64,
    pub track_record: f64,
}

impl Default for MatchWeights {
    fn default() -> Self {
        MatchWeights {
            capital: 0.35,
            income: 0.30,
            affordability: 0.15,
            area: 0.10,
            track_record: 0.10,
        }
    }
}

/// Keys protecting national ID numbers (see `pii.rs`).
#[derive(Debug, Clone)]
pub struct PiiSettings {
    /// Key id that encrypts new values.
    pub key_id: String,
    /// Key id → 32-byte key.
    pub keys: BTreeMap<String, Vec<u8>>,
    pub hash_key: Vec<u8>,
}

/// The demo accounts' password when `APP_DEMO_PASSWORD` is not set (refused in production).
pub const DEFAULT_DEMO_PASSWORD: &str = "demo-password-2026";

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub algorithm: JwtAlgorithm,
    /// `kid` of the key that signs new tokens.
    pub kid: String,
    /// HS256 signing secret (≥ 32 bytes).
    pub secret: SecretString,
    /// Older HS256 secrets, by kid, still accepted for verification during a rotation.
    pub previous_secrets: BTreeMap<String, SecretString>,
    /// EdDSA: PEM private key used to sign.
    pub private_key_file: Option<PathBuf>,
    /// EdDSA: PEM public keys by kid (the current one included) used to verify.
    pub public_key_files: BTreeMap<String, PathBuf>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_document_chars: usize,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_batch: usize,
    /// Fields a query may select once its fragments are spread.
    pub max_fields: usize,
    /// Times a selection set may repeat a field it already selected (fragments included).
    pub max_duplicate_fields: usize,
    pub request_timeout: Duration,
    pub statement_timeout: Duration,
    /// `APP_MAX_EXECUTIONS`: GraphQL executions one replica runs at once; the rest wait their
    /// turn, first come first served, within `request_timeout`.
    pub max_executions: usize,
    /// Introspection, suggestions and GraphiQL (always off in production).
    pub introspection: bool,
    /// `APP_PUBLISH_SCHEMA`: whether `GET /schema.graphql` serves the SDL; unset, it follows
    /// `introspection` (see [`Limits::publishes_schema`]).
    pub publish_schema: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// Failures for one login before each further attempt has to wait.
    pub max_failures: i32,
    /// The first wait; it doubles with every further failure.
    pub base_lockout: Duration,
    pub max_lockout: Duration,
}

impl Limits {
    /// Whether `GET /schema.graphql` is routed: `APP_PUBLISH_SCHEMA` when set, otherwise the
    /// introspection setting (so production hides the SDL unless asked to publish it).
    pub fn publishes_schema(&self) -> bool {
        self.publish_schema.unwrap_or(self.introspection)
    }
}

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let environment = match env.get("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "APP_ENV",
                    format!("'{other}' is not one of development, production"),
                ));
            }
        };
        let production = environment == Environment::Production;

        let algorithm = match env.get("APP_JWT_ALGORITHM").as_deref() {
            None | Some("HS256") => JwtAlgorithm::Hs256,
            Some("EdDSA") => JwtAlgorithm::EdDsa,
            Some(other) => {
                return Err(ConfigError::new(
                    "APP_JWT_ALGORITHM",
                    format!("'{other}' is not one of HS256, EdDSA"),
                ));
            }
        };
        let secret = env
            .get("APP_JWT_SECRET")
            .unwrap_or_else(|| DEVELOPMENT_JWT_SECRET.to_string());
        if algorithm == JwtAlgorithm::Hs256 {
            if secret.len() < 32 {
                return Err(ConfigError::new(
                    "APP_JWT_SECRET",
                    "must be at least 32 bytes long",
                ));
            }
            if production && secret == DEVELOPMENT_JWT_SECRET {
                return Err(ConfigError::new(
                    "APP_JWT_SECRET",
                    "production mode refuses the default development secret; set a random secret of at least 32 bytes",
                ));
            }
        }
        let previous_secrets = env
            .pairs("APP_JWT_PREVIOUS_SECRETS")?
            .into_iter()
            .map(|(kid, secret)| {
                if secret.len() < 32 {
                    Err(ConfigError::new(
                        "APP_JWT_PREVIOUS_SECRETS",
                        format!("the secret of kid '{kid}' must be at least 32 bytes long"),
                    ))
                } else {
                    Ok((kid, SecretString::from(secret)))
                }
            })
            .collect::<Result<_, _>>()?;
        let private_key_file = env.get("APP_JWT_PRIVATE_KEY_FILE").map(PathBuf::from);
        let public_key_files: BTreeMap<String, PathBuf> = env
            .pairs("APP_JWT_PUBLIC_KEY_FILES")?
            .into_iter()
            .map(|(kid, path)| (kid, PathBuf::from(path)))
            .collect();
        let kid = env.get("APP_JWT_KID").unwrap_or_else(|| "k1".to_string());
        if algorithm == JwtAlgorithm::EdDsa {
            if private_key_file.is_none() {
                return Err(ConfigError::new(
                    "APP_JWT_PRIVATE_KEY_FILE",
                    "required when APP_JWT_ALGORITHM=EdDSA",
                ));
            }
            if !public_key_files.contains_key(&kid) {
                return Err(ConfigError::new(
                    "APP_JWT_PUBLIC_KEY_FILES",
                    format!("must include the public key of the signing kid '{kid}'"),
                ));
            }
        }

        let introspection = !production && env.parse("APP_INTROSPECTION", true)?;
        let publish_schema = match env.get("APP_PUBLISH_SCHEMA") {
            None => None,
            Some(_) => Some(env.parse("APP_PUBLISH_SCHEMA", false)?),
        };

        let decode_key = |var: &'static str, raw: &str| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(raw.trim())
                .map_err(|_| ConfigError::new(var, "must be base64"))
        };
        let mut pii_keys = BTreeMap::new();
        for (kid, raw) in env.pairs("APP_PII_KEYS")? {
            let key = decode_key("APP_PII_KEYS", &raw)?;
            if key.len() != 32 {
                return Err(ConfigError::new(
                    "APP_PII_KEYS",
                    format!("key '{kid}' must be 32 bytes (base64 of 32 random bytes)"),
                ));
            }
            pii_keys.insert(kid, key);
        }
        if pii_keys.is_empty() {
            if production {
                return Err(ConfigError::new(
                    "APP_PII_KEYS",
                    "production mode needs its own keys: kid=base64(32 random bytes)",
                ));
            }
            pii_keys.insert(
                "dev".to_string(),
                decode_key("APP_PII_KEYS", DEVELOPMENT_PII_KEY)?,
            );
        }
        let pii_key_id = env
            .get("APP_PII_KEY_ID")
            .unwrap_or_else(|| pii_keys.keys().next_back().cloned().unwrap_or_default());
        if !pii_keys.contains_key(&pii_key_id) {
            return Err(ConfigError::new(
                "APP_PII_KEY_ID",
                format!("'{pii_key_id}' is not one of APP_PII_KEYS"),
            ));
        }
        let hash_key = match env.get("APP_PII_HASH_KEY") {
            Some(raw) => decode_key("APP_PII_HASH_KEY", &raw)?,
            None if production => {
                return Err(ConfigError::new(
                    "APP_PII_HASH_KEY",
                    "production mode needs its own key: base64 of at least 32 random bytes",
                ));
            }
            None => decode_key("APP_PII_HASH_KEY", DEVELOPMENT_PII_HASH_KEY)?,
        };
        if hash_key.len() < 32 {
            return Err(ConfigError::new(
                "APP_PII_HASH_KEY",
                "must be at least 32 bytes",
            ));
        }
        let demo_password = env
            .get("APP_DEMO_PASSWORD")
            .unwrap_or_else(|| DEFAULT_DEMO_PASSWORD.to_string());

        let database_max_connections = env.parse("APP_DATABASE_MAX_CONNECTIONS", 10u32)?;
        let settings = Settings {
            host: env.get("APP_HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: env.parse("APP_PORT", 8080u16)?,
            database_url: SecretString::from(
                env.get("APP_DATABASE_URL")
                    .unwrap_or_else(|| "sqlite://ppaos.sqlite?mode=rwc".into()),
            ),
            database_max_connections,
            database_acquire_timeout: Duration::from_millis(
                env.parse("APP_DATABASE_ACQUIRE_TIMEOUT_MS", 3_000u64)?,
            ),
            environment,
            jwt: JwtSettings {
                algorithm,
                kid,
                secret: SecretString::from(secret),
                previous_secrets,
                private_key_file,
                public_key_files,
                issuer: env.get("APP_JWT_ISSUER").unwrap_or_else(|| "ppaos".into()),
                audience: env
                    .get("APP_JWT_AUDIENCE")
                    .unwrap_or_else(|| "ppaos-api".into()),
                access_ttl: Duration::from_secs(env.parse("APP_ACCESS_TOKEN_TTL_SECS", 900u64)?),
                refresh_ttl: Duration::from_secs(
                    env.parse("APP_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600u64)?,
                ),
            },
            limits: Limits {
                max_body_bytes: env.parse("APP_MAX_BODY_BYTES", 64 * 1024usize)?,
                max_document_chars: env.parse("APP_MAX_DOCUMENT_CHARS", 15_000usize)?,
                max_depth: env.parse("APP_MAX_DEPTH", 10usize)?,
                max_complexity: env.parse("APP_MAX_COMPLEXITY", 20_000usize)?,
                max_aliases: env.parse("APP_MAX_ALIASES", 15usize)?,
                max_directives: env.parse("APP_MAX_DIRECTIVES", 5usize)?,
                max_batch: env.parse("APP_MAX_BATCH", 5usize)?,
                max_fields: env.parse("APP_MAX_FIELDS", 2_000usize)?,
                max_duplicate_fields: env.parse("APP_MAX_DUPLICATE_FIELDS", 100usize)?,
                request_timeout: Duration::from_secs(env.parse("APP_REQUEST_TIMEOUT_SECS", 30u64)?),
                statement_timeout: Duration::from_millis(
                    env.parse("APP_STATEMENT_TIMEOUT_MS", 10_000u64)?,
                ),
                // Each execution reads through the pool: more at once would only wait for a
                // connection while holding their memory.
                max_executions: env
                    .parse("APP_MAX_EXECUTIONS", database_max_connections as usize)?
                    .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
                introspection,
                publish_schema,
            },
            log_filter: env.get("APP_LOG").unwrap_or_else(|| "info".into()),
            log_format: match env.get("APP_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError::new(
                        "APP_LOG_FORMAT",
                        format!("'{other}' is not one of text, json"),
                    ));
                }
            },
            login: LoginSettings {
                max_failures: env.parse("APP_LOGIN_MAX_FAILURES", 5i32)?,
                base_lockout: Duration::from_secs(env.parse("APP_LOGIN_LOCKOUT_SECS", 2u64)?),
                max_lockout: Duration::from_secs(15 * 60),
            },
            dataloader_delay: Duration::from_micros(env.parse("APP_DATALOADER_DELAY_US", 0u64)?),
            pii: PiiSettings {
                key_id: pii_key_id,
                keys: pii_keys,
                hash_key,
            },
            demo_password: SecretString::from(demo_password),
            match_weights: parse_weights(env.get("APP_MATCH_WEIGHTS"))?,
            referral_sla_days: env.parse("APP_REFERRAL_SLA_DAYS", 14u32)?,
            measurement: measurement(&env)?,
            live: live(&env)?,
            ops: crate::ops::OpsSettings::from_lookup(&lookup, production)?,
        };
        if settings.jwt.access_ttl.is_zero() {
            return Err(ConfigError::new(
                "APP_ACCESS_TOKEN_TTL_SECS",
                "must be positive",
            ));
        }
        if settings.limits.max_batch == 0 {
            return Err(ConfigError::new("APP_MAX_BATCH", "must be positive"));
        }
        if !(1..=365).contains(&settings.referral_sla_days) {
            return Err(ConfigError::new(
                "APP_REFERRAL_SLA_DAYS",
                "must be between 1 and 365",
            ));
        }
        if settings.login.max_failures < 1 {
            return Err(ConfigError::new(
                "APP_LOGIN_MAX_FAILURES",
                "must be at least 1",
            ));
        }
        Ok(settings)
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    /// Settings for tests and tools: development defaults with the given database.
    pub fn for_database(database_url: &str) -> Self {
        let url = database_url.to_string();
        Self::from_lookup(move |name| (name == "APP_DATABASE_URL").then(|| url.clone()))
            .expect("the default settings are valid")
    }
}

fn live<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
) -> Result<crate::live::LiveSettings, ConfigError> {
    let d = crate::live::LiveSettings::default();
    let ms = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
        let v: u64 = env.parse(name, default.as_millis() as u64)?;
        if v == 0 {
            return Err(ConfigError::new(name, "must be positive"));
        }
        Ok(Duration::from_millis(v))
    };
    let live = crate::live::LiveSettings {
        max_connections: env.parse("APP_LIVE_MAX_CONNECTIONS", d.max_connections)?,
        max_per_account: env.parse("APP_LIVE_MAX_PER_ACCOUNT", d.max_per_account)?,
        buffer: env.parse("APP_LIVE_BUFFER", d.buffer)?,
        ring: env.parse("APP_LIVE_RING", d.ring)?,
        session_check: ms("APP_LIVE_SESSION_CHECK_MS", d.session_check)?,
        send_timeout: ms("APP_LIVE_SEND_TIMEOUT_MS", d.send_timeout)?,
        reread_connections: match env.get("APP_LIVE_REREAD_CONNECTIONS") {
            None => None,
            Some(_) => Some(env.parse("APP_LIVE_REREAD_CONNECTIONS", 0usize)?),
        },
        session_cache: Duration::from_secs(
            env.parse("APP_SESSION_CACHE_SECS", d.session_cache.as_secs())?,
        ),
        version_cache: Duration::from_secs(
            env.parse("APP_ROLLUP_VERSION_CACHE_SECS", d.version_cache.as_secs())?,
        ),
    };
    for (name, value) in [
        ("APP_SESSION_CACHE_SECS", live.session_cache),
        ("APP_ROLLUP_VERSION_CACHE_SECS", live.version_cache),
    ] {
        if value > Duration::from_secs(3600) {
            return Err(ConfigError::new(name, "must be between 0 and 3600"));
        }
    }
    if live.reread_connections == Some(0) {
        return Err(ConfigError::new(
            "APP_LIVE_REREAD_CONNECTIONS",
            "must be positive",
        ));
    }
    if live.buffer == 0 {
        return Err(ConfigError::new("APP_LIVE_BUFFER", "must be positive"));
    }
    if live.ring == 0 {
        return Err(ConfigError::new("APP_LIVE_RING", "must be positive"));
    }
    Ok(live)
}

fn measurement<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
) -> Result<MeasurementSettings, ConfigError> {
    use sea_orm::ActiveEnum;
    let d = MeasurementSettings::default();
    fn level<T: ActiveEnum<Value = String> + sea_orm::Iterable, F: Fn(&str) -> Option<String>>(
        env: &Env<'_, F>,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(raw) = env.get(name) else {
            return Ok(default);
        };
        T::iter()
            .find(|v| v.to_value() == raw.trim())
            .ok_or_else(|| {
                let names: Vec<String> = T::iter().map(|v| v.to_value()).collect();
                ConfigError::new(name, format!("'{raw}' is not one of {}", names.join(", ")))
            })
    }
    let settings = MeasurementSettings {
        graduation_min_level: level(env, "APP_GRADUATION_MIN_LEVEL", d.graduation_min_level)?,
        graduation_min_income_level: level(
            env,
            "APP_GRADUATION_MIN_INCOME_LEVEL",
            d.graduation_min_income_level,
        )?,
        graduation_min_gap_days: env
            .parse("APP_GRADUATION_MIN_GAP_DAYS", d.graduation_min_gap_days)?,
        monitor_months: env.parse("APP_GRADUATION_MONITOR_MONTHS", d.monitor_months)?,
        suppression_k: env.parse("APP_SUPPRESSION_K", d.suppression_k)?,
        evidence_min_sample: env.parse("APP_EVIDENCE_MIN_SAMPLE", d.evidence_min_sample)?,
        evidence_refresh_secs: env.parse("APP_EVIDENCE_REFRESH_SECS", d.evidence_refresh_secs)?,
    };
    for (name, value, range) in [
        (
            "APP_GRADUATION_MIN_GAP_DAYS",
            settings.graduation_min_gap_days,
            0..=3650,
        ),
        (
            "APP_GRADUATION_MONITOR_MONTHS",
            settings.monitor_months,
            1..=120,
        ),
        ("APP_SUPPRESSION_K", settings.suppression_k, 1..=100),
        (
            "APP_EVIDENCE_MIN_SAMPLE",
            settings.evidence_min_sample,
            1..=100_000,
        ),
        (
            "APP_EVIDENCE_REFRESH_SECS",
            settings.evidence_refresh_secs,
            0..=600,
        ),
    ] {
        if !range.contains(&value) {
            return Err(ConfigError::new(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            ));
        }
    }
    Ok(settings)
}

fn parse_weights(raw: Option<String>) -> Result<MatchWeights, ConfigError> {
    let mut w = MatchWeights::default();
    let Some(raw) = raw else { return Ok(w) };
    let bad = |m: String| ConfigError::new("APP_MATCH_WEIGHTS", m);
    for part in raw.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("expected name=weight,…".into()))?;
        let v: f64 = v
            .trim()
            .parse()
            .map_err(|_| bad(format!("'{v}' is not a number")))?;
        if !v.is_finite() || v < 0.0 {
            return Err(bad(format!("the weight of {k} must be 0 or more")));
        }
        match k.trim() {
            "capital" => w.capital = v,
            "income" => w.income = v,
            "affordability" => w.affordability = v,
            "area" => w.area = v,
            "track_record" => w.track_record = v,
            other => {
                return Err(bad(format!(
                    "unknown factor '{other}' (capital, income, affordability, area, track_record)"
                )));
            }
        }
    }
    let sum = w.capital + w.income + w.affordability + w.area + w.track_record;
    if sum <= 0.0 {
        return Err(bad("the weights must not all be 0".into()));
    }
    // Weights that already sum to 1 up to the last binary place are used as given: the
    // documented default's decimals add up to 0.9999999999999999, and dividing by that moved
    // every weight by one unit in the last place, so the default written out scored some
    // households one thousandth apart from the default left unset.
    if (sum - 1.0).abs() <= 1e-9 {
        return Ok(w);
    }
    Ok(MatchWeights {
        capital: w.capital / sum,
        income: w.income / sum,
        affordability: w.affordability / sum,
        area: w.area / sum,
        track_record: w.track_record / sum,
    })
}

struct Env<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| ConfigError::new(name, format!("'{raw}' is not a valid value"))),
        }
    }

    /// `kid=value,kid=value`.
    fn pairs(&self, name: &'static str) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(raw) = self.get(name) else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(|part| match part.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                    Ok((k.trim().to_string(), v.trim().to_string()))
                }
                _ => Err(ConfigError::new(
                    name,
                    "expected a comma-separated list of kid=value",
                )),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn the_documented_default_weights_parse_to_exactly_the_built_in_default() {
        let written = settings(&[(
            "APP_MATCH_WEIGHTS",
            "capital=0.35,income=0.30,affordability=0.15,area=0.10,track_record=0.10",
        )])
        .unwrap();
        assert_eq!(written.match_weights, MatchWeights::default());
        assert_eq!(
            settings(&[]).unwrap().match_weights,
            MatchWeights::default()
        );
        // Other weights are still normalised to sum 1.
        let w = settings(&[(
            "APP_MATCH_WEIGHTS",
            "capital=2,income=1,affordability=1,area=0,track_record=0",
        )])
        .unwrap()
        .match_weights;
        assert_eq!((w.capital, w.income, w.area), (0.5, 0.25, 0.0));
    }

    #[test]
    fn defaults_are_valid_for_development() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.port, 8080);
        assert!(s.limits.introspection);
    }

    #[test]
    fn an_invalid_port_names_the_variable() {
        let err = settings(&[("APP_PORT", "eighty")]).unwrap_err();
        assert_eq!(err.var, "APP_PORT");
    }

    #[test]
    fn production_refuses_the_default_secret_and_turns_introspection_off() {
        let err = settings(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(err.var, "APP_JWT_SECRET");
        let secret = (
            "APP_JWT_SECRET",
            "a-production-secret-that-is-long-enough-0001",
        );
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let err = settings(&[("APP_ENV", "production"), secret]).unwrap_err();
        assert_eq!(err.var, "APP_PII_KEYS");
        let pii_keys = format!("p1={key}");
        let err = settings(&[
            ("APP_ENV", "production"),
            secret,
            ("APP_PII_KEYS", &pii_keys),
        ])
        .unwrap_err();
        assert_eq!(err.var, "APP_PII_HASH_KEY");
        let s = settings(&[
            ("APP_ENV", "production"),
            secret,
            ("APP_PII_KEYS", &pii_keys),
            ("APP_PII_HASH_KEY", key),
            ("APP_INTROSPECTION", "true"),
        ])
        .unwrap();
        assert_eq!(s.pii.key_id, "p1");
        assert!(!s.limits.introspection);
    }

    #[test]
    fn the_schema_is_published_as_introspection_is_unless_app_publish_schema_says_otherwise() {
        assert!(settings(&[]).unwrap().limits.publishes_schema());
        let off = settings(&[("APP_INTROSPECTION", "false")]).unwrap();
        assert!(!off.limits.publishes_schema());
        let on = settings(&[
            ("APP_INTROSPECTION", "false"),
            ("APP_PUBLISH_SCHEMA", "true"),
        ]);
        assert!(on.unwrap().limits.publishes_schema());
        let hidden = settings(&[("APP_PUBLISH_SCHEMA", "false")]).unwrap();
        assert!(hidden.limits.introspection && !hidden.limits.publishes_schema());
        let err = settings(&[("APP_PUBLISH_SCHEMA", "yes please")]).unwrap_err();
        assert_eq!(err.var, "APP_PUBLISH_SCHEMA");
    }

    #[test]
    fn a_short_secret_is_refused() {
        let err = settings(&[("APP_JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.var, "APP_JWT_SECRET");
    }
}
