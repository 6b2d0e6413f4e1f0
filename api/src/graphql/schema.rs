//! The one file that knows every domain: a new domain adds one line to each root here.
use async_graphql::{EmptySubscription, MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use crate::{
    account::{
        mutation::{AccountMutation, AuthMutation},
        query::AccountQuery,
    },
    agency::{mutation::AgencyMutation, query::AgencyQuery},
    area::{mutation::AreaMutation, query::AreaQuery},
    assessment::{
        mutation::AssessmentMutation,
        query::{AssessmentQuery, PovertyLineMutation},
    },
    audit::query::AuditQuery,
    catalogue::{mutation::CatalogueMutation, query::CatalogueQuery},
    config::Limits,
    consent::mutation::ConsentMutation,
    enterprise::graphql::{EnterpriseMutation, EnterpriseQuery},
    graphql::{extensions::ErrorCodes, node_query::NodeQuery},
    household::{mutation::HouseholdMutation, query::HouseholdQuery},
    matching::{mutation::MatchingMutation, query::MatchingQuery},
    state::SharedServices,
};

/// What can be read.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    NodeQuery,
    AccountQuery,
    AgencyQuery,
    AreaQuery,
    AuditQuery,
    HouseholdQuery,
    AssessmentQuery,
    CatalogueQuery,
    MatchingQuery,
    EnterpriseQuery,
);

/// What can be changed. Every mutation takes one `input` and returns a payload.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    AuthMutation,
    AccountMutation,
    AgencyMutation,
    AreaMutation,
    HouseholdMutation,
    crate::household::import_mutation::HouseholdImportMutation,
    ConsentMutation,
    AssessmentMutation,
    PovertyLineMutation,
    CatalogueMutation,
    MatchingMutation,
    EnterpriseMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

fn builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .extension(ErrorCodes)
    // The data depth (`limits.max_depth`) is checked before execution by
    // `graphql::document`, which lets introspection go deeper; this is the backstop.
    .limit_depth(
        limits
            .max_depth
            .max(crate::graphql::document::INTROSPECTION_MAX_DEPTH),
    )
    .limit_complexity(limits.max_complexity)
    .limit_directives(limits.max_directives)
    .limit_recursive_depth(32);
    if !limits.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
}

/// The schema a server runs, with its shared services as data.
pub fn build(services: SharedServices) -> AppSchema {
    builder(&services.settings.limits)
        .data(services.clone())
        .finish()
}

/// The schema without services: for exporting the SDL and checking its documentation.
pub fn bare() -> AppSchema {
    let limits = crate::config::Settings::for_database("sqlite::memory:").limits;
    builder(&limits).finish()
}

/// The SDL, sorted, as checked in at the repository root (`schema.graphql`).
pub fn sdl() -> String {
    sdl_of(&bare())
}

pub fn sdl_of(schema: &AppSchema) -> String {
    schema.sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
