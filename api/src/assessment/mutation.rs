use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::enums::AssessmentStatus;
use serde_json::json;
use uuid::Uuid;

use super::{
    service::{
        NewAssessment, NewPovertyLine, Scores, add_poverty_line, change_status, record_assessment,
        score_hundredths,
    },
    types::{Assessment, PovertyLine},
};
use crate::{
    auth::policy,
    graphql::{
        context::{account, actor, scope, services},
        node,
    },
    idempotency::IdemKey,
    money,
};

/// The five capital scores, each 1.00–4.00.
#[derive(InputObject)]
pub struct CapitalScoresInput {
    /// Human capital.
    pub human: f64,
    /// Physical capital.
    pub physical: f64,
    /// Financial capital.
    pub financial: f64,
    /// Natural capital.
    pub natural: f64,
    /// Social capital.
    pub social: f64,
}

/// A new assessment of a household.
#[derive(InputObject)]
pub struct RecordAssessmentInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The household.
    pub household_id: ID,
    /// Date of the assessment (not in the future).
    pub assessed_on: NaiveDate,
    /// The five capital scores.
    pub scores: CapitalScoresInput,
    /// People in the household (at least 1).
    pub household_size: i32,
    /// Income per person per month, baht: 0 to 10,000,000.
    pub income_per_person: f64,
    /// Whether the household has land to farm.
    pub has_land: Option<bool>,
    /// Raw indicator answers, for provenance (at most 32 KiB).
    pub indicators: Option<async_graphql::Json<serde_json::Value>>,
    /// Notes.
    pub notes: Option<String>,
    /// Make it the household's ACTIVE assessment now (default), or keep it as DRAFT.
    #[graphql(default = true)]
    pub activate: bool,
}

/// An assessment recorded as part of another write (a completed visit): the fields of
/// `RecordAssessmentInput` without the household and the retry key, which come from there.
#[derive(InputObject)]
pub struct VisitAssessmentInput {
    /// Date of the assessment (not in the future).
    pub assessed_on: NaiveDate,
    /// The five capital scores.
    pub scores: CapitalScoresInput,
    /// People in the household (at least 1).
    pub household_size: i32,
    /// Income per person per month, baht: 0 to 10,000,000.
    pub income_per_person: f64,
    /// Whether the household has land to farm.
    pub has_land: Option<bool>,
    /// Raw indicator answers, for provenance (at most 32 KiB).
    pub indicators: Option<async_graphql::Json<serde_json::Value>>,
    /// Notes.
    pub notes: Option<String>,
    /// Make it the household's ACTIVE assessment now (default), or keep it as DRAFT.
    #[graphql(default = true)]
    pub activate: bool,
}

impl VisitAssessmentInput {
    /// The checked-shape new assessment of `household_id`; error fields are prefixed with
    /// `prefix` (e.g. `assessment.`) so they name the input as the client sent it.
    pub fn into_new(
        self,
        household_id: Uuid,
        client_uuid: Option<Uuid>,
        prefix: &str,
    ) -> Result<NewAssessment, crate::error::ApiError> {
        let s = &self.scores;
        let field = |f: &str| format!("{prefix}{f}");
        let scores = Scores {
            human: score_hundredths(s.human, &field("scores.human"))?,
            physical: score_hundredths(s.physical, &field("scores.physical"))?,
            financial: score_hundredths(s.financial, &field("scores.financial"))?,
            natural: score_hundredths(s.natural, &field("scores.natural"))?,
            social: score_hundredths(s.social, &field("scores.social"))?,
        };
        Ok(NewAssessment {
            household_id,
            assessed_on: self.assessed_on,
            scores,
            household_size: self.household_size,
            income_per_person_satang: money::satang(
                &field("incomePerPerson"),
                self.income_per_person,
                money::MONTHLY_INCOME,
            )?,
            has_land: self.has_land,
            indicators: self.indicators.map(|j| j.0),
            notes: self.notes,
            activate: self.activate,
            client_uuid,
        })
    }
}

/// Names one assessment.
#[derive(InputObject)]
pub struct AssessmentStatusInput {
    /// The assessment.
    pub id: ID,
    /// Why (required to cancel).
    pub reason: Option<String>,
}

/// The assessment a mutation wrote.
#[derive(SimpleObject)]
pub struct AssessmentPayload {
    /// The assessment after the change.
    pub assessment: Assessment,
}

#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// Records an assessment (ADMIN, COORDINATOR, SURVEYOR in their areas). With `activate`
    /// (the default) it replaces the household's ACTIVE assessment, which becomes SUPERSEDED.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn record_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RecordAssessmentInput`.")]
        input: RecordAssessmentInput,
    ) -> Result<AssessmentPayload> {
        let household_id = node::decode_uuid(&input.household_id, "Household", "householdId")?;
        let new = VisitAssessmentInput {
            assessed_on: input.assessed_on,
            scores: input.scores,
            household_size: input.household_size,
            income_per_person: input.income_per_person,
            has_land: input.has_land,
            indicators: input.indicators,
            notes: input.notes,
            activate: input.activate,
        }
        .into_new(household_id, input.client_uuid, "")?;
        let key = crate::idempotency::with_capture(
            IdemKey::new(
                Some(account(ctx)?.id),
                input.client_uuid,
                "recordAssessment",
                &json!(new),
            ),
            input.captured_at,
        );
        let model = record_assessment(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            new,
            key,
        )
        .await?;
        Ok(AssessmentPayload {
            assessment: Assessment(model),
        })
    }

    /// Makes a DRAFT assessment the household's ACTIVE one.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn activate_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `AssessmentStatusInput`.")]
        input: AssessmentStatusInput,
    ) -> Result<AssessmentPayload> {
        let id = node::decode_uuid(&input.id, "Assessment", "id")?;
        let model = change_status(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            id,
            AssessmentStatus::Active,
            input.reason,
        )
        .await?;
        Ok(AssessmentPayload {
            assessment: Assessment(model),
        })
    }

    /// Cancels a DRAFT or ACTIVE assessment (with a reason).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn cancel_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `AssessmentStatusInput`.")]
        input: AssessmentStatusInput,
    ) -> Result<AssessmentPayload> {
        let id = node::decode_uuid(&input.id, "Assessment", "id")?;
        let model = change_status(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            id,
            AssessmentStatus::Cancelled,
            input.reason,
        )
        .await?;
        Ok(AssessmentPayload {
            assessment: Assessment(model),
        })
    }
}

/// Poverty lines for a new year (ADMIN).
#[derive(InputObject)]
pub struct SetPovertyLineInput {
    /// Buddhist-era year.
    pub year_be: i32,
    /// The poverty line, baht per person per month: 1 to 1,000,000.
    pub poverty_line: i32,
    /// The poorest-40% cut, baht per person per month: 1 to 1,000,000, above the line.
    pub poorest40_cut: i32,
    /// The median, baht per person per month: 1 to 1,000,000, above the cut.
    pub median: i32,
}

#[derive(Default)]
pub struct PovertyLineMutation;

#[Object]
impl PovertyLineMutation {
    /// Adds the poverty lines of a year (ADMIN). Years already on file are not changed:
    /// assessments were derived with them.
    #[graphql(guard = "policy::ADMINS")]
    async fn add_poverty_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `SetPovertyLineInput`.")] input: SetPovertyLineInput,
    ) -> Result<PovertyLine> {
        let model = add_poverty_line(
            &services(ctx).db,
            &actor(ctx)?,
            NewPovertyLine {
                year_be: input.year_be,
                poverty_line: input.poverty_line,
                poorest40_cut: input.poorest40_cut,
                median: input.median,
            },
        )
        .await?;
        Ok(model.into())
    }
}
