use sea_orm::entity::prelude::*;

/// A dashboard count for one area (province, district, subdistrict or village), metric and
/// bucket, kept current by the writes that change it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "area_rollup")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub area_code: String,
    /// The area one level up ('' for a province).
    pub parent_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket: String,
    pub n: i64,
    pub quantity: f64,
    pub amount_satang: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
