//! The one error type that leaves a resolver, and its mapping to `extensions.code`.
//!
//! Internal causes (database errors, I/O) are logged here and replaced by a generic message:
//! a client never sees SQL, a stack trace or another household's data.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts anything
//! `Display` into an error without a code, so `?` on an `ApiError` inside a resolver could
//! otherwise lose `extensions.code`. The only conversion is the one below, which keeps it.
use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated(String),
    Forbidden,
    /// FORBIDDEN with a message that says why and where to go instead.
    ForbiddenBecause(&'static str),
    NotFound(&'static str),
    BadUserInput {
        field: String,
        message: String,
    },
    Conflict(String),
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database cannot be reached (refused, timed out, connection lost): worth a retry.
    Unavailable(String),
    Internal(String),
}

/// The code of errors that a retry after a short wait may cure (the database is away).
pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// NOT_FOUND becomes BAD_USER_INPUT on `field` (a referenced record the caller may not
    /// see); every other error (a database outage, …) passes unchanged.
    pub fn not_found_as_input(self, field: &str, message: &str) -> Self {
        match self {
            ApiError::NotFound(_) => ApiError::bad_input(field, message),
            other => other,
        }
    }

    /// CONFLICT for an optimistic-concurrency miss: the `version` the client sent is no
    /// longer the record's (someone else saved it first). The one wording for every record.
    pub fn stale(what: &str) -> Self {
        ApiError::Conflict(format!(
            "the {what} was changed by someone else; reload it and try again"
        ))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// The message a person reads.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated(m) | ApiError::Conflict(m) => m.clone(),
            ApiError::Forbidden => "you are not allowed to do this".into(),
            ApiError::ForbiddenBecause(why) => (*why).into(),
            ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::BadUserInput { message, .. } => message.clone(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("too many attempts; try again in {retry_after_secs} seconds")
            }
            ApiError::Unavailable(_) => {
                "the service cannot reach its database; try again shortly".into()
            }
            ApiError::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::BadUserInput { .. } => "BAD_USER_INPUT",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::Unavailable(_) => SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        // A unique violation that validation did not catch is a race between two writers.
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return ApiError::Conflict("a record with the same unique value already exists".into());
        }
        if is_unavailable(&err) {
            return ApiError::Unavailable(err.to_string());
        }
        ApiError::Internal(err.to_string())
    }
}

/// Whether a database error means the database is away rather than that a statement failed:
/// no connection could be had, the connection broke, or the server is shutting down or
/// starting up (SQLSTATE class 08, and 57P01–57P03).
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let sqlx_err = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match &**sqlx_err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            // The cause stays in the server log (with the request id of the span around it).
            ApiError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            _ => {}
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                ApiError::BadUserInput { field, .. } => ext.set("field", field.as_str()),
                ApiError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}
