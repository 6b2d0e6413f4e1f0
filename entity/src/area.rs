use sea_orm::entity::prelude::*;

use crate::enums::AreaLevel;

/// An administrative area keyed by its DOPA code.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "area")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub level: AreaLevel,
    pub parent_code: Option<String>,
    pub name_th: String,
    pub name_en: String,
    pub postal_code: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub region: Option<String>,
    pub is_target: bool,
    pub is_sra: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
