//! The demo partner agency and the demo logins.

use entity::{
    account, agency,
    enums::{AgencyType, Role},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    account::service::{NewAccount, create_account},
    agency::service::{AgencyFields, create_agency},
    audit::service::Actor,
    error::ApiResult,
};

use super::*;

pub(super) async fn demo_agency(db: &DatabaseConnection, actor: &Actor) -> ApiResult<Uuid> {
    if let Some(a) = agency::Entity::find()
        .filter(agency::Column::Name.eq(DEMO_AGENCY_NAME))
        .one(db)
        .await?
    {
        return Ok(a.id);
    }
    let created = create_agency(
        db,
        actor,
        DEMO_AGENCY_NAME.into(),
        AgencyType::University,
        AgencyFields {
            name: None,
            name_en: Some(Some(
                "Rajamangala University of Technology Lanna Lampang".into(),
            )),
            agency_type: None,
            contact_name: Some(Some("งานวิจัยและบริการวิชาการ".into())),
            contact_email: Some(Some("demo-agency@example.org".into())),
            contact_phone: None,
            coverage: Some(vec!["52".into()]),
            active: None,
        },
    )
    .await?;
    Ok(created.id)
}

pub(super) async fn demo_accounts(
    db: &DatabaseConnection,
    actor: &Actor,
    demo_password: &str,
    agency_id: Uuid,
) -> ApiResult<Vec<(String, Role, bool)>> {
    let mut out = Vec::new();
    for (login, role, scopes, display_name) in DEMO_ACCOUNTS {
        let exists = account::Entity::find()
            .filter(account::Column::Login.eq(login))
            .one(db)
            .await?
            .is_some();
        if !exists {
            create_account(
                db,
                actor,
                NewAccount {
                    login: login.into(),
                    display_name: display_name.into(),
                    password: demo_password.into(),
                    role,
                    area_scopes: scopes.iter().map(|s| s.to_string()).collect(),
                    agency_id: (role == Role::Agency).then_some(agency_id),
                },
            )
            .await?;
        }
        out.push((login.to_string(), role, !exists));
    }
    Ok(out)
}
