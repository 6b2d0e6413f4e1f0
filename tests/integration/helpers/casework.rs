//! Casework fixtures (docs/casework.md): households with consents, cases, referrals,
//! interventions and visits, all written through GraphQL with valid defaults.
use chrono::{Duration, Utc};
use entity::{agency, enums::Role};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Client, Gql, TestApp,
    builders::{
        AgencyBuilder, AssessmentSpec, CaseBuilder, ConsentBuilder, HouseholdBuilder,
        ReferralBuilder, TechnologyBuilder,
    },
    fixtures::{AccountBuilder, seed_villages},
};

/// What tests read back of a case.
pub const CASE_FIELDS: &str =
    "id phase version type priority summary closureReason outcome openedAt closedAt
  ownerAgency { id } household { id }
  events(first: 100) { nodes { fromPhase toPhase reason outcome actor { login } occurredAt clientOccurredAt } }";
/// What tests read back of a referral.
pub const REFERRAL_FIELDS: &str = "id status version reason dueOn consentOverridden overrideReason
  responseNote rejectionReason revokeReason acceptedAt rejectedAt completedAt revokedAt
  consent { id } toAgency { id name } case { id } household { id }";
/// What tests read back of a visit.
pub const VISIT_FIELDS: &str =
    "id status version scheduledAt occurredAt notes type assessment { id status } household { id }";
/// What tests read back of an intervention.
pub const INTERVENTION_FIELDS: &str = "id kind quantity unit cost deliveredOn notes deliveringAgency { id } referral { id } household { id }";

pub fn open_case_mutation() -> String {
    format!("mutation($i: OpenCaseInput!) {{ openCase(input: $i) {{ case {{ {CASE_FIELDS} }} }} }}")
}
pub fn update_case_mutation() -> String {
    format!(
        "mutation($i: UpdateCaseInput!) {{ updateCase(input: $i) {{ case {{ {CASE_FIELDS} }} }} }}"
    )
}
pub fn change_phase_mutation() -> String {
    format!(
        "mutation($i: ChangeCasePhaseInput!) {{ changeCasePhase(input: $i) {{ case {{ {CASE_FIELDS} }} }} }}"
    )
}
pub fn refer_mutation() -> String {
    format!(
        "mutation($i: ReferCaseInput!) {{ referCase(input: $i) {{ referral {{ {REFERRAL_FIELDS} }} }} }}"
    )
}
pub fn respond_mutation() -> String {
    format!(
        "mutation($i: RespondToReferralInput!) {{ respondToReferral(input: $i) {{ referral {{ {REFERRAL_FIELDS} }} }} }}"
    )
}
pub fn complete_referral_mutation() -> String {
    format!(
        "mutation($i: CompleteReferralInput!) {{ completeReferral(input: $i) {{ referral {{ {REFERRAL_FIELDS} }} }} }}"
    )
}
pub fn revoke_mutation() -> String {
    format!(
        "mutation($i: RevokeReferralInput!) {{ revokeReferral(input: $i) {{ referral {{ {REFERRAL_FIELDS} }} }} }}"
    )
}
pub fn intervention_mutation() -> String {
    format!(
        "mutation($i: RecordInterventionInput!) {{ recordIntervention(input: $i) {{ intervention {{ {INTERVENTION_FIELDS} }} }} }}"
    )
}
pub fn schedule_visit_mutation() -> String {
    format!(
        "mutation($i: ScheduleVisitInput!) {{ scheduleVisit(input: $i) {{ visit {{ {VISIT_FIELDS} }} assessment {{ id status }} }} }}"
    )
}
pub fn complete_visit_mutation() -> String {
    format!(
        "mutation($i: CompleteVisitInput!) {{ completeVisit(input: $i) {{ visit {{ {VISIT_FIELDS} }} assessment {{ id status }} }} }}"
    )
}
pub fn close_visit_mutation() -> String {
    format!(
        "mutation($i: CloseVisitInput!) {{ closeVisit(input: $i) {{ visit {{ {VISIT_FIELDS} }} assessment {{ id status }} }} }}"
    )
}

/// The global id of a record.
pub fn gid(type_name: &str, id: Uuid) -> Value {
    json!(api::graphql::node::encode(type_name, id))
}

/// The key behind a global id.
pub fn uuid_of(id: &Value) -> Uuid {
    let (_, key) = api::graphql::node::decode(id.as_str().expect("an id")).expect("a global id");
    key.parse().expect("a uuid key")
}

/// Yesterday (UTC), a date no server clock calls the future.
pub fn yesterday() -> String {
    (Utc::now() - Duration::days(1))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// A moment `hours` ago, RFC 3339, whole seconds.
pub fn hours_ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rows of a table, straight from the database.
pub async fn rows<E: EntityTrait>(app: &TestApp) -> u64
where
    E::Model: Sync,
{
    E::find().count(&app.db).await.expect("count")
}

/// An ACTIVE assessment input (scores 1.00–4.00) for `household`, or without it for a visit.
pub fn assessment_input(household: Option<&Value>, score: f64) -> Value {
    let mut input = json!({ "assessedOn": yesterday(), "householdSize": 3, "incomePerPerson": 2500.0,
        "hasLand": true,
        "scores": { "human": score, "physical": score, "financial": score, "natural": score, "social": score } });
    if let Some(h) = household {
        input["householdId"] = h.clone();
    }
    input
}

/// A fresh app with Lampang villages, one client per staff role, and a partner agency
/// (UNIVERSITY, covering Lampang 52) with one staff account.
pub struct Casework {
    pub app: TestApp,
    pub admin: Client,
    pub coordinator: Client,
    pub surveyor: Client,
    /// The agency referrals go to by default.
    pub agency: agency::Model,
    /// A staff account of `agency`.
    pub staff: Client,
}

pub async fn casework() -> Casework {
    casework_with(|_| {}).await
}

/// [`casework`] with adjusted settings.
pub async fn casework_with(adjust: impl FnOnce(&mut api::config::Settings)) -> Casework {
    let app = TestApp::spawn_with(adjust).await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang").create(&app).await;
    let staff = agency_client(&app, agency.id).await;
    Casework {
        app,
        admin,
        coordinator,
        surveyor,
        agency,
        staff,
    }
}

/// A signed-in AGENCY account of `agency`.
pub async fn agency_client(app: &TestApp, agency: Uuid) -> Client {
    let account = AccountBuilder::new(Role::Agency)
        .agency(agency)
        .create(app)
        .await;
    app.client_for(&account).await
}

impl Casework {
    pub async fn gql(&self, who: &Client, query: &str, variables: Value) -> Gql {
        self.app.gql(Some(&who.token), query, variables).await
    }

    /// A household in Lampang (registered by the surveyor) without any consent: one head with
    /// a national ID and a phone number. Returns its id.
    pub async fn household(&self, seed: u64) -> Value {
        HouseholdBuilder::new(seed)
            .phone("0812345678")
            .create(&self.app, &self.surveyor.token)
            .await
            .id
    }

    /// Records a GIVEN consent (given yesterday, no end) for `purposes` naming `agencies` and
    /// `types`; returns its id.
    pub async fn consent(
        &self,
        household: &Value,
        purposes: &[&str],
        agencies: &[Uuid],
        types: &[&str],
    ) -> Value {
        ConsentBuilder::new(household)
            .purposes(purposes)
            .agencies(agencies)
            .agency_types(types)
            .create(&self.app, &self.surveyor.token)
            .await
    }

    /// Records a consent: GIVEN yesterday by default, `extra` overriding any field.
    pub async fn consent_with(&self, household: &Value, extra: Value) -> Value {
        ConsentBuilder::new(household)
            .with(extra)
            .create(&self.app, &self.surveyor.token)
            .await
    }

    pub async fn withdraw_consent(&self, consent: &Value) {
        self.gql(
            &self.surveyor,
            "mutation($i: WithdrawConsentInput!) { withdrawConsent(input: $i) { consent { status } } }",
            json!({ "i": { "id": consent } }),
        )
        .await
        .data("/withdrawConsent");
    }

    /// A household whose consent covers REFERRAL and CASE_MANAGEMENT for `agency` by name.
    pub async fn consented_household(&self, seed: u64, agency: Uuid) -> Value {
        let h = self.household(seed).await;
        self.consent(&h, &["REFERRAL", "CASE_MANAGEMENT"], &[agency], &[])
            .await;
        h
    }

    /// Opens a case (HEALTH) of `household` as the coordinator; returns its id.
    pub async fn open_case(&self, household: &Value) -> Value {
        self.open_case_with(household, json!({})).await
    }

    /// Opens a case with `extra` input fields; returns its id.
    pub async fn open_case_with(&self, household: &Value, extra: Value) -> Value {
        CaseBuilder::new(household)
            .with(extra)
            .create(&self.app, &self.coordinator.token)
            .await
    }

    /// Reads a case as `who` (null when out of scope).
    pub async fn read_case(&self, who: &Client, case: &Value) -> Value {
        let q = format!("query($id: ID!) {{ case(id: $id) {{ {CASE_FIELDS} }} }}");
        self.gql(who, &q, json!({ "id": case }))
            .await
            .data("/case")
            .clone()
    }

    /// Moves a case as the coordinator (raw response).
    pub async fn change_phase(&self, case: &Value, version: &Value, to: &str, extra: Value) -> Gql {
        let mut input = json!({ "id": case, "version": version, "to": to });
        for (k, v) in extra.as_object().expect("an object") {
            input[k] = v.clone();
        }
        self.gql(
            &self.coordinator,
            &change_phase_mutation(),
            json!({ "i": input }),
        )
        .await
    }

    /// Refers `case` to `to` as the coordinator (relying on the household's consent); returns
    /// the referral id.
    pub async fn refer(&self, case: &Value, to: Uuid) -> Value {
        self.refer_with(&self.coordinator, case, to, json!({}))
            .await
            .data("/referCase/referral/id")
            .clone()
    }

    /// Refers `case` to `to` under a coordinator's consent override; returns the referral id.
    pub async fn refer_overriding(&self, case: &Value, to: Uuid) -> Value {
        ReferralBuilder::new(case, to)
            .overriding_consent()
            .create(&self.app, &self.coordinator.token)
            .await
    }

    /// `referCase` as `who` with `extra` input fields (raw response).
    pub async fn refer_with(&self, who: &Client, case: &Value, to: Uuid, extra: Value) -> Gql {
        ReferralBuilder::new(case, to)
            .with(extra)
            .send(&self.app, &who.token)
            .await
    }

    /// Reads a referral as `who` (null when out of scope).
    pub async fn read_referral(&self, who: &Client, referral: &Value) -> Value {
        let q = format!("query($id: ID!) {{ referral(id: $id) {{ {REFERRAL_FIELDS} }} }}");
        self.gql(who, &q, json!({ "id": referral }))
            .await
            .data("/referral")
            .clone()
    }

    /// The recipient's staff `who` accepts `referral`.
    pub async fn accept(&self, who: &Client, referral: &Value) {
        self.gql(
            who,
            &respond_mutation(),
            json!({ "i": { "id": referral, "decision": "ACCEPT" } }),
        )
        .await
        .data("/respondToReferral");
    }

    /// The recipient's staff `who` rejects `referral` with a reason.
    pub async fn reject(&self, who: &Client, referral: &Value) {
        self.gql(
            who,
            &respond_mutation(),
            json!({ "i": { "id": referral, "decision": "REJECT", "reason": "เกินขีดความสามารถ" } }),
        )
        .await
        .data("/respondToReferral");
    }

    /// The recipient's staff `who` marks `referral` done.
    pub async fn complete_referral(&self, who: &Client, referral: &Value) {
        self.gql(
            who,
            &complete_referral_mutation(),
            json!({ "i": { "id": referral, "note": "อบรมครบ" } }),
        )
        .await
        .data("/completeReferral");
    }

    /// The coordinator (the sender) revokes `referral`.
    pub async fn revoke(&self, referral: &Value) {
        self.gql(
            &self.coordinator,
            &revoke_mutation(),
            json!({ "i": { "id": referral, "reason": "ครอบครัวย้ายออก" } }),
        )
        .await
        .data("/revokeReferral");
    }

    /// A valid intervention input on `referral`.
    pub fn intervention_input(referral: &Value) -> Value {
        json!({ "referralId": referral, "kind": "TRAINING", "targetCapital": "HUMAN", "quantity": 3,
            "unit": "วัน", "cost": 1500, "deliveredOn": yesterday(), "notes": "อบรมเลี้ยงปลา" })
    }

    /// `who` records a training on an ACCEPTED `referral`; returns the intervention id.
    pub async fn record_intervention(&self, who: &Client, referral: &Value) -> Value {
        self.gql(
            who,
            &intervention_mutation(),
            json!({ "i": Self::intervention_input(referral) }),
        )
        .await
        .data("/recordIntervention/intervention/id")
        .clone()
    }

    /// The surveyor schedules a home visit (two hours ago, so it can be completed now);
    /// returns its id.
    pub async fn schedule_visit(&self, household: &Value, case: Option<&Value>) -> Value {
        let mut input = json!({ "householdId": household, "type": "HOME", "scheduledAt": hours_ago(2),
            "notes": "ติดตามผล" });
        if let Some(c) = case {
            input["caseId"] = c.clone();
        }
        self.gql(
            &self.surveyor,
            &schedule_visit_mutation(),
            json!({ "i": input }),
        )
        .await
        .data("/scheduleVisit/visit/id")
        .clone()
    }

    /// The surveyor completes `visit` (raw response), `extra` adding input fields.
    pub async fn complete_visit(&self, visit: &Value, extra: Value) -> Gql {
        let mut input = json!({ "id": visit, "occurredAt": hours_ago(1), "notes": "พบครอบครัว" });
        for (k, v) in extra.as_object().expect("an object") {
            input[k] = v.clone();
        }
        self.gql(
            &self.surveyor,
            &complete_visit_mutation(),
            json!({ "i": input }),
        )
        .await
    }

    /// The surveyor closes `visit` as MISSED or CANCELLED (raw response).
    pub async fn close_visit(&self, visit: &Value, status: &str) -> Gql {
        self.gql(
            &self.surveyor,
            &close_visit_mutation(),
            json!({ "i": { "id": visit, "status": status, "notes": "ไม่อยู่บ้าน" } }),
        )
        .await
    }

    /// Reads a visit as `who`.
    pub async fn read_visit(&self, who: &Client, visit: &Value) -> Value {
        let q = format!("query($id: ID!) {{ visit(id: $id) {{ {VISIT_FIELDS} }} }}");
        self.gql(who, &q, json!({ "id": visit }))
            .await
            .data("/visit")
            .clone()
    }

    /// A technology `agency` delivers (ADMIN adds it); returns its id.
    pub async fn technology(&self, agency: Uuid, name: &str) -> Value {
        TechnologyBuilder::new(agency, name)
            .create(&self.app, &self.admin.token)
            .await
    }

    /// The surveyor records an ACTIVE assessment of `household`; returns its id.
    pub async fn assess(&self, household: &Value) -> Value {
        AssessmentSpec::new(1.5, 2500.0)
            .on(&yesterday())
            .with(json!({ "hasLand": true }))
            .record(&self.app, &self.surveyor.token, household)
            .await
    }

    /// The coordinator suggests `technology` to `household` (which needs an ACTIVE
    /// assessment); returns the match id.
    pub async fn suggest_match(&self, household: &Value, technology: &Value) -> Value {
        self.gql(
            &self.coordinator,
            "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
            json!({ "i": { "householdId": household, "technologyId": technology } }),
        )
        .await
        .data("/suggestMatch/match/id")
        .clone()
    }

    /// The coordinator declines a SUGGESTED match (so the household may get another).
    pub async fn decline_match(&self, m: &Value) {
        self.gql(
            &self.coordinator,
            "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status } } }",
            json!({ "i": { "matchId": m, "version": 1, "to": "DECLINED", "reason": "ไม่สนใจ" } }),
        )
        .await
        .data("/transitionMatch");
    }

    /// Audit events with `action`, read as ADMIN: (totalCount, nodes).
    pub async fn audit(&self, filter: Value) -> (i64, Value) {
        let res = self
            .gql(
                &self.admin,
                "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { totalCount
                  nodes { action entityType entityId reason actor { login } } } }",
                json!({ "f": filter }),
            )
            .await;
        (
            res.data("/auditEvents/totalCount").as_i64().unwrap(),
            res.data("/auditEvents/nodes").clone(),
        )
    }
}
