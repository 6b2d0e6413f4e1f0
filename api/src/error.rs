//! The one error type that leaves a resolver or an HTTP endpoint, the vocabulary of
//! `extensions.code`, and the one mapping from a code to an HTTP status.
//!
//! Internal causes (database errors, I/O) are kept as errors (`anyhow::Error`, with their
//! source chain), logged here with that chain, and replaced by a generic message: a client
//! never sees SQL, a stack trace or another household's data.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts anything
//! `Display` into an error without a code, so `?` on an `ApiError` inside a resolver could
//! otherwise lose `extensions.code`. The only conversions are the one to
//! `async_graphql::Error` below, which keeps it, and the one to `anyhow::Error` for the
//! command line, which keeps the cause for the operator.
use actix_web::{
    HttpResponse,
    http::{StatusCode, header},
};
use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// Every `extensions.code` the API sends: the only place these strings are written.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The database cannot be reached: a retry after a short wait may cure it.
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    /// The document (or the HTTP body carrying it) cannot be parsed.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document parses but may not run (unknown field, no such operation, limits).
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// A persisted-query hash this server does not know (send the text with it), or, in
    /// allow-list mode, one that is not registered.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
}

/// The code of errors that a retry after a short wait may cure (the database is away).
pub use code::SERVICE_UNAVAILABLE;

/// The HTTP status for an error with `code`, for every endpoint that answers an error with an
/// HTTP status of its own (the CSV exports, token checks, `/graphql` before anything runs).
/// Unknown codes are 500.
pub fn status_of_code(code: &str) -> StatusCode {
    match code {
        code::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
        code::FORBIDDEN => StatusCode::FORBIDDEN,
        code::NOT_FOUND => StatusCode::NOT_FOUND,
        code::BAD_USER_INPUT
        | code::GRAPHQL_PARSE_FAILED
        | code::GRAPHQL_VALIDATION_FAILED
        | code::PERSISTED_QUERY_NOT_FOUND => StatusCode::BAD_REQUEST,
        code::CONFLICT => StatusCode::CONFLICT,
        code::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        code::SERVICE_UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

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
    /// The cause is for the log only.
    Unavailable(anyhow::Error),
    /// A fault of ours. The cause (with its source chain) is for the log only.
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The message of SERVICE_UNAVAILABLE.
    pub const UNAVAILABLE_MESSAGE: &'static str =
        "the service cannot reach its database; try again shortly";
    /// The message of INTERNAL_SERVER_ERROR: never the cause.
    pub const INTERNAL_MESSAGE: &'static str = "internal error";
    /// Seconds a client should wait before retrying SERVICE_UNAVAILABLE.
    pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

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

    /// INTERNAL_SERVER_ERROR with `cause`: any error (its source chain is kept), an
    /// `anyhow::Error`, or a message (`&str`, `String`) saying what went wrong.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        ApiError::Internal(anyhow::Error::from_boxed(cause.into()))
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
            ApiError::Unavailable(_) => Self::UNAVAILABLE_MESSAGE.into(),
            ApiError::Internal(_) => Self::INTERNAL_MESSAGE.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => code::UNAUTHENTICATED,
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => code::FORBIDDEN,
            ApiError::NotFound(_) => code::NOT_FOUND,
            ApiError::BadUserInput { .. } => code::BAD_USER_INPUT,
            ApiError::Conflict(_) => code::CONFLICT,
            ApiError::RateLimited { .. } => code::RATE_LIMITED,
            ApiError::Unavailable(_) => code::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => code::INTERNAL_SERVER_ERROR,
        }
    }

    /// The HTTP status of this error where an endpoint answers with one (see
    /// [`status_of_code`]).
    pub fn http_status(&self) -> StatusCode {
        status_of_code(self.code())
    }

    /// How long a client should wait before trying again, when waiting helps.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Unavailable(_) => Some(Self::UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// Logs the cause of INTERNAL_SERVER_ERROR and SERVICE_UNAVAILABLE with its source chain
    /// (under the request id of the span around it); other errors are the client's and are
    /// not logged here.
    pub fn log_cause(&self) {
        match self {
            ApiError::Internal(cause) => {
                let chain = format!("{cause:#}");
                tracing::error!(error = %chain, "internal error");
            }
            ApiError::Unavailable(cause) => {
                let chain = format!("{cause:#}");
                tracing::warn!(error = %chain, "database unavailable");
            }
            _ => {}
        }
    }

    /// The API's JSON error body: `{"errors":[{"message","extensions":{"code",…}}]}` with
    /// `field` for BAD_USER_INPUT and `retryAfter` for RATE_LIMITED, as in GraphQL responses.
    pub fn json_body(&self) -> serde_json::Value {
        let mut extensions = serde_json::json!({ "code": self.code() });
        match self {
            ApiError::BadUserInput { field, .. } => extensions["field"] = field.as_str().into(),
            ApiError::RateLimited { retry_after_secs } => {
                extensions["retryAfter"] = (*retry_after_secs).into()
            }
            _ => {}
        }
        serde_json::json!({ "errors": [{ "message": self.message(), "extensions": extensions }] })
    }

    /// The HTTP answer of an endpoint that fails with this error: [`Self::http_status`], the
    /// JSON body, `WWW-Authenticate: Bearer` on 401 and `Retry-After` on 429 and 503; the
    /// cause, if any, is logged. `media` is the JSON media type to answer with.
    pub fn http_response(&self, media: &str) -> HttpResponse {
        self.log_cause();
        let status = self.http_status();
        let mut builder = HttpResponse::build(status);
        builder.insert_header((header::CONTENT_TYPE, format!("{media}; charset=utf-8")));
        if status == StatusCode::UNAUTHORIZED {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after_secs() {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        builder.json(self.json_body())
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            // A unique violation that validation did not catch is a race between two writers.
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return ApiError::Conflict(
                    "a record with the same unique value already exists".into(),
                );
            }
            // A reference to a record that does not exist (or was removed meanwhile) is the
            // client's mistake, never ours.
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return ApiError::bad_input("input", "a referenced record does not exist");
            }
            _ => {}
        }
        if is_unavailable(&err) {
            return ApiError::Unavailable(err.into());
        }
        ApiError::Internal(err.into())
    }
}

/// For the command line: the operator at the console gets the message and, for a fault or
/// an outage, the cause with its chain (`{:#}`); BAD_USER_INPUT names its field.
impl From<ApiError> for anyhow::Error {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Internal(cause) => cause.context(ApiError::INTERNAL_MESSAGE),
            ApiError::Unavailable(cause) => cause.context(ApiError::UNAVAILABLE_MESSAGE),
            ApiError::BadUserInput { field, message } => anyhow::anyhow!("{field}: {message}"),
            other => anyhow::anyhow!("{}", other.message()),
        }
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
        self.log_cause();
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

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    #[test]
    fn every_code_has_one_status() {
        let cases = [
            (code::UNAUTHENTICATED, 401),
            (code::FORBIDDEN, 403),
            (code::NOT_FOUND, 404),
            (code::BAD_USER_INPUT, 400),
            (code::GRAPHQL_PARSE_FAILED, 400),
            (code::GRAPHQL_VALIDATION_FAILED, 400),
            (code::CONFLICT, 409),
            (code::RATE_LIMITED, 429),
            (code::SERVICE_UNAVAILABLE, 503),
            (code::INTERNAL_SERVER_ERROR, 500),
            ("SOMETHING_ELSE", 500),
        ];
        for (code, status) in cases {
            assert_eq!(status_of_code(code).as_u16(), status, "{code}");
        }
        assert_eq!(ApiError::internal("boom").http_status().as_u16(), 500);
        assert_eq!(ApiError::stale("household").http_status().as_u16(), 409);
    }

    #[test]
    fn an_http_error_carries_its_status_headers_and_code() {
        let response = ApiError::RateLimited {
            retry_after_secs: 42,
        }
        .http_response("application/json");
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "42");

        let response = ApiError::Unavailable(anyhow::anyhow!("refused")).http_response("x/y");
        assert_eq!(response.status().as_u16(), 503);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");

        let response = ApiError::Unauthenticated("sign in first".into()).http_response("x/y");
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer"
        );

        let body = ApiError::bad_input("areaCode", "bad").json_body();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "areaCode");
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("writing the report")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_internal_cause_keeps_its_chain_but_the_client_sees_a_generic_message() {
        let err = ApiError::internal(Outer(std::io::Error::other("disk full")));
        let ApiError::Internal(cause) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(format!("{cause:#}"), "writing the report: disk full");
        assert_eq!(err.message(), "internal error");
        let gql = async_graphql::Error::from(err);
        assert_eq!(gql.message, "internal error");

        // Messages and anyhow errors are causes too.
        assert!(matches!(
            ApiError::internal("no viewer"),
            ApiError::Internal(_)
        ));
        assert!(matches!(
            ApiError::internal(format!("no key '{}'", 1)),
            ApiError::Internal(_)
        ));
        assert!(matches!(
            ApiError::internal(anyhow::anyhow!("x")),
            ApiError::Internal(_)
        ));
    }

    #[test]
    fn the_command_line_gets_the_cause_chain() {
        let err = ApiError::internal(Outer(std::io::Error::other("disk full")));
        let err = anyhow::Error::from(err);
        assert_eq!(
            format!("{err:#}"),
            "internal error: writing the report: disk full"
        );
        let err = anyhow::Error::from(ApiError::bad_input("code", "too long"));
        assert_eq!(format!("{err:#}"), "code: too long");
    }

    #[tokio::test]
    async fn a_missing_referenced_record_is_bad_input_not_internal() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id));",
        )
        .await
        .unwrap();
        let err = db
            .execute_unprepared("INSERT INTO child (id, parent_id) VALUES (1, 99)")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ),
            "{err:?}"
        );
        match ApiError::from(err) {
            ApiError::BadUserInput { field, message } => {
                assert_eq!(field, "input");
                assert_eq!(message, "a referenced record does not exist");
            }
            other => panic!("{other:?}"),
        }
    }
}
