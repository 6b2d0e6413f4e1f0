use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A person. The national ID is stored encrypted (`national_id_ciphertext`, with the id of
/// the key that encrypted it) and as a keyed hash for exact lookups and duplicate checks.
#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    GivenName,
    FamilyName,
    NameKey,
    Sex,
    BirthDate,
    BirthYear,
    Phone,
    Education,
    Occupation,
    Disability,
    ChronicIllness,
    IdType,
    NationalIdCiphertext,
    NationalIdKeyId,
    NationalIdHash,
    NationalIdLastDigit,
    Version,
    CreatedAt,
    UpdatedAt,
    ClientUpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(uuid(Person::Id).primary_key())
                    .col(string(Person::GivenName))
                    .col(string(Person::FamilyName))
                    .col(string(Person::NameKey))
                    .col(string_len(Person::Sex, 16))
                    .col(date_null(Person::BirthDate))
                    .col(integer_null(Person::BirthYear))
                    .col(string_len_null(Person::Phone, 16))
                    .col(string_null(Person::Education))
                    .col(string_null(Person::Occupation))
                    .col(string_null(Person::Disability))
                    .col(string_null(Person::ChronicIllness))
                    .col(string_len(Person::IdType, 32))
                    .col(text_null(Person::NationalIdCiphertext))
                    .col(string_len_null(Person::NationalIdKeyId, 32))
                    .col(string_len_null(Person::NationalIdHash, 64))
                    .col(string_len_null(Person::NationalIdLastDigit, 1))
                    .col(integer(Person::Version).default(1))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Person::ClientUpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_national_id_hash")
                    .table(Person::Table)
                    .col(Person::NationalIdHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_phone")
                    .table(Person::Table)
                    .col(Person::Phone)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_name_key")
                    .table(Person::Table)
                    .col(Person::NameKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Person::Table).to_owned())
            .await
    }
}
