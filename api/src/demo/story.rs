//! The loop, told on a few Lampang households: a catalogue from two agencies, two rounds of
//! assessments (so ladder movement shows), an area matching run whose matches are moved to
//! every status, cases with consented referrals (and one refused for want of consent),
//! interventions, visits, and a relapse after graduation. Everything goes through the domain
//! services, so the rollups, the audit and every rule hold as for any other write.

use chrono::{Duration, NaiveDate, Utc};
use entity::{
    account,
    enums::{
        AgencyType, Capital, CapitalMinimums, CasePriority, CaseType, ConsentPurpose,
        ConsentStatus, InterventionKind, LegalBasis, MatchStatus, ServiceCategory,
        TechnologySector, VisitType,
    },
    r#match as matches,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    agency::service::{AgencyFields, create_agency},
    assessment::service::{NewAssessment, Scores, record_assessment},
    audit::service::Actor,
    auth::{AccountViewer, Scope, Viewer},
    case::{
        intervention::{NewIntervention, record_intervention},
        lifecycle::ReferralAction,
        referral::{NewReferral, ReferralMove, move_referral, refer_case},
        service::{NewCase, open_case},
        visit::{NewVisit, VisitCompletion, complete_visit, schedule_visit},
    },
    catalogue::service::{ServiceFields, TechnologyFields, save_entry},
    config::Settings,
    consent::service::{NewConsent, record_consent},
    error::{ApiError, ApiResult},
    matching::service::{MatchMove, RunInput, Scoring, run_matching, transition_match},
    mobility::evidence::EvidenceCache,
};

use super::lifecycle::demo_date;

/// The second partner agency of the story.
pub const DEMO_SECOND_AGENCY_NAME: &str = "สำนักงานเกษตรจังหวัดลำปาง (สาธิต)";
/// The area of the demo matching run (Lampang).
pub const STORY_AREA: &str = "52";

/// Verified or enrolled Lampang households the story needs (and uses).
pub const STORY_HOUSEHOLDS: usize = 20;
/// Seats per technology in the demo matching run (fewer than the households, so that some
/// stay unmatched for the casework part).
const SEATS: u32 = 4;

/// What the story made.
#[derive(Debug, Clone, Default)]
pub struct StorySummary {
    pub technologies: u64,
    pub services: u64,
    pub assessments: u64,
    pub matches: u64,
    pub cases: u64,
    pub referrals: u64,
    /// Referrals the service refused because the household had given no consent.
    pub referrals_refused_for_consent: u64,
    pub interventions: u64,
    pub visits: u64,
    pub relapses: u64,
}

fn date(day: i64) -> ApiResult<NaiveDate> {
    demo_date(day).ok_or_else(|| ApiError::internal("demo date"))
}

fn scores(level: i32) -> Scores {
    Scores {
        human: level,
        physical: level - 20,
        financial: level - 40,
        natural: level + 10,
        social: level + 20,
    }
}

async fn assess(
    db: &DatabaseConnection,
    actor: &Actor,
    household_id: Uuid,
    assessed_on: NaiveDate,
    level: i32,
    income_baht: i64,
) -> ApiResult<()> {
    record_assessment(
        db,
        &Scope::All,
        actor,
        NewAssessment {
            household_id,
            assessed_on,
            scores: scores(level),
            household_size: 4,
            income_per_person_satang: income_baht * 100,
            has_land: Some(true),
            indicators: None,
            notes: None,
            activate: true,
            client_uuid: None,
        },
        None,
    )
    .await?;
    Ok(())
}

/// Tells the story on `enrolled` (ENROLLED Lampang households created by this seed, in a
/// fixed order) and `graduates` (GRADUATED ones). `agency_id` is the demo agency.
pub(super) async fn tell(
    db: &DatabaseConnection,
    settings: &Settings,
    actor: &Actor,
    agency_id: Uuid,
    enrolled: &[Uuid],
    graduates: &[Uuid],
) -> ApiResult<StorySummary> {
    let mut s = StorySummary::default();
    if enrolled.len() < STORY_HOUSEHOLDS {
        return Err(ApiError::internal(
            "the demo story needs more verified or enrolled Lampang households",
        ));
    }
    let second = create_agency(
        db,
        actor,
        DEMO_SECOND_AGENCY_NAME.into(),
        AgencyType::ProvincialGov,
        AgencyFields {
            name: None,
            name_en: Some(Some("Lampang Provincial Agriculture Office (demo)".into())),
            agency_type: None,
            contact_name: None,
            contact_email: Some(Some("demo-agri@example.org".into())),
            contact_phone: None,
            coverage: Some(vec![STORY_AREA.into()]),
            active: None,
        },
    )
    .await?
    .id;

    // The catalogue: technologies and services from both agencies.
    let tech = |name: &str, sector, capitals: Vec<Capital>, cost, gain| TechnologyFields {
        name: name.into(),
        description: Some("เทคโนโลยีสาธิตสำหรับการทดลองใช้ระบบ".into()),
        sector,
        capitals_raised: capitals,
        min_scores: CapitalMinimums::default(),
        requires_land: false,
        min_working_age_members: 0,
        suitable_areas: vec![STORY_AREA.into()],
        unit_cost_baht: cost,
        monthly_income_gain_baht: gain,
        training_days: 5,
        seats_per_round: 20,
        readiness_level: 7,
        active: true,
    };
    let mut technologies = Vec::new();
    for (owner, fields) in [
        (
            agency_id,
            tech(
                "โรงเรือนเพาะเห็ดต้นทุนต่ำ",
                TechnologySector::Agriculture,
                vec![Capital::Financial, Capital::Physical],
                3_500,
                1_800,
            ),
        ),
        (
            agency_id,
            tech(
                "เตาเผาถ่านประสิทธิภาพสูง",
                TechnologySector::Handicraft,
                vec![Capital::Natural, Capital::Financial],
                2_000,
                900,
            ),
        ),
        (
            second,
            tech(
                "การเลี้ยงไก่ไข่อารมณ์ดี",
                TechnologySector::Livestock,
                vec![Capital::Financial, Capital::Human],
                4_000,
                2_200,
            ),
        ),
    ] {
        technologies.push(save_entry(db, actor, None, owner, fields).await?.id);
        s.technologies += 1;
    }
    let service = |name: &str, category| ServiceFields {
        name: name.into(),
        description: Some("บริการสาธิต".into()),
        category,
        target_capitals: vec![Capital::Financial],
        coverage: vec![STORY_AREA.into()],
        capacity: Some(50),
        active: true,
    };
    let mut services = Vec::new();
    for (owner, fields) in [
        (
            agency_id,
            service("ฝึกอบรมทำบัญชีครัวเรือน", ServiceCategory::Finance),
        ),
        (
            second,
            service("ตรวจสุขภาพดินและแจกพันธุ์พืช", ServiceCategory::Health),
        ),
    ] {
        services.push(save_entry(db, actor, None, owner, fields).await?.id);
        s.services += 1;
    }

    // Two rounds of assessments, 150 days apart: most climb, a few fall back.
    let first_round = date(60)?;
    let second_round = date(210)?;
    for (i, &household) in enrolled.iter().enumerate() {
        let start = 140 + (i as i32 % 5) * 20;
        assess(db, actor, household, first_round, start, 1_800).await?;
        let change = if i % 4 == 3 {
            -40
        } else {
            60 + (i as i32 % 3) * 40
        };
        assess(db, actor, household, second_round, start + change, 2_400).await?;
        s.assessments += 2;
    }

    // A matching run over the province, by the Lampang coordinator.
    let coordinator = account::Entity::find()
        .filter(account::Column::Login.eq("demo-coordinator-52"))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal("demo-coordinator-52 is missing"))?;
    let viewer = Viewer::Account(AccountViewer {
        id: coordinator.id,
        login: coordinator.login.clone(),
        role: coordinator.role,
        area_scopes: vec![STORY_AREA.into()],
        agency_id: None,
        session_id: Uuid::nil(),
    });
    let coordinator_actor = Actor::system("seed-demo");
    let evidence = EvidenceCache::default();
    let run = run_matching(
        db,
        &viewer,
        &Scope::All,
        &coordinator_actor,
        Scoring {
            weights: &settings.match_weights,
            measurement: &settings.measurement,
            evidence: &evidence,
        },
        RunInput {
            area_code: STORY_AREA.into(),
            seats: technologies.iter().map(|&t| (t, SEATS)).collect(),
        },
    )
    .await?;
    let made = matches::Entity::find()
        .filter(matches::Column::RunId.eq(run.id))
        .order_by_asc(matches::Column::Id)
        .all(db)
        .await?;
    s.matches = made.len() as u64;
    if made.len() < 8 {
        return Err(ApiError::internal(
            "the demo matching run made fewer than 8 matches",
        ));
    }
    // One match per status (the first stays SUGGESTED).
    use MatchStatus::*;
    let paths: [&[MatchStatus]; 8] = [
        &[],
        &[Offered],
        &[Offered, Accepted],
        &[Offered, Accepted, InTraining],
        &[Offered, Accepted, InTraining, Adopted],
        &[Offered, Accepted, InTraining, Adopted, Sustained],
        &[Offered, Declined],
        &[Offered, Accepted, Dropped],
    ];
    let mut accepted_match = None;
    for (m, path) in made.iter().zip(paths) {
        let mut version = m.version;
        for &to in path {
            let moved = transition_match(
                db,
                &Scope::All,
                actor,
                m.id,
                version,
                MatchMove {
                    to,
                    reason: matches!(to, Declined | Dropped)
                        .then(|| "ครัวเรือนแจ้งว่าไม่มีเวลาเข้าร่วม".to_string()),
                    follow_up_income_satang: matches!(to, Adopted | Sustained).then_some(320_000),
                },
                None,
            )
            .await?;
            version = moved.version;
        }
        if path.last() == Some(&InTraining) {
            accepted_match = Some(m.id);
        }
    }
    if let Some(match_id) = accepted_match {
        record_intervention(
            db,
            &Scope::All,
            actor,
            NewIntervention {
                referral_id: None,
                match_id: Some(match_id),
                kind: InterventionKind::TechnologyAdoption,
                target_capital: Some(Capital::Financial),
                quantity: 1.0,
                unit: "ชุดโรงเรือน".into(),
                cost_satang: Some(350_000),
                delivered_on: date(240)?,
                notes: None,
                client_created_at: None,
            },
            None,
        )
        .await?;
        s.interventions += 1;
    }

    // Casework on households the run did not match: three with consent to referral to the
    // demo agency, one without (its referral is refused).
    let unmatched: Vec<Uuid> = enrolled
        .iter()
        .copied()
        .filter(|h| !made.iter().any(|m| m.household_id == *h))
        .take(4)
        .collect();
    let given_at = Utc::now() - Duration::days(30);
    for (i, &household) in unmatched.iter().enumerate() {
        let consented = i < 3;
        if consented {
            record_consent(
                db,
                &Scope::All,
                actor,
                NewConsent {
                    household_id: household,
                    purposes: vec![
                        ConsentPurpose::Registration,
                        ConsentPurpose::CaseManagement,
                        ConsentPurpose::Referral,
                    ],
                    recipient_agency_types: vec![],
                    recipient_agency_ids: vec![agency_id],
                    legal_basis: LegalBasis::Consent,
                    status: ConsentStatus::Given,
                    given_at: Some(given_at),
                    expires_at: Some(given_at + Duration::days(730)),
                },
            )
            .await?;
        }
        let case = open_case(
            db,
            &Scope::All,
            actor,
            NewCase {
                household_id: household,
                person_id: None,
                case_type: CaseType::OccupationDevelopment,
                priority: if i == 0 {
                    CasePriority::High
                } else {
                    CasePriority::Normal
                },
                owner_agency_id: None,
                assigned_worker_id: None,
                review_due_on: Some(Utc::now().date_naive() + Duration::days(30)),
                summary: Some("ต้องการอาชีพเสริมและความรู้ด้านการเงิน".into()),
                client_created_at: None,
            },
            None,
        )
        .await?;
        s.cases += 1;
        let referred = refer_case(
            db,
            &Scope::All,
            &viewer,
            actor,
            settings.referral_sla_days,
            NewReferral {
                case_id: case.id,
                to_agency_id: agency_id,
                service_id: services.first().copied(),
                technology_id: None,
                reason: "ส่งต่อเข้าอบรมทำบัญชีครัวเรือน".into(),
                due_on: None,
                consent_override_reason: None,
                client_created_at: None,
            },
            None,
        )
        .await;
        let referral = match (consented, referred) {
            (true, Ok(r)) => r,
            (false, Err(_)) => {
                s.referrals_refused_for_consent += 1;
                continue;
            }
            (true, Err(e)) => return Err(e),
            (false, Ok(_)) => {
                return Err(ApiError::internal(
                    "a referral without consent was accepted by the demo",
                ));
            }
        };
        s.referrals += 1;
        let agency_scope = Scope::Agency(agency_id);
        if i >= 1 {
            move_referral(
                db,
                &agency_scope,
                actor,
                ReferralMove::new(referral.id, ReferralAction::Accept, None),
                None,
            )
            .await?;
            record_intervention(
                db,
                &agency_scope,
                actor,
                NewIntervention {
                    referral_id: Some(referral.id),
                    match_id: None,
                    kind: InterventionKind::Training,
                    target_capital: Some(Capital::Financial),
                    quantity: 2.0,
                    unit: "วันอบรม".into(),
                    cost_satang: Some(120_000),
                    delivered_on: Utc::now().date_naive() - Duration::days(7),
                    notes: None,
                    client_created_at: None,
                },
                None,
            )
            .await?;
            s.interventions += 1;
        }
        if i == 2 {
            move_referral(
                db,
                &agency_scope,
                actor,
                ReferralMove::new(
                    referral.id,
                    ReferralAction::Complete,
                    Some("อบรมครบหลักสูตรแล้ว".into()),
                ),
                None,
            )
            .await?;
        }
        // A follow-up visit: the first one done, the others still to come.
        let visit = schedule_visit(
            db,
            &Scope::All,
            actor,
            NewVisit {
                household_id: household,
                case_id: Some(case.id),
                visit_type: VisitType::Home,
                scheduled_at: Utc::now() + Duration::days(7 + i as i64),
                notes: Some("ติดตามผลหลังการอบรม".into()),
                client_uuid: None,
                client_created_at: None,
            },
            None,
        )
        .await?;
        s.visits += 1;
        if i == 0 {
            complete_visit(
                db,
                &Scope::All,
                actor,
                VisitCompletion {
                    id: visit.id,
                    occurred_at: Utc::now() - Duration::hours(2),
                    notes: Some("พบหัวหน้าครัวเรือน แผนอาชีพคืบหน้า".into()),
                    lat: None,
                    lng: None,
                    assessment: None,
                    client_updated_at: None,
                },
                None,
            )
            .await?;
        }
    }

    // A relapse: a graduate assessed again, fallen back below the graduation level.
    if let Some(&graduate) = graduates.first() {
        assess(db, actor, graduate, Utc::now().date_naive(), 160, 1_500).await?;
        s.assessments += 1;
        s.relapses += 1;
    }
    Ok(s)
}
