use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::enums::AssessmentStatus;
use serde_json::json;
use uuid::Uuid;

use super::{
    service::{NewAssessment, Scores, change_status, record_assessment, score_hundredths},
    types::Assessment,
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
        let s = &input.scores;
        let scores = Scores {
            human: score_hundredths(s.human, "scores.human")?,
            physical: score_hundredths(s.physical, "scores.physical")?,
            financial: score_hundredths(s.financial, "scores.financial")?,
            natural: score_hundredths(s.natural, "scores.natural")?,
            social: score_hundredths(s.social, "scores.social")?,
        };
        let new = NewAssessment {
            household_id,
            assessed_on: input.assessed_on,
            scores,
            household_size: input.household_size,
            income_per_person_satang: money::satang(
                "incomePerPerson",
                input.income_per_person,
                money::MONTHLY_INCOME,
            )?,
            has_land: input.has_land,
            indicators: input.indicators.map(|j| j.0),
            notes: input.notes,
            activate: input.activate,
            client_uuid: input.client_uuid,
        };
        let key = IdemKey::new(
            Some(account(ctx)?.id),
            input.client_uuid,
            "recordAssessment",
            &json!(new),
        );
        let model =
            record_assessment(&services(ctx).db, &scope(ctx), &actor(ctx)?, new, key).await?;
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
