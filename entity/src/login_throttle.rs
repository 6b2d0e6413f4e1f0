use sea_orm::entity::prelude::*;

/// Login-attempt counter for one normalised login name. An attempt is counted (and the lock
/// decided) in one statement before its password is checked; a successful login deletes the
/// row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub login_key: String,
    /// Attempts since the last successful login (counted before each check).
    pub failures: i32,
    /// When the last attempt was counted.
    pub last_failure_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
