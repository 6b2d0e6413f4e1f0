use sea_orm::entity::prelude::*;

/// Poverty lines of one Buddhist-era year, baht per person per month.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "poverty_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year_be: i32,
    pub poverty_line: i32,
    pub poorest40_cut: i32,
    pub median: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
