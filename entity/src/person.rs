use sea_orm::entity::prelude::*;

use crate::enums::{IdType, Sex};

/// A person. The national ID is never stored in clear.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    /// Normalised "given family" (invisible characters removed, spaces collapsed, lower case)
    /// for search and similarity.
    pub name_key: String,
    pub sex: Sex,
    pub birth_date: Option<Date>,
    pub birth_year: Option<i32>,
    /// Digits only, Thai numbers in national form (0XXXXXXXXX).
    pub phone: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub chronic_illness: Option<String>,
    pub id_type: IdType,
    /// base64(nonce ‖ ciphertext) of the ID number, XChaCha20-Poly1305.
    pub national_id_ciphertext: Option<String>,
    /// Which key encrypted it (keys rotate).
    pub national_id_key_id: Option<String>,
    /// HMAC-SHA256 of the ID number, hex: exact lookups and duplicate checks.
    pub national_id_hash: Option<String>,
    /// The check digit, the only digit a masked ID shows.
    pub national_id_last_digit: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub client_updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
