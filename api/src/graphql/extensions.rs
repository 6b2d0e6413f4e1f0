//! Gives every error an `extensions.code` from the vocabulary in `crate::error::code`, including the errors
//! async-graphql raises itself (parse, validation, limits, input coercion).
use std::sync::Arc;

use async_graphql::{
    Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::ExecutableDocument,
};

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

use crate::error::{
    ApiError,
    code::{
        BAD_USER_INPUT, GRAPHQL_PARSE_FAILED as PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED as VALIDATION_FAILED, INTERNAL_SERVER_ERROR,
    },
};

fn set_code(err: &mut ServerError, code: &str) {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
}

pub fn error_code(err: &ServerError) -> Option<&str> {
    match err.extensions.as_ref()?.get("code")? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

/// The field of async-graphql's `Invalid value for argument "input.members.0.name", …`, named
/// the way resolvers name fields (`members[0].name`: the path below `input`, list indexes in
/// brackets), or None for any other message.
fn invalid_argument_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let path = &rest[..rest.find('"')?];
    let path = path.strip_prefix("input.").unwrap_or(path);
    let mut field = String::with_capacity(path.len());
    for segment in path.split('.') {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            field.push('[');
            field.push_str(segment);
            field.push(']');
        } else {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(segment);
        }
    }
    Some(field)
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    /// Codes errors of the request, its parse and its validation only: fields resolve without
    /// passing through this extension (async-graphql then skips a boxed future per field).
    fn hooks_resolve(&self) -> bool {
        false
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for err in &mut response.errors {
            if error_code(err).is_none() {
                // Input coercion failures (a bad enum value in variables, a number out of
                // range) are the caller's mistake; anything else unexpected is ours.
                let code = if err.message.starts_with("Invalid value for argument")
                    || err.message.starts_with("Failed to parse")
                    || err.message.starts_with("Variable")
                {
                    BAD_USER_INPUT
                } else {
                    // Something raised an error without going through ApiError: its message
                    // may carry anything (SQL, a path, data), so it stays in the log, under
                    // the request's id, and the client gets a generic one.
                    tracing::error!(message = %err.message, "uncoded GraphQL error");
                    err.message = ApiError::INTERNAL_MESSAGE.into();
                    INTERNAL_SERVER_ERROR
                };
                set_code(err, code);
            }
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut err| {
            set_code(&mut err, PARSE_FAILED);
            err
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errs| {
            for err in &mut errs {
                if let Some(field) = invalid_argument_field(&err.message) {
                    // A value of the wrong type or out of its scalar's range (an Int of 1e300,
                    // a String given a number), literal or variable: bad input, and the client
                    // is told which field, as resolvers name it.
                    set_code(err, BAD_USER_INPUT);
                    if let Some(ext) = err.extensions.as_mut() {
                        ext.set("field", field);
                    }
                } else {
                    set_code(err, VALIDATION_FAILED);
                }
            }
            errs
        })
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        /// Fails the way a careless `?` on a database error would.
        async fn leaky(&self) -> async_graphql::Result<i32> {
            Err("error returned from database: relation \"person\" column national_id …".into())
        }
    }

    #[test]
    fn invalid_argument_paths_are_named_as_resolvers_name_fields() {
        let field = |m: &str| invalid_argument_field(m);
        assert_eq!(
            field(
                r#"Invalid value for argument "input.members.1.person.birthYear", expected type "Int""#
            ),
            Some("members[1].person.birthYear".into())
        );
        assert_eq!(
            field(r#"Invalid value for argument "filter.maxUnitCost", expected type "Int""#),
            Some("filter.maxUnitCost".into())
        );
        assert_eq!(
            field(r#"Invalid value for argument "code", expected type "String""#),
            Some("code".into())
        );
        assert_eq!(field("Unknown field \"x\""), None);
    }

    #[tokio::test]
    async fn an_uncoded_error_reaches_the_client_as_a_generic_internal_error() {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(ErrorCodes)
            .finish();
        let response = schema.execute("{ leaky }").await;
        let err = &response.errors[0];
        assert_eq!(error_code(err), Some(INTERNAL_SERVER_ERROR));
        assert_eq!(err.message, ApiError::INTERNAL_MESSAGE);
    }
}
