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
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    account, agency, area,
    enums::{
        AgencyType, AreaLevel, ConsentPurpose, ConsentStatus, HouseholdSource, HouseholdStatus,
        LegalBasis, Role,
    },
    household, household_external_id,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{
    import::{ImportOutcome, ImportTotals, import_households},
    service::{Evidence, transition_household},
};
use crate::{
    account::service::{NewAccount, create_account},
    agency::service::{AgencyFields, create_agency},
    area::service::{SRA_PROVINCES, import_areas},
    audit::service::Actor,
    auth::{Scope, password},
    config::{DEFAULT_DEMO_PASSWORD, Settings},
    consent::service::{NewConsent, record_consent},
    error::{ApiError, ApiResult},
    pii::PiiCipher,
};

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
            let model = transition_household(
                db,
                &scope,
                &actor,
                id,
                version,
                to,
                reason,
                evidence,
                &settings.measurement,
                None,
            )
            .await?;
            version = model.version;
            summary.transitions += 1;
        }
        if let Some(consent) = consent_for(h.target, id, agency_id, &mut rng) {
            record_consent(db, &scope, &actor, consent).await?;
            summary.consents += 1;
        }
    }

    summary.accounts = demo_accounts(db, &actor, demo_password, agency_id).await?;
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

/// A village the generator may put households in, with the names an address needs.
#[derive(Debug, Clone)]
struct Place {
    village_code: String,
    moo: u32,
    subdistrict: String,
    district: String,
    province: String,
    location: Option<(f64, f64)>,
}

/// Upserts `<subdistrict><01..05>` villages in some subdistricts of each SRA province.
async fn seed_villages(
    db: &DatabaseConnection,
    summary: &mut DemoSummary,
) -> ApiResult<BTreeMap<&'static str, Vec<Place>>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let names: HashMap<String, String> = area::Entity::find()
        .filter(area::Column::Level.is_in([AreaLevel::Province, AreaLevel::District]))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.code, a.name_th))
        .collect();
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, row: [String; 9]| {
        w.write_record(row).map_err(ApiError::internal)
    };
    write(
        &mut csv,
        [
            "code",
            "level",
            "parent_code",
            "name_th",
            "name_en",
            "postal_code",
            "lat",
            "lng",
            "region",
        ]
        .map(String::from),
    )?;
    let mut places: BTreeMap<&'static str, Vec<Place>> = BTreeMap::new();
    for province in SRA_PROVINCES {
        let subdistricts = area::Entity::find()
            .filter(area::Column::Level.eq(AreaLevel::Subdistrict))
            .filter(area::Column::Code.like(format!("{province}%")))
            .order_by_asc(area::Column::Code)
            .all(db)
            .await?;
        if subdistricts.is_empty() {
            return Err(ApiError::internal(format!(
                "no subdistricts of province {province}: the reference areas are not loaded"
            )));
        }
        // Evenly spread over the province, shifted by the seeded generator.
        let step = (subdistricts.len() / SUBDISTRICTS_PER_PROVINCE).max(1);
        let offset = rng.random_range(0..step);
        for s in subdistricts
            .iter()
            .skip(offset)
            .step_by(step)
            .take(SUBDISTRICTS_PER_PROVINCE)
        {
            for moo in 1..=VILLAGES_PER_SUBDISTRICT as u32 {
                let code = format!("{}{moo:02}", s.code);
                let (th, en) = pick(&mut rng, VILLAGE_NAMES);
                let location = s.lat.zip(s.lng).map(|(lat, lng)| {
                    let jitter = |r: &mut StdRng| f64::from(r.random_range(-150..=150)) / 10_000.0;
                    (lat + jitter(&mut rng), lng + jitter(&mut rng))
                });
                write(
                    &mut csv,
                    [
                        code.clone(),
                        "VILLAGE".into(),
                        s.code.clone(),
                        format!("บ้าน{th}"),
                        format!("Ban {en}"),
                        s.postal_code.clone().unwrap_or_default(),
                        location.map(|l| format!("{:.4}", l.0)).unwrap_or_default(),
                        location.map(|l| format!("{:.4}", l.1)).unwrap_or_default(),
                        s.region.clone().unwrap_or_default(),
                    ],
                )?;
                places.entry(province).or_default().push(Place {
                    village_code: code,
                    moo,
                    subdistrict: s.name_th.clone(),
                    district: s
                        .code
                        .get(..4)
                        .and_then(|d| names.get(d))
                        .cloned()
                        .unwrap_or_default(),
                    province: names.get(province).cloned().unwrap_or_default(),
                    location,
                });
            }
        }
    }
    let bytes = csv.into_inner().map_err(ApiError::internal)?;
    let report = import_areas(db, bytes.as_slice()).await?;
    if let Some((line, reason)) = report.rejected.first() {
        return Err(ApiError::internal(format!(
            "demo villages: line {line}: {reason}"
        )));
    }
    summary.villages_created = report.created;
    Ok(places)
}

async fn demo_agency(db: &DatabaseConnection, actor: &Actor) -> ApiResult<Uuid> {
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

async fn demo_accounts(
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

/// External id → household id, for the demo households created by this run.
async fn household_ids(
    db: &DatabaseConnection,
    households: &[&DemoHousehold],
) -> ApiResult<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for chunk in households.chunks(500) {
        let rows = household_external_id::Entity::find()
            .filter(household_external_id::Column::Value.is_in(chunk.iter().map(|h| h.id.clone())))
            .all(db)
            .await?;
        for r in rows {
            out.insert(format!("{}:{}", r.scheme, r.value), r.household_id);
        }
    }
    Ok(out)
}

/// The transitions that take a new (DISCOVERED) household to `target`.
fn lifecycle(
    target: HouseholdStatus,
    rng: &mut StdRng,
) -> Vec<(HouseholdStatus, Option<String>, Evidence)> {
    use HouseholdStatus::*;
    let mut verified = || Evidence {
        verified_on: demo_date(rng_days(rng, 0, 300)),
        note: Some("ลงพื้นที่สอบทานแล้ว พบครัวเรือนตามที่อยู่".into()),
        ..Evidence::default()
    };
    let path: Vec<(HouseholdStatus, Option<String>, Evidence)> = match target {
        Verified => vec![(Verified, None, verified())],
        Enrolled => vec![
            (Verified, None, verified()),
            (Enrolled, None, Evidence::default()),
        ],
        Graduated => vec![
            (Verified, None, verified()),
            (Enrolled, None, Evidence::default()),
            (
                Graduated,
                Some("รายได้เฉลี่ยต่อคนเกินเส้นความยากจนต่อเนื่อง 6 เดือน".into()),
                Evidence::default(),
            ),
        ],
        NotFound => vec![(
            NotFound,
            Some("ไม่พบครัวเรือนตามที่อยู่ เพื่อนบ้านแจ้งว่าย้ายออกแล้ว".into()),
            Evidence::default(),
        )],
        NotEligible => vec![(
            NotEligible,
            Some("รายได้เกินเกณฑ์ ไม่เข้าเกณฑ์ครัวเรือนยากจน".into()),
            Evidence::default(),
        )],
        Discovered | Duplicate | Exited => vec![],
    };
    path
}

/// Two ACTIVE-then-SUPERSEDED assessments that meet the graduation criteria under any
/// thresholds (WELL, above the median income, the minimum gap plus a month apart), so that a
/// demo graduate graduates through the same rule as any other.
async fn qualifying_assessments(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    household_id: Uuid,
    measurement: &crate::config::MeasurementSettings,
) -> ApiResult<()> {
    use crate::assessment::service::{NewAssessment, Scores, record_assessment};
    let latest = demo_date(300).ok_or_else(|| ApiError::internal("demo date"))?;
    let gap = i64::from(measurement.graduation_min_gap_days) + 30;
    for assessed_on in [latest - Duration::days(gap), latest] {
        let score = 340;
        record_assessment(
            db,
            scope,
            actor,
            NewAssessment {
                household_id,
                assessed_on,
                scores: Scores {
                    human: score,
                    physical: score,
                    financial: score,
                    natural: score,
                    social: score,
                },
                household_size: 3,
                income_per_person_satang: 800_000,
                has_land: None,
                indicators: None,
                notes: None,
                activate: true,
                client_uuid: None,
            },
            None,
        )
        .await?;
    }
    Ok(())
}

fn rng_days(rng: &mut StdRng, from: i64, to: i64) -> i64 {
    rng.random_range(from..=to)
}

/// A day of 2025 (fixed dates keep runs identical).
fn demo_date(day_of_year: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2025, 1, 1).map(|d| d + Duration::days(day_of_year))
}

fn consent_for(
    target: HouseholdStatus,
    household_id: Uuid,
    agency_id: Uuid,
    rng: &mut StdRng,
) -> Option<NewConsent> {
    use HouseholdStatus::*;
    if !matches!(target, Verified | Enrolled | Graduated) || !rng.random_bool(0.12) {
        return None;
    }
    let day = rng_days(rng, 0, 300);
    let given_at = Utc
        .with_ymd_and_hms(2025, 1, 1, 9, 0, 0)
        .single()
        .map(|t| t + Duration::days(day));
    if rng.random_bool(0.1) {
        return Some(NewConsent {
            household_id,
            purposes: vec![ConsentPurpose::Research],
            recipient_agency_types: vec![],
            recipient_agency_ids: vec![],
            legal_basis: LegalBasis::Consent,
            status: ConsentStatus::Refused,
            given_at: None,
            expires_at: None,
        });
    }
    Some(NewConsent {
        household_id,
        purposes: vec![
            ConsentPurpose::Registration,
            ConsentPurpose::CaseManagement,
            ConsentPurpose::Referral,
        ],
        recipient_agency_types: vec![AgencyType::LocalGov],
        recipient_agency_ids: vec![agency_id],
        legal_basis: LegalBasis::Consent,
        status: ConsentStatus::Given,
        given_at,
        expires_at: given_at.map(|t| t + Duration::days(730)),
    })
}

/// One generated household: its key and where its lifecycle should end.
struct DemoHousehold {
    scheme: &'static str,
    id: String,
    target: HouseholdStatus,
}

impl DemoHousehold {
    fn key(&self) -> String {
        format!("{}:{}", self.scheme, self.id)
    }
}

struct Generated {
    csv: Vec<u8>,
    households: Vec<DemoHousehold>,
}

/// The household CSV (import format) and the lifecycle targets. Deterministic.
fn generate_households(places: &BTreeMap<&'static str, Vec<Place>>, total: usize) -> Generated {
    let mut rng = StdRng::seed_from_u64(SEED + 1);
    let mut rows: Vec<[String; 21]> = Vec::new();
    let mut households = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    let provinces: Vec<(&&str, &Vec<Place>)> = places.iter().collect();
    let share = total / provinces.len().max(1);
    // Ages count from a fixed day, so that every run makes the same people.
    let today = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
    for (p, (province, villages)) in provinces.iter().enumerate() {
        let count = if p + 1 == provinces.len() {
            total - share * (provinces.len() - 1)
        } else {
            share
        };
        let muslim_south = matches!(**province, "94" | "95");
        for n in 1..=count {
            let place = pick(&mut rng, villages);
            let source = weighted(
                &mut rng,
                &[
                    (HouseholdSource::Tpmap, 40),
                    (HouseholdSource::BmnSurvey, 20),
                    (HouseholdSource::WelfareCard, 15),
                    (HouseholdSource::Pppconnext, 15),
                    (HouseholdSource::FieldDiscovery, 7),
                    (HouseholdSource::PartnerImport, 3),
                ],
            );
            let scheme = match source {
                HouseholdSource::Tpmap => "TPMAP",
                HouseholdSource::BmnSurvey => "BMN",
                HouseholdSource::WelfareCard => "WELFARE_CARD",
                HouseholdSource::Pppconnext => "PPPCONNEXT",
                HouseholdSource::FieldDiscovery => "FIELD",
                HouseholdSource::PartnerImport => "PARTNER",
            };
            let id = format!("DEMO-{province}-{n:05}");
            let target = weighted(
                &mut rng,
                &[
                    (HouseholdStatus::Discovered, 45),
                    (HouseholdStatus::Verified, 30),
                    (HouseholdStatus::Enrolled, 12),
                    (HouseholdStatus::Graduated, 5),
                    (HouseholdStatus::NotFound, 4),
                    (HouseholdStatus::NotEligible, 4),
                ],
            );
            let size = weighted(
                &mut rng,
                &[(1, 8), (2, 15), (3, 22), (4, 25), (5, 15), (6, 9), (7, 6)],
            );
            let reported_size = if rng.random_bool(0.1) { size + 1 } else { size };
            let house_number = if rng.random_bool(0.4) {
                format!("{}/{}", rng.random_range(1..300), rng.random_range(1..9))
            } else {
                rng.random_range(1..400).to_string()
            };
            let address = format!(
                "หมู่ {} ต.{} อ.{} จ.{}",
                place.moo, place.subdistrict, place.district, place.province
            );
            let location = place
                .location
                .filter(|_| rng.random_bool(0.7))
                .map(|(lat, lng)| {
                    let j = |r: &mut StdRng| f64::from(r.random_range(-40..=40)) / 10_000.0;
                    (lat + j(&mut rng), lng + j(&mut rng))
                });
            let household = [
                scheme.to_string(),
                id.clone(),
                place.village_code.clone(),
                house_number,
                address,
                location.map(|l| format!("{:.5}", l.0)).unwrap_or_default(),
                location.map(|l| format!("{:.5}", l.1)).unwrap_or_default(),
                source.to_value(),
                reported_size.to_string(),
            ];
            let family = if muslim_south {
                pick(&mut rng, FAMILY_NAMES_SOUTH)
            } else {
                pick(&mut rng, FAMILY_NAMES)
            };
            let district = place.village_code.get(..4).unwrap_or("0000");
            for member in members(&mut rng, size, today) {
                let given = match (muslim_south, member.female) {
                    (false, false) => pick(&mut rng, MALE_NAMES),
                    (false, true) => pick(&mut rng, FEMALE_NAMES),
                    (true, false) => pick(&mut rng, MALE_NAMES_SOUTH),
                    (true, true) => pick(&mut rng, FEMALE_NAMES_SOUTH),
                };
                // Spouses and other relatives often keep another family name.
                let family_name =
                    if member.role != "HEAD" && member.role != "CHILD" && rng.random_bool(0.3) {
                        if muslim_south {
                            pick(&mut rng, FAMILY_NAMES_SOUTH)
                        } else {
                            pick(&mut rng, FAMILY_NAMES)
                        }
                    } else {
                        family
                    };
                let (id_type, number) = identity(&mut rng, &member, district, &mut used_ids);
                let adult = member.age >= 18;
                let phone = if adult && rng.random_bool(0.55) {
                    format!(
                        "0{}{:08}",
                        pick(&mut rng, &[6, 8, 9]),
                        rng.random_range(0..100_000_000u32)
                    )
                } else {
                    String::new()
                };
                let education = education(&mut rng, member.age).to_string();
                let occupation = occupation(&mut rng, member.age, province).to_string();
                let disability = if rng.random_bool(0.04) {
                    pick(&mut rng, DISABILITIES).to_string()
                } else {
                    String::new()
                };
                let illness = if member.age >= 45 && rng.random_bool(0.25) {
                    pick(&mut rng, ILLNESSES).to_string()
                } else {
                    String::new()
                };
                rows.push([
                    household[0].clone(),
                    household[1].clone(),
                    household[2].clone(),
                    household[3].clone(),
                    household[4].clone(),
                    household[5].clone(),
                    household[6].clone(),
                    household[7].clone(),
                    household[8].clone(),
                    member.role.to_string(),
                    given.to_string(),
                    family_name.to_string(),
                    if member.female { "FEMALE" } else { "MALE" }.to_string(),
                    member.birth_date.format("%Y-%m-%d").to_string(),
                    phone,
                    id_type.to_string(),
                    number,
                    education,
                    occupation,
                    disability,
                    illness,
                ]);
            }
            households.push(DemoHousehold { scheme, id, target });
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; an error would only drop the demo rows, which the
    // import would then report as missing households.
    let _ = w.write_record(super::import::COLUMNS);
    for row in &rows {
        let _ = w.write_record(row);
    }
    Generated {
        csv: w.into_inner().unwrap_or_default(),
        households,
    }
}

struct Member {
    role: &'static str,
    female: bool,
    age: i32,
    birth_date: NaiveDate,
}

/// A plausible household: a head, often a spouse, children, sometimes an elder or others.
fn members(rng: &mut StdRng, size: usize, today: NaiveDate) -> Vec<Member> {
    let born = |rng: &mut StdRng, age: i32| {
        let year = today.year() - age - 1;
        NaiveDate::from_ymd_opt(year, 1, 1)
            .map(|d| d + Duration::days(rng.random_range(0..365)))
            .unwrap_or(today)
    };
    let head_age = rng.random_range(30..=78);
    let head_female = rng.random_bool(0.45);
    let mut out = vec![Member {
        role: "HEAD",
        female: head_female,
        age: head_age,
        birth_date: born(rng, head_age),
    }];
    if size >= 2 && rng.random_bool(0.75) {
        let age = (head_age + rng.random_range(-6..=6)).max(20);
        out.push(Member {
            role: "SPOUSE",
            female: !head_female,
            age,
            birth_date: born(rng, age),
        });
    }
    if out.len() < size && head_age >= 55 && rng.random_bool(0.3) {
        let age = (head_age + rng.random_range(18..=25)).min(99);
        out.push(Member {
            role: "ELDER",
            female: rng.random_bool(0.6),
            age,
            birth_date: born(rng, age),
        });
    }
    while out.len() < size {
        let (role, age) = if rng.random_bool(0.8) {
            ("CHILD", (head_age - rng.random_range(18..=40)).clamp(0, 40))
        } else if rng.random_bool(0.7) {
            ("OTHER_RELATIVE", rng.random_range(2..=70))
        } else {
            ("NON_RELATIVE", rng.random_range(16..=60))
        };
        out.push(Member {
            role,
            female: rng.random_bool(0.5),
            age,
            birth_date: born(rng, age),
        });
    }
    out
}

/// An ID type and number: mostly Thai national IDs (first digit 1 for people registered at
/// birth since 1984, 3 before; digits 2–5 the registering district), some non-Thai IDs
/// (migrant workers, stateless people), a few without any.
fn identity(
    rng: &mut StdRng,
    member: &Member,
    district: &str,
    used: &mut HashSet<String>,
) -> (&'static str, String) {
    let roll = rng.random_range(0..100);
    if roll < 4 {
        return ("NONE", String::new());
    }
    if roll < 7 {
        loop {
            let number = format!("MM{:07}", rng.random_range(0..10_000_000u32));
            if used.insert(number.clone()) {
                return ("NON_THAI_ID", number);
            }
        }
    }
    let first = if member.birth_date.year() >= 1984 {
        '1'
    } else {
        '3'
    };
    loop {
        let body = format!("{first}{district}{:07}", rng.random_range(0..10_000_000u32));
        let sum: u32 = body
            .chars()
            .zip((2..=13).rev())
            .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
            .sum();
        let number = format!("{body}{}", (11 - sum % 11) % 10);
        if used.insert(number.clone()) {
            return ("THAI_NATIONAL_ID", number);
        }
    }
}

fn education(rng: &mut StdRng, age: i32) -> &'static str {
    match age {
        0..=5 => "",
        6..=11 => "ประถมศึกษา (กำลังเรียน)",
        12..=17 => "มัธยมศึกษา (กำลังเรียน)",
        _ => weighted(
            rng,
            &[
                ("ไม่ได้เรียน", 5),
                ("ประถมศึกษา", 45),
                ("มัธยมศึกษาตอนต้น", 20),
                ("มัธยมศึกษาตอนปลาย", 17),
                ("ปวช./ปวส.", 8),
                ("ปริญญาตรี", 5),
            ],
        ),
    }
}

fn occupation(rng: &mut StdRng, age: i32, province: &str) -> &'static str {
    match age {
        0..=5 => "",
        6..=17 => "นักเรียน",
        70.. => "ไม่ได้ทำงาน (ผู้สูงอายุ)",
        _ => {
            let south = matches!(province, "93" | "94" | "95");
            let farming = if south {
                "ทำสวนยางพารา"
            } else {
                "ทำนา"
            };
            weighted(
                rng,
                &[
                    (farming, 35),
                    ("รับจ้างทั่วไป", 30),
                    (
                        if south {
                            "ประมงพื้นบ้าน"
                        } else {
                            "ทำไร่"
                        },
                        10,
                    ),
                    ("ค้าขาย", 8),
                    ("เลี้ยงสัตว์", 7),
                    ("ว่างงาน", 10),
                ],
            )
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[items.len() - 1].0
}

const VILLAGE_NAMES: &[(&str, &str)] = &[
    ("หนองบัว", "Nong Bua"),
    ("ดอนแก้ว", "Don Kaeo"),
    ("ป่าตาล", "Pa Tan"),
    ("สันติสุข", "Santisuk"),
    ("โคกสะอาด", "Khok Sa-at"),
    ("นาเจริญ", "Na Charoen"),
    ("ห้วยทราย", "Huai Sai"),
    ("หนองแวง", "Nong Waeng"),
    ("ดอนไชย", "Don Chai"),
    ("ท่าช้าง", "Tha Chang"),
    ("ป่าแดง", "Pa Daeng"),
    ("น้ำริน", "Nam Rin"),
    ("ทุ่งเจริญ", "Thung Charoen"),
    ("โนนสวรรค์", "Non Sawan"),
    ("หนองหิน", "Nong Hin"),
    ("บ่อแก้ว", "Bo Kaeo"),
    ("วังทอง", "Wang Thong"),
    ("ควนเนียง", "Khuan Niang"),
    ("ทุ่งยาว", "Thung Yao"),
    ("แม่ตีบ", "Mae Tip"),
    ("สามัคคี", "Samakkhi"),
    ("ใหม่พัฒนา", "Mai Phatthana"),
    ("โพธิ์ทอง", "Pho Thong"),
    ("บางหมู", "Bang Mu"),
];

const MALE_NAMES: &[&str] = &[
    "สมชาย",
    "สมศักดิ์",
    "ประเสริฐ",
    "บุญมี",
    "สมบัติ",
    "วิชัย",
    "สุรชัย",
    "ชัยวัฒน์",
    "อนันต์",
    "ประสิทธิ์",
    "สุเทพ",
    "มานพ",
    "บุญเลิศ",
    "ทองดี",
    "สมพงษ์",
    "วีระ",
    "นิพนธ์",
    "ธนากร",
    "กิตติศักดิ์",
    "ณัฐพล",
    "พงศกร",
    "อภิชาติ",
    "ศุภชัย",
    "จักรพันธ์",
    "ธีรวัฒน์",
    "ภานุวัฒน์",
    "สุริยา",
    "บุญส่ง",
    "คำแปง",
    "ปัญญา",
];

const FEMALE_NAMES: &[&str] = &[
    "สมศรี",
    "บุญเรือน",
    "มาลี",
    "สุดา",
    "วันเพ็ญ",
    "ประนอม",
    "บัวผัน",
    "ทองใบ",
    "จันทร์เพ็ญ",
    "สายสุนีย์",
    "นงลักษณ์",
    "อรุณี",
    "กัญญา",
    "ศิริพร",
    "พรทิพย์",
    "รัตนา",
    "สุภาพร",
    "วิไลวรรณ",
    "ปิยะนุช",
    "ณัฐธิดา",
    "กมลชนก",
    "สุนิสา",
    "อัมพร",
    "บุญมา",
    "แสงเดือน",
    "คำปุ่น",
    "ดวงใจ",
    "เพ็ญศรี",
    "จิราพร",
    "ธิดารัตน์",
];

const FAMILY_NAMES: &[&str] = &[
    "ใจดี",
    "แสนสุข",
    "ศรีสุข",
    "บุญมา",
    "ทองคำ",
    "แก้วมณี",
    "สุขเจริญ",
    "ชัยมงคล",
    "วงศ์ใหญ่",
    "ปัญญาดี",
    "อินทร์แก้ว",
    "คำมูล",
    "ศรีวงศ์",
    "ทองสุข",
    "มณีวงศ์",
    "จันทร์หอม",
    "พรหมมา",
    "สิทธิชัย",
    "บุญเรือง",
    "เรือนคำ",
    "ไชยวงศ์",
    "อุ่นเรือน",
    "ปวงคำ",
    "กาวิละ",
    "ดวงแก้ว",
    "ภูมิสวัสดิ์",
    "ศรีบุญเรือง",
    "นาคสวัสดิ์",
    "พิมพ์ทอง",
    "สายบุญ",
    "หอมจันทร์",
    "ทิพย์มณี",
    "แก้วประเสริฐ",
    "ศรีภูมิ",
    "บุญยืน",
    "มหาวงศ์",
    "คงสมบูรณ์",
    "ทองอินทร์",
    "เพชรรัตน์",
    "รักษ์ไทย",
];

const MALE_NAMES_SOUTH: &[&str] = &[
    "อับดุลเลาะ",
    "มะรอนิง",
    "อิสมาแอ",
    "ซูไฮมี",
    "มูหะมัด",
    "อาหมัด",
    "ยูโซะ",
    "อับดุลรอมัน",
    "ฮาซัน",
    "รอฮีม",
    "มะนาเซ",
    "ซาการียา",
    "ฟิรดาวส์",
    "อิบรอฮิม",
    "สุไลมาน",
];

const FEMALE_NAMES_SOUTH: &[&str] = &[
    "ฟาตีเมาะ",
    "นูรีซัน",
    "ซารีปะ",
    "ไซนับ",
    "รอฮานี",
    "แวนอ",
    "ซูไวบะ",
    "มารีแย",
    "นูรฮายาตี",
    "อามีเนาะ",
    "ฮาลีเมาะ",
    "ซัลมา",
    "รุสนี",
    "นิอร",
    "ยามีละ",
];

const FAMILY_NAMES_SOUTH: &[&str] = &[
    "สาและ",
    "ยูโซะ",
    "ดือราแม",
    "มะลี",
    "หะยีสาแม",
    "แวหะยี",
    "อาแวกาจิ",
    "สะมะแอ",
    "ลาเตะ",
    "ดอเลาะ",
    "มะแซ",
    "สาแม",
    "ยีหมะ",
    "อาลี",
    "เจ๊ะมะ",
    "หะมิ",
    "บากา",
    "แวดือราแม",
    "เจะอุบง",
    "บินยูโซะ",
];

const DISABILITIES: &[&str] = &[
    "พิการทางการเคลื่อนไหว",
    "พิการทางการมองเห็น",
    "พิการทางการได้ยิน",
    "พิการทางสติปัญญา",
];

const ILLNESSES: &[&str] = &["เบาหวาน", "ความดันโลหิตสูง", "โรคหัวใจ", "โรคไตเรื้อรัง"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_thai_ids_pass_the_check_digit() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut used = HashSet::new();
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for m in members(&mut rng, 7, today) {
            for _ in 0..50 {
                let (kind, number) = identity(&mut rng, &m, "5201", &mut used);
                if kind == "THAI_NATIONAL_ID" {
                    assert!(crate::pii::normalize_thai_id(&number).is_ok(), "{number}");
                    assert_eq!(&number[1..5], "5201");
                }
            }
        }
    }

    #[test]
    fn a_generated_household_has_exactly_one_head() {
        let mut rng = StdRng::seed_from_u64(7);
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for size in 1..=7 {
            let m = members(&mut rng, size, today);
            assert_eq!(m.len(), size);
            assert_eq!(m.iter().filter(|m| m.role == "HEAD").count(), 1);
            assert!(m.iter().all(|m| m.birth_date <= today));
        }
    }
}
