//! Casework reads: the lists with their filters, and one record by id.
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    service::{
        self, CaseFilter as Cases, InterventionFilter as Deliveries, ReferralFilter as Sent,
        VisitFilter as Visits,
    },
    types::{
        Case, CaseConnection, CasePhase, CaseType, Intervention, InterventionConnection,
        InterventionKind, Referral, ReferralConnection, ReferralDirection, ReferralStatus, Visit,
        VisitConnection, VisitStatus,
    },
};
use crate::{
    auth::policy,
    graphql::{
        context::{account, scope, services},
        node,
        pagination::{Keyset, PageArgs},
    },
};

/// Filters for `cases`.
#[derive(InputObject, Default)]
pub struct CaseFilter {
    /// Households in this area (DOPA code prefix).
    pub area_code: Option<String>,
    /// Only these phases.
    #[graphql(default)]
    pub phase: Vec<CasePhase>,
    /// Only these types.
    #[graphql(default)]
    pub r#type: Vec<CaseType>,
    /// Only cases this agency owns.
    pub owner_agency_id: Option<ID>,
    /// Only this household's cases.
    pub household_id: Option<ID>,
    /// true: only open cases whose review date has passed; false: only the others.
    pub overdue_review: Option<bool>,
    /// Only cases assigned to you.
    #[graphql(default)]
    pub assigned_to_me: bool,
}

/// Filters for `referrals`.
#[derive(InputObject, Default)]
pub struct ReferralFilter {
    /// INBOX: sent to your agency; OUTBOX: sent by it (needs an account of an agency).
    pub direction: Option<ReferralDirection>,
    /// Only these states.
    #[graphql(default)]
    pub status: Vec<ReferralStatus>,
    /// Households in this area (DOPA code prefix).
    pub area_code: Option<String>,
    /// Only referrals to this agency.
    pub to_agency_id: Option<ID>,
    /// Only this case's referrals.
    pub case_id: Option<ID>,
    /// Only this household's referrals.
    pub household_id: Option<ID>,
    /// true: only PENDING or ACCEPTED referrals past their due date; false: only the others.
    pub overdue: Option<bool>,
}

/// Filters for `interventions`.
#[derive(InputObject, Default)]
pub struct InterventionFilter {
    /// Households in this area (DOPA code prefix).
    pub area_code: Option<String>,
    /// Only these kinds.
    #[graphql(default)]
    pub kind: Vec<InterventionKind>,
    /// Only what this agency delivered.
    pub delivering_agency_id: Option<ID>,
    /// Only this household's.
    pub household_id: Option<ID>,
    /// Only this case's.
    pub case_id: Option<ID>,
    /// Delivered on or after this date.
    pub delivered_from: Option<NaiveDate>,
    /// Delivered on or before this date.
    pub delivered_to: Option<NaiveDate>,
}

/// Filters for `visits`.
#[derive(InputObject, Default)]
pub struct VisitFilter {
    /// Households in this area (DOPA code prefix).
    pub area_code: Option<String>,
    /// Only these states.
    #[graphql(default)]
    pub status: Vec<VisitStatus>,
    /// Only this household's visits.
    pub household_id: Option<ID>,
    /// Only this case's visits.
    pub case_id: Option<ID>,
    /// Scheduled at or after this time.
    pub scheduled_from: Option<DateTime<Utc>>,
    /// Scheduled at or before this time.
    pub scheduled_to: Option<DateTime<Utc>>,
    /// Only visits you scheduled or made.
    #[graphql(default)]
    pub mine: bool,
}

fn uuid_of(id: &Option<ID>, ty: &str, field: &str) -> Result<Option<uuid::Uuid>> {
    Ok(id
        .as_ref()
        .map(|id| node::decode_uuid(id, ty, field))
        .transpose()?)
}

#[derive(Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// Cases you may see, oldest first: in your areas; for agency staff, the cases their
    /// agency owns or holds a referral on.
    #[graphql(
        guard = "policy::CASE_READERS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which cases.")] filter: Option<CaseFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<CaseConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let select = service::filter_cases(
            &scope(ctx),
            Cases {
                area_code: f.area_code,
                phases: f.phase.into_iter().map(Into::into).collect(),
                types: f.r#type.into_iter().map(Into::into).collect(),
                owner_agency_id: uuid_of(&f.owner_agency_id, "Agency", "filter.ownerAgencyId")?,
                household_id: uuid_of(&f.household_id, "Household", "filter.householdId")?,
                overdue_review: f.overdue_review,
                assigned_to: f
                    .assigned_to_me
                    .then(|| account(ctx).map(|a| a.id))
                    .transpose()?,
            },
        )?;
        Ok(CaseConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(entity::support_case::Column::Id),
            &args,
            Case,
            |c| c.0.id.to_string(),
        )
        .await?)
    }

    /// One case by id; null when there is none you may see.
    #[graphql(guard = "policy::CASE_READERS")]
    async fn case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Case>> {
        node::fetch(ctx, &id, "id").await
    }

    /// Referrals you may see, oldest first: in your areas; for agency staff, those their
    /// agency sent or received (`direction` picks one side).
    #[graphql(
        guard = "policy::CASE_READERS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which referrals.")] filter: Option<ReferralFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<ReferralConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let select = service::filter_referrals(
            &scope(ctx),
            account(ctx)?.agency_id,
            Sent {
                direction: f.direction.map(|d| d == ReferralDirection::Inbox),
                statuses: f.status.into_iter().map(Into::into).collect(),
                area_code: f.area_code,
                to_agency_id: uuid_of(&f.to_agency_id, "Agency", "filter.toAgencyId")?,
                case_id: uuid_of(&f.case_id, "Case", "filter.caseId")?,
                household_id: uuid_of(&f.household_id, "Household", "filter.householdId")?,
                overdue: f.overdue,
            },
        )?;
        Ok(ReferralConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(entity::referral::Column::Id),
            &args,
            Referral,
            |r| r.0.id.to_string(),
        )
        .await?)
    }

    /// One referral by id; null when there is none you may see.
    #[graphql(guard = "policy::CASE_READERS")]
    async fn referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Referral>> {
        node::fetch(ctx, &id, "id").await
    }

    /// What was delivered, oldest first: in your areas; for agency staff, what their agency
    /// delivered.
    #[graphql(
        guard = "policy::CASE_READERS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn interventions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which interventions.")] filter: Option<InterventionFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<InterventionConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let select = service::filter_interventions(
            &scope(ctx),
            Deliveries {
                area_code: f.area_code,
                kinds: f.kind.into_iter().map(Into::into).collect(),
                delivering_agency_id: uuid_of(
                    &f.delivering_agency_id,
                    "Agency",
                    "filter.deliveringAgencyId",
                )?,
                household_id: uuid_of(&f.household_id, "Household", "filter.householdId")?,
                case_id: uuid_of(&f.case_id, "Case", "filter.caseId")?,
                delivered_from: f.delivered_from,
                delivered_to: f.delivered_to,
            },
        )?;
        Ok(InterventionConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(entity::intervention::Column::Id),
            &args,
            Intervention,
            |i| i.0.id.to_string(),
        )
        .await?)
    }

    /// One intervention by id; null when there is none you may see.
    #[graphql(guard = "policy::CASE_READERS")]
    async fn intervention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Intervention>> {
        node::fetch(ctx, &id, "id").await
    }

    /// Visits in your areas, oldest first (field staff).
    #[graphql(
        guard = "policy::FIELD_STAFF",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which visits.")] filter: Option<VisitFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<VisitConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let select = service::filter_visits(
            &scope(ctx),
            Visits {
                area_code: f.area_code,
                statuses: f.status.into_iter().map(Into::into).collect(),
                household_id: uuid_of(&f.household_id, "Household", "filter.householdId")?,
                case_id: uuid_of(&f.case_id, "Case", "filter.caseId")?,
                scheduled_from: f.scheduled_from,
                scheduled_to: f.scheduled_to,
                by: f.mine.then(|| account(ctx).map(|a| a.id)).transpose()?,
            },
        )?;
        Ok(VisitConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(entity::visit::Column::Id),
            &args,
            Visit,
            |v| v.0.id.to_string(),
        )
        .await?)
    }

    /// One visit by id; null when there is none in your areas.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Visit>> {
        node::fetch(ctx, &id, "id").await
    }
}
