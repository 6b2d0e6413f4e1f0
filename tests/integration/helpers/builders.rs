//! Fixture builders for the registry, the catalogue and casework: households (with members,
//! a status path and an assessment), technologies, consents, agencies, cases and referrals.
//! Valid defaults; each setter changes one thing; `input()` gives the GraphQL input for tests
//! that send it themselves (to check a refusal), `create` writes it. They are the one place
//! that knows these inputs, so a schema change touches this file only.
//!
//! Households, technologies, consents, cases and referrals go through GraphQL as the caller
//! whose token is given (so rules, scopes and audit apply); agencies through the domain
//! service as the system.
use api::{
    agency::service::{AgencyFields, create_agency},
    audit::service::Actor,
};
use chrono::{Duration, Utc};
use entity::{agency, enums::AgencyType};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Gql, REGISTER, TestApp,
    fixtures::{LAMPANG_VILLAGE, thai_id},
};

/// The global id of a record.
fn gid(type_name: &str, id: Uuid) -> Value {
    json!(api::graphql::node::encode(type_name, id))
}

/// Sets every key of `extra` (an object) on `input`.
fn merge(input: &mut Value, extra: &Value) {
    for (k, v) in extra.as_object().expect("an object") {
        input[k] = v.clone();
    }
}

const TRANSITION: &str = "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) { household { id status version } } }";
const RECORD_ASSESSMENT: &str = "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { assessment { id status } } }";

// ------------------------------------------------------------------------------------------
// Households

/// An assessment a [`HouseholdBuilder`] records after registering (and after its status path).
#[derive(Clone, Debug)]
pub struct AssessmentSpec {
    /// Every capital at this score…
    pub score: f64,
    /// …except `human`, when given.
    pub human: Option<f64>,
    pub income: f64,
    pub assessed_on: String,
    pub household_size: i64,
    pub activate: Option<bool>,
    /// Other input fields (`hasLand`, `notes` …).
    pub extra: Value,
}

impl AssessmentSpec {
    /// All capitals at `score`, `income` baht per person per month, assessed yesterday, three
    /// people, activated by the server's default.
    pub fn new(score: f64, income: f64) -> Self {
        Self {
            score,
            human: None,
            income,
            assessed_on: (Utc::now().date_naive() - Duration::days(1)).to_string(),
            household_size: 3,
            activate: None,
            extra: json!({}),
        }
    }

    pub fn on(mut self, date: &str) -> Self {
        self.assessed_on = date.into();
        self
    }

    pub fn human(mut self, human: f64) -> Self {
        self.human = Some(human);
        self
    }

    /// Each capital's score: human, physical, financial, natural, social.
    pub fn capitals(self, scores: [f64; 5]) -> Self {
        let [human, physical, financial, natural, social] = scores;
        self.with(json!({ "scores": { "human": human, "physical": physical,
            "financial": financial, "natural": natural, "social": social } }))
    }

    pub fn size(mut self, household_size: i64) -> Self {
        self.household_size = household_size;
        self
    }

    pub fn activate(mut self, activate: bool) -> Self {
        self.activate = Some(activate);
        self
    }

    pub fn with(mut self, extra: Value) -> Self {
        merge(&mut self.extra, &extra);
        self
    }

    /// The `RecordAssessmentInput` for `household`.
    pub fn input(&self, household: &Value) -> Value {
        let s = self.score;
        let mut input = json!({ "householdId": household, "assessedOn": self.assessed_on,
            "householdSize": self.household_size, "incomePerPerson": self.income,
            "scores": { "human": self.human.unwrap_or(s), "physical": s, "financial": s,
                        "natural": s, "social": s } });
        if let Some(a) = self.activate {
            input["activate"] = json!(a);
        }
        merge(&mut input, &self.extra);
        input
    }

    /// Records it as `token`; returns the assessment id.
    pub async fn record(&self, app: &TestApp, token: &str, household: &Value) -> Value {
        app.gql(
            Some(token),
            RECORD_ASSESSMENT,
            json!({ "i": self.input(household) }),
        )
        .await
        .data("/recordAssessment/assessment/id")
        .clone()
    }
}

/// A registered household, as the builder left it.
#[derive(Clone, Debug)]
pub struct BuiltHousehold {
    pub id: Value,
    /// Its version after the status path.
    pub version: i64,
    /// The `registerHousehold` payload (household with members and history, duplicates).
    pub registered: Value,
    /// The id of the assessment recorded, if one was asked for.
    pub assessment: Option<Value>,
}

/// A household: by default registered from TPMAP in the Lampang test village (villages must be
/// seeded) with one female head, `คน<seed>`, whose national ID derives from `seed`.
#[derive(Clone, Debug)]
pub struct HouseholdBuilder {
    seed: u64,
    village: String,
    head_given: String,
    head_extra: Value,
    members: Vec<Value>,
    extra: Value,
    /// Input fields left out: top level, and of the head's person.
    omitted: Vec<String>,
    head_omitted: Vec<String>,
    status_path: Vec<String>,
    /// Who moves it along the status path (default: whoever registers it).
    mover: Option<String>,
    verified_on: Option<String>,
    assessment: Option<AssessmentSpec>,
}

impl HouseholdBuilder {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            village: LAMPANG_VILLAGE.into(),
            head_given: format!("คน{seed}"),
            head_extra: json!({}),
            members: Vec::new(),
            extra: json!({}),
            omitted: Vec::new(),
            head_omitted: Vec::new(),
            status_path: Vec::new(),
            mover: None,
            verified_on: None,
            assessment: None,
        }
    }

    pub fn village(mut self, code: &str) -> Self {
        self.village = code.into();
        self
    }

    /// The head's given name.
    pub fn head(mut self, given: &str) -> Self {
        self.head_given = given.into();
        self
    }

    /// Other fields of the head's person input (`phone`, `familyName` …).
    pub fn head_with(mut self, person: Value) -> Self {
        merge(&mut self.head_extra, &person);
        self
    }

    /// Leaves these registration input fields out (e.g. `houseNumber`).
    pub fn omit(mut self, fields: &[&str]) -> Self {
        self.omitted.extend(fields.iter().map(|f| f.to_string()));
        self
    }

    /// Leaves these fields of the head's person out (e.g. `nationalId`, `sex`).
    pub fn head_omit(mut self, fields: &[&str]) -> Self {
        self.head_omitted
            .extend(fields.iter().map(|f| f.to_string()));
        self
    }

    pub fn phone(self, phone: &str) -> Self {
        self.head_with(json!({ "phone": phone }))
    }

    /// Another member (`{ "role": …, "person": { … } }`), after the head.
    pub fn member(mut self, member: Value) -> Self {
        self.members.push(member);
        self
    }

    /// Other fields of the registration input (`source`, `houseNumber`, `externalIds` …);
    /// `members` here replaces the head and the added members.
    pub fn with(mut self, extra: Value) -> Self {
        merge(&mut self.extra, &extra);
        self
    }

    /// Statuses to move through after registering (e.g. `["VERIFIED", "ENROLLED"]`); a
    /// verification gets evidence verified 30 days ago, side exits a reason.
    pub fn status_path(mut self, path: &[&str]) -> Self {
        self.status_path = path.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The status path is walked as `token` (e.g. a coordinator's, where a surveyor registers).
    pub fn moved_by(mut self, token: &str) -> Self {
        self.mover = Some(token.into());
        self
    }

    /// The date a verification on the status path names (default: 30 days ago).
    pub fn verified_on(mut self, date: &str) -> Self {
        self.verified_on = Some(date.into());
        self
    }

    /// An assessment recorded after the status path.
    pub fn assessment(mut self, spec: AssessmentSpec) -> Self {
        self.assessment = Some(spec);
        self
    }

    /// The `RegisterHouseholdInput`.
    pub fn input(&self) -> Value {
        let mut head = json!({ "givenName": self.head_given, "familyName": "ใจดี", "sex": "FEMALE",
            "birthDate": "1970-05-01", "nationalId": thai_id(self.seed) });
        merge(&mut head, &self.head_extra);
        for field in &self.head_omitted {
            head.as_object_mut().unwrap().remove(field);
        }
        let mut members = vec![json!({ "role": "HEAD", "person": head })];
        members.extend(self.members.iter().cloned());
        let mut input = json!({
            "villageCode": self.village,
            "source": "TPMAP",
            "houseNumber": format!("{}/1", self.seed % 1000),
            "members": members,
        });
        merge(&mut input, &self.extra);
        for field in &self.omitted {
            input.as_object_mut().unwrap().remove(field);
        }
        input
    }

    /// Registers as `token` (and moves, unless `moved_by`, and assesses as `token`).
    pub async fn create(self, app: &TestApp, token: &str) -> BuiltHousehold {
        let registered = app
            .gql(Some(token), REGISTER, json!({ "i": self.input() }))
            .await
            .data("/registerHousehold")
            .clone();
        let id = registered["household"]["id"].clone();
        let mut version = registered["household"]["version"].as_i64().unwrap_or(1);
        let mover = self.mover.as_deref().unwrap_or(token);
        for to in &self.status_path {
            version = transition_with(app, mover, &id, version, to, self.verified_on.as_deref())
                .await
                .data("/transitionHousehold/household/version")
                .as_i64()
                .unwrap();
        }
        let assessment = match &self.assessment {
            Some(spec) => Some(spec.record(app, token, &id).await),
            None => None,
        };
        BuiltHousehold {
            id,
            version,
            registered,
            assessment,
        }
    }
}

/// `transitionHousehold` (raw response): a verification carries evidence verified 30 days ago;
/// `reason` defaults to one for the side exits that need it.
pub async fn transition_household(
    app: &TestApp,
    token: &str,
    household: &Value,
    version: i64,
    to: &str,
    reason: Option<&str>,
) -> Gql {
    let verified_on = (Utc::now().date_naive() - Duration::days(30)).to_string();
    app.gql(
        Some(token),
        TRANSITION,
        json!({ "i": { "householdId": household, "version": version, "to": to, "reason": reason,
            "evidence": { "verifiedOn": verified_on } } }),
    )
    .await
}

/// A step of a builder's status path: verification evidence on `verified_on` (default 30 days
/// ago), no reason.
async fn transition_with(
    app: &TestApp,
    token: &str,
    household: &Value,
    version: i64,
    to: &str,
    verified_on: Option<&str>,
) -> Gql {
    match verified_on {
        None => transition_household(app, token, household, version, to, None).await,
        Some(date) => {
            app.gql(
                Some(token),
                TRANSITION,
                json!({ "i": { "householdId": household, "version": version, "to": to,
                    "evidence": { "verifiedOn": date } } }),
            )
            .await
        }
    }
}

// ------------------------------------------------------------------------------------------
// Agencies

/// A partner agency: by default a UNIVERSITY covering Lampang (52).
#[derive(Clone, Debug)]
pub struct AgencyBuilder {
    name: String,
    agency_type: AgencyType,
    coverage: Vec<String>,
}

impl AgencyBuilder {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            agency_type: AgencyType::University,
            coverage: vec!["52".into()],
        }
    }

    pub fn agency_type(mut self, agency_type: AgencyType) -> Self {
        self.agency_type = agency_type;
        self
    }

    /// Area codes it covers (empty: nationwide).
    pub fn coverage(mut self, codes: &[&str]) -> Self {
        self.coverage = codes.iter().map(|c| c.to_string()).collect();
        self
    }

    pub async fn create(self, app: &TestApp) -> agency::Model {
        create_agency(
            &app.db,
            &Actor::system("test"),
            self.name,
            self.agency_type,
            AgencyFields {
                name: None,
                name_en: None,
                agency_type: None,
                contact_name: None,
                contact_email: None,
                contact_phone: None,
                coverage: Some(self.coverage),
                active: None,
            },
        )
        .await
        .expect("fixture agency")
    }
}

// ------------------------------------------------------------------------------------------
// Technologies

/// A catalogue technology `agency` delivers: by default a fishery technology raising the
/// financial capital, 3,000 baht a unit, 1,200 baht a month more, 3 training days, 30 seats,
/// readiness 7, suitable everywhere.
#[derive(Clone, Debug)]
pub struct TechnologyBuilder {
    input: Value,
}

pub const CREATE_TECHNOLOGY: &str =
    "mutation($i: TechnologyInput!) { createTechnology(input: $i) { technology { id } } }";

impl TechnologyBuilder {
    pub fn new(agency: Uuid, name: &str) -> Self {
        Self::of_own_agency(name).with(json!({ "agencyId": gid("Agency", agency) }))
    }

    /// Without `agencyId`: what an AGENCY account sends for its own agency.
    pub fn of_own_agency(name: &str) -> Self {
        Self {
            input: json!({ "name": name, "sector": "FISHERY", "capitalsRaised": ["FINANCIAL"],
                "unitCost": 3000, "monthlyIncomeGain": 1200, "trainingDays": 3,
                "seatsPerRound": 30, "readinessLevel": 7 }),
        }
    }

    pub fn sector(self, sector: &str) -> Self {
        self.with(json!({ "sector": sector }))
    }

    pub fn capitals(self, capitals: &[&str]) -> Self {
        self.with(json!({ "capitalsRaised": capitals }))
    }

    pub fn unit_cost(self, baht: i64) -> Self {
        self.with(json!({ "unitCost": baht }))
    }

    pub fn readiness(self, level: i64) -> Self {
        self.with(json!({ "readinessLevel": level }))
    }

    pub fn suitable_areas(self, codes: &[&str]) -> Self {
        self.with(json!({ "suitableAreas": codes }))
    }

    /// Any other input fields (`minScores`, `monthlyIncomeGain` …).
    pub fn with(mut self, extra: Value) -> Self {
        merge(&mut self.input, &extra);
        self
    }

    /// The `TechnologyInput`.
    pub fn input(&self) -> Value {
        self.input.clone()
    }

    /// Creates it as `token` (ADMIN, or staff of its agency); returns its id.
    pub async fn create(self, app: &TestApp, token: &str) -> Value {
        app.gql(Some(token), CREATE_TECHNOLOGY, json!({ "i": self.input }))
            .await
            .data("/createTechnology/technology/id")
            .clone()
    }
}

// ------------------------------------------------------------------------------------------
// Consents

/// A consent of `household`: by default GIVEN yesterday under CONSENT for REFERRAL, no end, no
/// recipients (set them).
#[derive(Clone, Debug)]
pub struct ConsentBuilder {
    input: Value,
}

pub const RECORD_CONSENT: &str =
    "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { consent { id } } }";

impl ConsentBuilder {
    pub fn new(household: &Value) -> Self {
        Self {
            input: json!({ "householdId": household, "legalBasis": "CONSENT", "status": "GIVEN",
                "givenAt": (Utc::now() - Duration::days(1)).to_rfc3339(), "purposes": ["REFERRAL"],
                "recipientAgencyIds": [], "recipientAgencyTypes": [] }),
        }
    }

    pub fn purposes(self, purposes: &[&str]) -> Self {
        self.with(json!({ "purposes": purposes }))
    }

    pub fn agencies(self, agencies: &[Uuid]) -> Self {
        let ids: Vec<Value> = agencies.iter().map(|a| gid("Agency", *a)).collect();
        self.with(json!({ "recipientAgencyIds": ids }))
    }

    pub fn agency_types(self, types: &[&str]) -> Self {
        self.with(json!({ "recipientAgencyTypes": types }))
    }

    /// Any other input fields (`givenAt`, `expiresAt`, `status`, `legalBasis` …).
    pub fn with(mut self, extra: Value) -> Self {
        merge(&mut self.input, &extra);
        self
    }

    /// The `RecordConsentInput`.
    pub fn input(&self) -> Value {
        self.input.clone()
    }

    /// Records it as `token`; returns its id.
    pub async fn create(self, app: &TestApp, token: &str) -> Value {
        app.gql(Some(token), RECORD_CONSENT, json!({ "i": self.input }))
            .await
            .data("/recordConsent/consent/id")
            .clone()
    }
}

// ------------------------------------------------------------------------------------------
// Cases and referrals

/// A case of `household`: by default HEALTH with a summary.
#[derive(Clone, Debug)]
pub struct CaseBuilder {
    input: Value,
}

impl CaseBuilder {
    pub fn new(household: &Value) -> Self {
        Self {
            input: json!({ "householdId": household, "type": "HEALTH", "summary": "ต้องการกายอุปกรณ์" }),
        }
    }

    pub fn case_type(self, case_type: &str) -> Self {
        self.with(json!({ "type": case_type }))
    }

    /// Any other input fields (`reviewDueOn`, `priority` …).
    pub fn with(mut self, extra: Value) -> Self {
        merge(&mut self.input, &extra);
        self
    }

    /// The `OpenCaseInput`.
    pub fn input(&self) -> Value {
        self.input.clone()
    }

    /// `openCase` as `token` (raw response, selecting `CASE_FIELDS`).
    pub async fn send(self, app: &TestApp, token: &str) -> Gql {
        app.gql(
            Some(token),
            &super::casework::open_case_mutation(),
            json!({ "i": self.input }),
        )
        .await
    }

    /// Opens it as `token`; returns its id.
    pub async fn create(self, app: &TestApp, token: &str) -> Value {
        self.send(app, token)
            .await
            .data("/openCase/case/id")
            .clone()
    }
}

/// A referral of `case` to `to`: by default with a reason, relying on the household's consent.
#[derive(Clone, Debug)]
pub struct ReferralBuilder {
    input: Value,
}

impl ReferralBuilder {
    pub fn new(case: &Value, to: Uuid) -> Self {
        Self {
            input: json!({ "caseId": case, "toAgencyId": gid("Agency", to),
                "reason": "ครอบครัวต้องการอาชีพเสริม" }),
        }
    }

    /// Sent under a consent override with a reason.
    pub fn overriding_consent(self) -> Self {
        self.with(json!({ "consentOverrideReason": "ผู้ป่วยติดเตียง ต้องการความช่วยเหลือด่วน" }))
    }

    /// Any other input fields (`dueOn`, `reason` …).
    pub fn with(mut self, extra: Value) -> Self {
        merge(&mut self.input, &extra);
        self
    }

    /// The `ReferCaseInput`.
    pub fn input(&self) -> Value {
        self.input.clone()
    }

    /// `referCase` as `token` (raw response, selecting `REFERRAL_FIELDS`).
    pub async fn send(self, app: &TestApp, token: &str) -> Gql {
        app.gql(
            Some(token),
            &super::casework::refer_mutation(),
            json!({ "i": self.input }),
        )
        .await
    }

    /// Sends it as `token`; returns the referral id.
    pub async fn create(self, app: &TestApp, token: &str) -> Value {
        self.send(app, token)
            .await
            .data("/referCase/referral/id")
            .clone()
    }
}
