use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::{
    service::{MatchMove, RunInput, Scoring, run_matching, suggest_match, transition_match},
    types::{Match, MatchStatus, MatchingRun},
};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::{account, actor, scope, services, viewer},
        node,
    },
    money,
};

/// Suggests a technology for one household.
#[derive(InputObject)]
pub struct SuggestMatchInput {
    /// The household (needs an ACTIVE assessment).
    pub household_id: ID,
    /// The technology.
    pub technology_id: ID,
}

/// Moves a match along its lifecycle.
#[derive(InputObject)]
pub struct TransitionMatchInput {
    /// The match.
    pub match_id: ID,
    /// The `version` you read.
    pub version: i32,
    /// The new state.
    pub to: MatchStatus,
    /// Why (required for DECLINED and DROPPED).
    pub reason: Option<String>,
    /// Income per person per month at follow-up, baht: 0 to 10,000,000 (ADOPTED, SUSTAINED).
    pub follow_up_income: Option<f64>,
    /// Idempotency key: a retry with the same key returns the match as the first request
    /// left it moved (instead of CONFLICT); the same key with other input is CONFLICT.
    pub client_uuid: Option<uuid::Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Seats of one technology for a run.
#[derive(InputObject)]
pub struct SeatsInput {
    /// The technology.
    pub technology_id: ID,
    /// Seats to fill (at most its seats per round).
    pub seats: i32,
}

/// Matches a whole area at once.
#[derive(InputObject)]
pub struct RunMatchingInput {
    /// The area (DOPA code), inside your areas.
    pub area_code: String,
    /// Restrict to these technologies (each must also be in `seats`); default: those in `seats`.
    pub technology_ids: Option<Vec<ID>>,
    /// The seats of each technology.
    pub seats: Vec<SeatsInput>,
}

/// The match a mutation wrote.
#[derive(SimpleObject)]
pub struct MatchPayload {
    /// The match after the change.
    #[graphql(name = "match")]
    pub r#match: Match,
}

/// The stored run.
#[derive(SimpleObject)]
pub struct RunMatchingPayload {
    /// The run, with its totals and matches.
    pub run: MatchingRun,
}

#[derive(Default)]
pub struct MatchingMutation;

#[Object]
impl MatchingMutation {
    /// Suggests one technology for one household (ADMIN, COORDINATOR), scored and explained.
    /// A household has at most one open match: CONFLICT when it has one.
    #[graphql(guard = "policy::COORDINATORS")]
    async fn suggest_match(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `SuggestMatchInput`.")] input: SuggestMatchInput,
    ) -> Result<MatchPayload> {
        let h = node::decode_uuid(&input.household_id, "Household", "householdId")?;
        let t = node::decode_uuid(&input.technology_id, "Technology", "technologyId")?;
        let s = services(ctx);
        let m = suggest_match(&s.db, &scope(ctx), &actor(ctx)?, Scoring::of(s), h, t).await?;
        crate::live::emit(ctx, crate::live::Kind::Match, m.id).await;
        Ok(MatchPayload {
            r#match: Match::new(m),
        })
    }

    /// Moves a match (COORDINATOR in scope; agency staff for their agency's technologies).
    #[graphql(guard = "policy::MATCH_MOVERS")]
    async fn transition_match(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `TransitionMatchInput`.")] input: TransitionMatchInput,
    ) -> Result<MatchPayload> {
        let id = node::decode_uuid(&input.match_id, "Match", "matchId")?;
        let follow_up = input
            .follow_up_income
            .map(|v| money::satang("followUpIncome", v, money::MONTHLY_INCOME))
            .transpose()?;
        let key = crate::idempotency::with_capture(
            crate::idempotency::IdemKey::new(
                Some(account(ctx)?.id),
                input.client_uuid,
                "transitionMatch",
                &serde_json::json!({
                    "id": id, "version": input.version, "to": entity::enums::MatchStatus::from(input.to),
                    "reason": input.reason, "followUp": follow_up,
                }),
            ),
            input.captured_at,
        );
        let m = transition_match(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?.captured(input.captured_at)?,
            id,
            input.version,
            MatchMove {
                to: input.to.into(),
                reason: input.reason,
                follow_up_income_satang: follow_up,
            },
            key.as_ref(),
        )
        .await?;
        crate::live::emit(ctx, crate::live::Kind::Match, m.id).await;
        Ok(MatchPayload {
            r#match: Match::new(m),
        })
    }

    /// Matches the households of an area to technologies within their seats, maximising the
    /// total ladder-weighted score exactly (poorest first), at most one technology per
    /// household; stores the run and its matches as SUGGESTED (ADMIN, COORDINATOR). Households
    /// with an open match are left out, also those matched by a run that finished first.
    #[graphql(guard = "policy::COORDINATORS")]
    async fn run_matching(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RunMatchingInput`.")] input: RunMatchingInput,
    ) -> Result<RunMatchingPayload> {
        let mut seats = Vec::new();
        for (i, s) in input.seats.iter().enumerate() {
            let t = node::decode_uuid(
                &s.technology_id,
                "Technology",
                &format!("seats[{i}].technologyId"),
            )?;
            if s.seats < 0 {
                return Err(ApiError::bad_input(
                    format!("seats[{i}].seats"),
                    "seats cannot be negative",
                )
                .into());
            }
            seats.push((t, s.seats as u32));
        }
        if let Some(ids) = &input.technology_ids {
            let mut keep = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let t = node::decode_uuid(id, "Technology", &format!("technologyIds[{i}]"))?;
                if !seats.iter().any(|(s, _)| *s == t) {
                    return Err(ApiError::bad_input(
                        format!("technologyIds[{i}]"),
                        "this technology has no seats given",
                    )
                    .into());
                }
                keep.push(t);
            }
            seats.retain(|(t, _)| keep.contains(t));
        }
        let s = services(ctx);
        let run = run_matching(
            &s.db,
            viewer(ctx),
            &scope(ctx),
            &actor(ctx)?,
            Scoring::of(s),
            RunInput {
                area_code: input.area_code,
                seats,
            },
        )
        .await?;
        // SQLite's in-process events (PostgreSQL's triggers sent them with the commit).
        if sea_orm::ConnectionTrait::get_database_backend(&s.db) != sea_orm::DbBackend::Postgres {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
            let created: Vec<uuid::Uuid> = entity::r#match::Entity::find()
                .select_only()
                .column(entity::r#match::Column::Id)
                .filter(entity::r#match::Column::RunId.eq(run.id))
                .into_tuple()
                .all(&s.db)
                .await
                .map_err(ApiError::from)?;
            crate::live::emit_all(ctx, crate::live::Kind::Match, &created).await;
        }
        Ok(RunMatchingPayload {
            run: MatchingRun(run),
        })
    }
}
