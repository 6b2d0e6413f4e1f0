//! The one file that knows every domain: a new domain adds one line to each root here, one
//! line to `Node` for each type it gives a global id, and one line to `Household` when it
//! hangs records off households.
use std::sync::Arc;

use async_graphql::{
    Context, ID, Interface, MergedObject, MergedSubscription, Result, SDLExportOptions, Schema,
    SchemaBuilder,
};

use crate::{
    account::{
        mutation::{AccountMutation, AuthMutation},
        query::AccountQuery,
    },
    agency::{mutation::AgencyMutation, query::AgencyQuery},
    area::{mutation::AreaMutation, query::AreaQuery},
    assessment::{
        mutation::{AssessmentMutation, PovertyLineMutation},
        query::AssessmentQuery,
    },
    audit::query::AuditQuery,
    catalogue::{mutation::CatalogueMutation, query::CatalogueQuery},
    config::Limits,
    consent::mutation::ConsentMutation,
    enterprise::{mutation::EnterpriseMutation, query::EnterpriseQuery},
    graphql::{extensions::ErrorCodes, node_query::NodeQuery},
    household::{mutation::HouseholdMutation, query::HouseholdQuery},
    matching::{mutation::MatchingMutation, query::MatchingQuery},
    state::SharedServices,
};

/// A household in the registry, with what every domain records about it. ANALYST reads no
/// household (aggregates only: `dashboard`); partner agencies see only the households a
/// consented referral or match opened to them, and never identity numbers. Identifying fields
/// (address, house number, location, names) are null for a viewer who may not see who the
/// household is.
#[derive(MergedObject)]
pub struct Household(
    crate::household::types::HouseholdFields,
    crate::consent::types::ConsentsOfHousehold,
    crate::assessment::types::AssessmentsOfHousehold,
    crate::matching::types::MatchesOfHousehold,
    crate::enterprise::types::EnterprisesOfHousehold,
    crate::case::types::CaseworkOfHousehold,
    crate::graduation::types::GraduationOfHousehold,
    crate::mobility::types::MobilityOfHousehold,
);

impl Household {
    pub fn new(model: entity::household::Model) -> Self {
        let m = Arc::new(model);
        Household(
            crate::household::types::HouseholdFields(m.clone()),
            crate::consent::types::ConsentsOfHousehold(m.clone()),
            crate::assessment::types::AssessmentsOfHousehold(m.clone()),
            crate::matching::types::MatchesOfHousehold(m.clone()),
            crate::enterprise::types::EnterprisesOfHousehold(m.clone()),
            crate::case::types::CaseworkOfHousehold(m.clone()),
            crate::graduation::types::GraduationOfHousehold(m.clone()),
            crate::mobility::types::MobilityOfHousehold(m),
        )
    }

    /// Global id (the `Node` interface's field; the schema's comes from `HouseholdFields`).
    pub async fn id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(crate::graphql::node::encode("Household", self.model().id))
    }

    /// The stored household.
    pub fn model(&self) -> &entity::household::Model {
        &self.0.0
    }
}

crate::node_types! {
    Account: crate::account::types::Account,
    Agency: crate::agency::types::Agency,
    Area: crate::area::types::Area,
    Assessment: crate::assessment::types::Assessment,
    AuditEvent: crate::audit::types::AuditEvent,
    Case: crate::case::types::Case,
    Consent: crate::consent::types::Consent,
    Enterprise: crate::enterprise::types::Enterprise,
    EnterpriseLink: crate::enterprise::types::EnterpriseLink,
    Household: Household,
    HouseholdStatusEvent: crate::household::types::HouseholdStatusEvent,
    Intervention: crate::case::types::Intervention,
    Match: crate::matching::types::Match,
    MatchingRun: crate::matching::types::MatchingRun,
    Membership: crate::household::types::Membership,
    Person: crate::household::types::Person,
    PotentialDuplicate: crate::household::types::PotentialDuplicate,
    Referral: crate::case::types::Referral,
    Service: crate::catalogue::types::Service,
    Technology: crate::catalogue::types::Technology,
    Visit: crate::case::types::Visit,
}

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
    crate::case::query::CaseQuery,
    crate::dashboard::query::DashboardQuery,
    crate::mobility::query::MobilityQuery,
    crate::sync::query::SyncQuery,
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
    crate::case::mutation::CaseMutation,
);

/// What can be watched, over `/graphql/ws` (`docs/subscriptions.md`).
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    crate::case::subscription::CaseSubscription,
    crate::matching::subscription::MatchSubscription,
    crate::household::import_subscription::HouseholdImportSubscription,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder(limits: &Limits) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
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
