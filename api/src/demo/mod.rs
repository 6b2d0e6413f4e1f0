//! `api seed-demo`: a realistic, synthetic registry for demonstrations and front-end work.
//!
//! It creates villages in some subdistricts of the 7 SRA provinces (only provinces,
//! districts and subdistricts ship with the service), about 3,000 households with 1–7
//! members each through the household import (so every registry rule applies), moves some
//! along their lifecycle through the lifecycle service, records a few consents, and creates
//! the demo accounts listed in [`DEMO_ACCOUNTS`]. Everything is synthetic: names come from
//! the lists below, ID numbers are random (with a valid check digit), and the generator is
//! seeded, so two runs make the same data. Households that exist already (same external id)
//! are left as they are, so running it again with `--force` adds nothing twice.
mod accounts;
mod areas;
mod consents;
mod households;
mod lifecycle;
mod names;
pub mod story;

use std::collections::HashSet;

use entity::{
    area,
    enums::{HouseholdStatus, Role},
    household,
};
use rand::{SeedableRng, rngs::StdRng};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use secrecy::ExposeSecret;

use crate::household::{
    import::{ImportOutcome, ImportTotals, import_households},
    service::{Caller, Transition, transition_household},
};
use crate::{
    area::service::SRA_PROVINCES,
    audit::service::Actor,
    auth::{Scope, password},
    config::{DEFAULT_DEMO_PASSWORD, Settings},
    consent::service::record_consent,
    error::{ApiError, ApiResult},
    pii::PiiCipher,
};

use self::{accounts::*, areas::*, consents::*, households::*, lifecycle::*};

/// The seed of the generator (the Buddhist-era year of the poverty-line table).
const SEED: u64 = 2563;
/// Households `api seed-demo` creates.
pub const DEFAULT_HOUSEHOLDS: usize = 3000;
/// Subdistricts per province that get villages, and villages per subdistrict.
const SUBDISTRICTS_PER_PROVINCE: usize = 6;
const VILLAGES_PER_SUBDISTRICT: usize = 5;
/// The partner agency the `demo-agency` account works for.
pub const DEMO_AGENCY_NAME: &str = "มหาวิทยาลัยเทคโนโลยีราชมงคลล้านนา ลำปาง";

/// Demo logins: (login, role, area scopes, display name). `demo-agency` works for
/// [`DEMO_AGENCY_NAME`].
pub const DEMO_ACCOUNTS: [(&str, Role, &[&str], &str); 6] = [
    ("demo-admin", Role::Admin, &[], "Demo admin"),
    (
        "demo-coordinator-52",
        Role::Coordinator,
        &["52"],
        "Demo coordinator, Lampang",
    ),
    (
        "demo-coordinator-95",
        Role::Coordinator,
        &["95"],
        "Demo coordinator, Yala",
    ),
    (
        "demo-surveyor-52",
        Role::Surveyor,
        &["52"],
        "Demo surveyor, Lampang",
    ),
    (
        "demo-agency",
        Role::Agency,
        &[],
        "Demo agency staff, RMUTL Lampang",
    ),
    ("demo-analyst", Role::Analyst, &[], "Demo analyst"),
];

/// What `seed_demo` may do.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Seed even if the database holds households already.
    pub force: bool,
    /// How many households to generate.
    pub households: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            force: false,
            households: DEFAULT_HOUSEHOLDS,
        }
    }
}

/// What a seed did.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    /// Villages created (existing ones are left).
    pub villages_created: u64,
    /// The household import.
    pub import: ImportTotals,
    /// Lifecycle transitions made.
    pub transitions: u64,
    /// Consent records made.
    pub consents: u64,
    /// SRA province code, English name, households in the database now.
    pub households_by_province: Vec<(String, String, u64)>,
    /// Login, role, whether it was created now (false: it existed and was left alone).
    pub accounts: Vec<(String, Role, bool)>,
    /// The casework and measurement story (`None`: told by an earlier seed, or too few
    /// Lampang households to tell it).
    pub story: Option<story::StorySummary>,
}

/// Seeds the demo data (see the module documentation).
pub async fn seed_demo(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    settings: &Settings,
    options: DemoOptions,
) -> ApiResult<DemoSummary> {
    let demo_password = settings.demo_password.expose_secret();
    if settings.is_production() && demo_password == DEFAULT_DEMO_PASSWORD {
        return Err(ApiError::bad_input(
            "APP_DEMO_PASSWORD",
            "in production mode the demo accounts need a password of your own: set APP_DEMO_PASSWORD",
        ));
    }
    for (login, ..) in DEMO_ACCOUNTS {
        password::check_policy(demo_password, login, "APP_DEMO_PASSWORD")?;
    }
    let existing = household::Entity::find().count(db).await?;
    if existing > 0 && !options.force {
        return Err(ApiError::Conflict(format!(
            "the database holds {existing} households already; seed-demo fills an empty \
             database (use --force to add the demo data anyway)"
        )));
    }
    let actor = Actor::system("seed-demo");
    let mut summary = DemoSummary::default();

    let places = seed_villages(db, &mut summary).await?;
    let agency_id = demo_agency(db, &actor).await?;

    let plan = generate_households(&places, options.households);
    let mut created: HashSet<String> = HashSet::new();
    let mut problems: Vec<String> = Vec::new();
    summary.import = import_households(
        db,
        pii,
        &Scope::All,
        &actor,
        plan.csv.as_slice(),
        &mut |r| match r.outcome {
            ImportOutcome::Created => {
                created.insert(r.household_key.clone());
            }
            ImportOutcome::Duplicate | ImportOutcome::Rejected => {
                if problems.len() < 3 {
                    problems.push(r.reason.clone().unwrap_or_default());
                }
            }
            ImportOutcome::Updated | ImportOutcome::Unchanged => {}
        },
        &mut |_| {},
    )
    .await?;
    if !problems.is_empty() {
        return Err(ApiError::internal(format!(
            "the demo generator made invalid households: {}",
            problems.join("; ")
        )));
    }

    // Lifecycle and consents, only for the households this run created.
    let wanted: Vec<&DemoHousehold> = plan
        .households
        .iter()
        .filter(|h| created.contains(&h.key()))
        .collect();
    let ids = household_ids(db, &wanted).await?;
    let scope = Scope::All;
    let mut rng = StdRng::seed_from_u64(SEED + 2);
    for h in &wanted {
        let Some(&id) = ids.get(&h.key()) else {
            continue;
        };
        let mut version = 1;
        for (to, reason, evidence) in lifecycle(h.target, &mut rng) {
            if to == HouseholdStatus::Graduated {
                qualifying_assessments(db, &scope, &actor, id, &settings.measurement).await?;
            }
            let caller = Caller {
                db,
                scope: &scope,
                actor: &actor,
            };
            let transition = Transition {
                household_id: id,
                version,
                to,
                reason,
                evidence,
            };
            let model =
                transition_household(&caller, transition, &settings.measurement, None).await?;
            version = model.version;
            summary.transitions += 1;
        }
        if let Some(consent) = consent_for(h.target, id, agency_id, &mut rng) {
            record_consent(db, &scope, &actor, consent).await?;
            summary.consents += 1;
        }
    }

    summary.accounts = demo_accounts(db, &actor, demo_password, agency_id).await?;

    // The story, on the Lampang households this run created, once.
    let told = entity::agency::Entity::find()
        .filter(entity::agency::Column::Name.eq(story::DEMO_SECOND_AGENCY_NAME))
        .one(db)
        .await?
        .is_some();
    if !told {
        let models: std::collections::HashMap<uuid::Uuid, household::Model> =
            household::Entity::find()
                .filter(household::Column::VillageCode.like(format!("{}%", story::STORY_AREA)))
                .all(db)
                .await?
                .into_iter()
                .map(|h| (h.id, h))
                .collect();
        let mut candidates = Vec::new();
        let mut graduates = Vec::new();
        for h in &wanted {
            let Some(model) = ids.get(&h.key()).and_then(|id| models.get(id)) else {
                continue;
            };
            match model.status {
                HouseholdStatus::Verified | HouseholdStatus::Enrolled => candidates.push(model.id),
                HouseholdStatus::Graduated => graduates.push(model.id),
                _ => {}
            }
        }
        candidates.truncate(story::STORY_HOUSEHOLDS);
        if candidates.len() >= story::STORY_HOUSEHOLDS {
            summary.story =
                Some(story::tell(db, settings, &actor, agency_id, &candidates, &graduates).await?);
        }
    }
    for code in SRA_PROVINCES {
        let name = area::Entity::find_by_id(code.to_string())
            .one(db)
            .await?
            .map(|a| a.name_en)
            .unwrap_or_default();
        let count = household::Entity::find()
            .filter(household::Column::VillageCode.like(format!("{code}%")))
            .count(db)
            .await?;
        summary
            .households_by_province
            .push((code.to_string(), name, count));
    }
    Ok(summary)
}
