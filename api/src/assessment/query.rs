use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::Utc;
use entity::{enums::AuditAction, poverty_line};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};

use super::types::Assessment;
use crate::{
    audit::service::{AuditEntry, record},
    auth::policy,
    error::ApiError,
    graphql::{
        context::{actor, services},
        node,
    },
    money,
};

/// Poverty lines of one Buddhist-era year, baht per person per month.
#[derive(SimpleObject)]
pub struct PovertyLine {
    /// Buddhist-era year (2563 = 2020).
    pub year_be: i32,
    /// The poverty line.
    pub poverty_line: i32,
    /// The poorest-40% cut.
    pub poorest40_cut: i32,
    /// The median.
    pub median: i32,
}

impl From<poverty_line::Model> for PovertyLine {
    fn from(m: poverty_line::Model) -> Self {
        PovertyLine {
            year_be: m.year_be,
            poverty_line: m.poverty_line,
            poorest40_cut: m.poorest40_cut,
            median: m.median,
        }
    }
}

#[derive(Default)]
pub struct AssessmentQuery;

#[Object]
impl AssessmentQuery {
    /// The poverty-line table, oldest year first (a handful of rows).
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn poverty_lines(&self, ctx: &Context<'_>) -> Result<Vec<PovertyLine>> {
        let rows = poverty_line::Entity::find()
            .order_by_asc(poverty_line::Column::YearBe)
            .all(&services(ctx).db)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One assessment by id; null when its household is not in your areas (not ANALYST).
    #[graphql(guard = "policy::HOUSEHOLD_READERS")]
    async fn assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Assessment>> {
        node::fetch(ctx, &id, "id").await
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
        if !(2500..=2700).contains(&input.year_be) {
            return Err(ApiError::bad_input("yearBe", "a Buddhist-era year, e.g. 2567").into());
        }
        for (field, baht) in [
            ("povertyLine", input.poverty_line),
            ("poorest40Cut", input.poorest40_cut),
            ("median", input.median),
        ] {
            money::whole_baht(field, baht, money::POVERTY_LINE)?;
        }
        if input.poorest40_cut <= input.poverty_line {
            return Err(
                ApiError::bad_input("poorest40Cut", "must be above the poverty line").into(),
            );
        }
        if input.median <= input.poorest40_cut {
            return Err(ApiError::bad_input("median", "must be above the poorest-40% cut").into());
        }
        let db = &services(ctx).db;
        if poverty_line::Entity::find_by_id(input.year_be)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "the lines of {} are on file already",
                input.year_be
            ))
            .into());
        }
        let txn = sea_orm::TransactionTrait::begin(db)
            .await
            .map_err(ApiError::from)?;
        let model = poverty_line::ActiveModel {
            year_be: Set(input.year_be),
            poverty_line: Set(input.poverty_line),
            poorest40_cut: Set(input.poorest40_cut),
            median: Set(input.median),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await
        .map_err(ApiError::from)?;
        record(
            &txn,
            AuditEntry::by(&actor(ctx)?, AuditAction::Create)
                .entity("PovertyLine", input.year_be)
                .fields(["povertyLine", "poorest40Cut", "median"]),
        )
        .await?;
        txn.commit().await.map_err(ApiError::from)?;
        Ok(model.into())
    }
}
