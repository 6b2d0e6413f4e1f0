//! Who may call which root field, and who sees which object through `node`: the tables below
//! are the specification, and both are checked against the schema itself (`schema::sdl()`), so
//! a root field or a `Node` type without a row fails the test, as does a row the schema does
//! not have.
use std::collections::{BTreeMap, BTreeSet};

use async_graphql::parser::{
    parse_query, parse_schema,
    types::{OperationType, Selection, TypeKind, TypeSystemDefinition},
};
use chrono::{Duration, Utc};
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    Client, Gql, TestApp,
    builders::{AgencyBuilder, AssessmentSpec, CaseBuilder, ConsentBuilder, TechnologyBuilder},
    fixtures::{AccountBuilder, LAMPANG_VILLAGE, household_input, seed_villages},
};

/// The columns of both tables.
const ROLES: [&str; 6] = [
    "anonymous",
    "ADMIN",
    "COORDINATOR",
    "SURVEYOR",
    "AGENCY",
    "ANALYST",
];

/// A root field, what each role gets (in the order of `ROLES`), and an operation that calls it.
///
/// `U` UNAUTHENTICATED, `F` FORBIDDEN, `✓` the role got past the guard: data, or an error of the
/// resolver (BAD_USER_INPUT, NOT_FOUND, CONFLICT). The inputs are deliberately invalid or name
/// objects that do not exist, so nothing is written; `"@Type"` stands for the global id of a
/// `Type` that does not exist.
pub(crate) type FieldRow = (&'static str, &'static str, &'static str);

#[rustfmt::skip]
pub(crate) const FIELDS: &[FieldRow] = &[
    //                                  anon ADMIN COORD SURV AGENCY ANALYST
    // Queries.
    ("account",                         "U ✓ ✓ ✓ ✓ ✓", r#"{ account(id: "@Account") { id } }"#),
    ("accounts",                        "U ✓ F F F F", "{ accounts(first: 1) { totalCount } }"),
    ("agencies",                        "U ✓ ✓ ✓ ✓ ✓", "{ agencies(first: 1) { totalCount } }"),
    ("agency",                          "U ✓ ✓ ✓ ✓ ✓", r#"{ agency(id: "@Agency") { id } }"#),
    ("area",                            "U ✓ ✓ ✓ ✓ ✓", r#"{ area(code: "52") { code } }"#),
    ("areas",                           "U ✓ ✓ ✓ ✓ ✓", "{ areas(first: 1) { totalCount } }"),
    ("assessment",                      "U ✓ ✓ ✓ ✓ F", r#"{ assessment(id: "@Assessment") { id } }"#),
    ("auditEvents",                     "U ✓ F F F F", "{ auditEvents(first: 1) { totalCount } }"),
    ("dashboard",                       "U ✓ ✓ ✓ F ✓", r#"{ dashboard(areaCode: "52") { __typename } }"#),
    ("enterprises",                     "U ✓ ✓ ✓ ✓ ✓", "{ enterprises(first: 1) { totalCount } }"),
    ("household",                       "U ✓ ✓ ✓ ✓ F", r#"{ household(id: "@Household") { id } }"#),
    ("households",                      "U ✓ ✓ ✓ ✓ F", "{ households(first: 1) { totalCount } }"),
    ("matches",                         "U ✓ ✓ ✓ ✓ F", "{ matches(first: 1) { totalCount } }"),
    ("matchingRun",                     "U ✓ ✓ F F F", r#"{ matchingRun(id: "@MatchingRun") { id } }"#),
    ("me",                              "U ✓ ✓ ✓ ✓ ✓", "{ me { id } }"),
    ("mobility",                        "U ✓ ✓ ✓ F F", r#"{ mobility(areaCode: "52", from: "2024-01-01", to: "2024-12-31") { households } }"#),
    ("mobilityHouseholds",              "U ✓ ✓ ✓ F F", r#"{ mobilityHouseholds(areaCode: "52", from: "2024-01-01", to: "2024-12-31", first: 1) { totalCount } }"#),
    ("node",                            "U ✓ ✓ ✓ ✓ ✓", r#"{ node(id: "@Household") { id } }"#),
    ("nodes",                           "U ✓ ✓ ✓ ✓ ✓", r#"{ nodes(ids: ["@Household"]) { id } }"#),
    ("person",                          "U ✓ ✓ ✓ ✓ F", r#"{ person(id: "@Person") { id } }"#),
    ("potentialDuplicates",             "U ✓ ✓ F F F", "{ potentialDuplicates(first: 1) { totalCount } }"),
    ("povertyLines",                    "U ✓ ✓ ✓ ✓ ✓", "{ povertyLines { yearBe } }"),
    ("recommendServices",               "U ✓ ✓ ✓ F F", r#"{ recommendServices(householdId: "@Household") { __typename } }"#),
    ("recommendTechnologies",           "U ✓ ✓ ✓ F F", r#"{ recommendTechnologies(householdId: "@Household") { __typename } }"#),
    ("services",                        "U ✓ ✓ ✓ ✓ ✓", "{ services(first: 1) { totalCount } }"),
    ("technologies",                    "U ✓ ✓ ✓ ✓ ✓", "{ technologies(first: 1) { totalCount } }"),
    ("technology",                      "U ✓ ✓ ✓ ✓ ✓", r#"{ technology(id: "@Technology") { id } }"#),
    // Mutations: sessions and accounts.
    ("login",                           "✓ ✓ ✓ ✓ ✓ ✓", r#"mutation { login(input: { login: "", password: "" }) { accessToken } }"#),
    ("refreshToken",                    "✓ ✓ ✓ ✓ ✓ ✓", "mutation($refresh: String!) { refreshToken(input: { refreshToken: $refresh }) { accessToken } }"),
    ("logout",                          "U ✓ ✓ ✓ ✓ ✓", "mutation { logout { revokedSessions } }"),
    ("createAccount",                   "U ✓ F F F F", r#"mutation { createAccount(input: { login: "", displayName: "", password: "", role: ANALYST }) { __typename } }"#),
    ("updateAccount",                   "U ✓ F F F F", r#"mutation { updateAccount(input: { id: "@Account", version: 1 }) { __typename } }"#),
    ("deactivateAccount",               "U ✓ F F F F", r#"mutation { deactivateAccount(input: { id: "@Account" }) { __typename } }"#),
    ("reactivateAccount",               "U ✓ F F F F", r#"mutation { reactivateAccount(input: { id: "@Account" }) { __typename } }"#),
    ("resetAccountPassword",            "U ✓ F F F F", r#"mutation { resetAccountPassword(input: { id: "@Account", newPassword: "" }) { __typename } }"#),
    // Reference data.
    ("createAgency",                    "U ✓ F F F F", r#"mutation { createAgency(input: { name: "", type: NGO }) { __typename } }"#),
    ("updateAgency",                    "U ✓ F F F F", r#"mutation { updateAgency(input: { id: "@Agency", version: 1 }) { __typename } }"#),
    ("setAreaTargetCohort",             "U ✓ F F F F", "mutation { setAreaTargetCohort(input: { codes: [], target: true }) { __typename } }"),
    ("addPovertyLine",                  "U ✓ F F F F", "mutation { addPovertyLine(input: { yearBe: 0, povertyLine: 0, poorest40Cut: 0, median: 0 }) { __typename } }"),
    // The registry.
    ("registerHousehold",               "U ✓ ✓ ✓ F F", r#"mutation { registerHousehold(input: { villageCode: "", source: TPMAP, members: [] }) { __typename } }"#),
    ("updateHousehold",                 "U ✓ ✓ ✓ F F", r#"mutation { updateHousehold(input: { householdId: "@Household", version: 1 }) { __typename } }"#),
    ("transitionHousehold",             "U ✓ ✓ F F F", r#"mutation { transitionHousehold(input: { householdId: "@Household", version: 1, to: VERIFIED }) { __typename } }"#),
    ("addMember",                       "U ✓ ✓ ✓ F F", r#"mutation { addMember(input: { householdId: "@Household", version: 1, role: CHILD, person: { givenName: "", familyName: "" } }) { __typename } }"#),
    ("updatePerson",                    "U ✓ ✓ ✓ F F", r#"mutation { updatePerson(input: { personId: "@Person", version: 1, person: { givenName: "", familyName: "" } }) { __typename } }"#),
    ("endMembership",                   "U ✓ ✓ ✓ F F", r#"mutation { endMembership(input: { membershipId: "@Membership", version: 1, endDate: "2020-01-01", reason: "" }) { __typename } }"#),
    ("revealNationalId",                "U ✓ ✓ F F F", r#"mutation { revealNationalId(input: { personId: "@Person", reason: "" }) { __typename } }"#),
    ("resolveDuplicate",                "U ✓ ✓ F F F", r#"mutation { resolveDuplicate(input: { id: "@PotentialDuplicate", resolution: NOT_DUPLICATE }) { __typename } }"#),
    ("importHouseholds",                "U ✓ ✓ F F F", r#"mutation { importHouseholds(input: { csv: "" }) { __typename } }"#),
    // Consents and assessments.
    ("recordConsent",                   "U ✓ ✓ ✓ F F", r#"mutation { recordConsent(input: { householdId: "@Household", purposes: [], legalBasis: CONSENT, status: GIVEN }) { __typename } }"#),
    ("withdrawConsent",                 "U ✓ ✓ ✓ F F", r#"mutation { withdrawConsent(input: { id: "@Consent" }) { __typename } }"#),
    ("recordAssessment",                "U ✓ ✓ ✓ F F", r#"mutation { recordAssessment(input: { householdId: "@Household", assessedOn: "2020-01-01", householdSize: 0, incomePerPerson: 0, scores: { human: 0, physical: 0, financial: 0, natural: 0, social: 0 } }) { __typename } }"#),
    ("activateAssessment",              "U ✓ ✓ ✓ F F", r#"mutation { activateAssessment(input: { id: "@Assessment" }) { __typename } }"#),
    ("cancelAssessment",                "U ✓ ✓ ✓ F F", r#"mutation { cancelAssessment(input: { id: "@Assessment", reason: "" }) { __typename } }"#),
    // The catalogue (partner agencies keep their own entries).
    ("createTechnology",                "U ✓ F F ✓ F", r#"mutation { createTechnology(input: { name: "", sector: OTHER, capitalsRaised: [], unitCost: 0, monthlyIncomeGain: 0, trainingDays: 0, seatsPerRound: 0, readinessLevel: 0 }) { __typename } }"#),
    ("updateTechnology",                "U ✓ F F ✓ F", r#"mutation { updateTechnology(input: { id: "@Technology", version: 1, technology: { name: "", sector: OTHER, capitalsRaised: [], unitCost: 0, monthlyIncomeGain: 0, trainingDays: 0, seatsPerRound: 0, readinessLevel: 0 } }) { __typename } }"#),
    ("createService",                   "U ✓ F F ✓ F", r#"mutation { createService(input: { name: "", category: HEALTH }) { __typename } }"#),
    ("updateService",                   "U ✓ F F ✓ F", r#"mutation { updateService(input: { id: "@Service", version: 1, service: { name: "", category: HEALTH } }) { __typename } }"#),
    // Matching.
    ("suggestMatch",                    "U ✓ ✓ F F F", r#"mutation { suggestMatch(input: { householdId: "@Household", technologyId: "@Technology" }) { __typename } }"#),
    ("transitionMatch",                 "U ✓ ✓ F ✓ F", r#"mutation { transitionMatch(input: { matchId: "@Match", version: 1, to: OFFERED }) { __typename } }"#),
    ("runMatching",                     "U ✓ ✓ F F F", r#"mutation { runMatching(input: { areaCode: "", seats: [] }) { __typename } }"#),
    // Enterprises.
    ("createEnterprise",                "U ✓ ✓ F F F", r#"mutation { createEnterprise(input: { name: "", kind: OTHER, areaCode: "52" }) { __typename } }"#),
    ("linkHouseholdToEnterprise",       "U ✓ ✓ ✓ F F", r#"mutation { linkHouseholdToEnterprise(input: { enterpriseId: "@Enterprise", householdId: "@Household", role: SUPPLIER, monthlyIncome: 0 }) { __typename } }"#),
];

/// Fields whose call ends or rotates the session: each call gets a session of its own (for
/// `$refresh`, its refresh token; the anonymous caller presents one of the ADMIN account's).
const FRESH_SESSION: &[&str] = &["logout", "refreshToken"];

/// A `Node` type and who sees the fixture world's instance of it through `node(id:)`, in the
/// order ADMIN COORDINATOR SURVEYOR AGENCY ANALYST: `✓` the object, `·` null. The anonymous
/// caller is always UNAUTHENTICATED. How each instance is made is in `build_fixtures`.
type NodeRow = (&'static str, &'static str);

#[rustfmt::skip]
const NODES: &[NodeRow] = &[
    //                                   ADMIN COORD SURV AGENCY ANALYST
    // The AGENCY client's own account: ADMIN sees every account, agency staff themselves and
    // their colleagues, everyone else only themselves.
    ("Account",                         "✓ · · ✓ ·"),
    ("Agency",                          "✓ ✓ ✓ ✓ ✓"),
    ("Area",                            "✓ ✓ ✓ ✓ ✓"),
    // The registry: the household is open to the AGENCY client through the consent gate (a
    // REFERRAL consent naming its agency and a match on its technology). ANALYST works from
    // aggregates only: no household-level row, not even de-identified.
    ("Household",                       "✓ ✓ ✓ ✓ ·"),
    ("Membership",                      "✓ ✓ ✓ ✓ ·"),
    ("Person",                          "✓ ✓ ✓ ✓ ·"),
    // The registry's internal history: not for partner agencies.
    ("HouseholdStatusEvent",            "✓ ✓ ✓ · ·"),
    ("PotentialDuplicate",              "✓ ✓ · · ·"),
    ("Assessment",                      "✓ ✓ ✓ ✓ ·"),
    // A consent naming the AGENCY client's agency (agencies see only those).
    ("Consent",                         "✓ ✓ ✓ ✓ ·"),
    ("Technology",                      "✓ ✓ ✓ ✓ ✓"),
    ("Service",                         "✓ ✓ ✓ ✓ ✓"),
    // A match on the agency's technology: its staff see it.
    ("Match",                           "✓ ✓ ✓ ✓ ·"),
    ("MatchingRun",                     "✓ ✓ · · ·"),
    // Enterprises are community-level, read by area (ANALYST too): agency staff have none.
    ("Enterprise",                      "✓ ✓ ✓ · ✓"),
    // A link hangs off its household; partner agencies see none (the income earned there is not
    // part of what a referral opens to them), nor does ANALYST (it names a household).
    ("EnterpriseLink",                  "✓ ✓ ✓ · ·"),
    ("AuditEvent",                      "✓ · · · ·"),
];

// ================================ CASEWORK ================================================
// Cases, referrals, interventions and visits: rows and fixture steps written from the contract
// in docs/casework.md ("Who may do what" and the consent gate), kept together here. Without the
// casework in the schema, these rows are reported as not in the schema and the fixture steps
// below fail; everything else is still checked as usual.

#[rustfmt::skip]
pub(crate) const CASEWORK_FIELDS: &[FieldRow] = &[
    //                                  anon ADMIN COORD SURV AGENCY ANALYST
    ("cases",                           "U ✓ ✓ ✓ ✓ F", "{ cases(first: 1) { __typename } }"),
    ("changes",                         "U ✓ ✓ ✓ ✓ F", "{ changes(first: 1) { __typename } }"),
    ("case",                            "U ✓ ✓ ✓ ✓ F", r#"{ case(id: "@Case") { __typename } }"#),
    ("referrals",                       "U ✓ ✓ ✓ ✓ F", "{ referrals(first: 1) { __typename } }"),
    ("referral",                        "U ✓ ✓ ✓ ✓ F", r#"{ referral(id: "@Referral") { __typename } }"#),
    ("interventions",                   "U ✓ ✓ ✓ ✓ F", "{ interventions(first: 1) { __typename } }"),
    ("intervention",                    "U ✓ ✓ ✓ ✓ F", r#"{ intervention(id: "@Intervention") { __typename } }"#),
    ("visits",                          "U ✓ ✓ ✓ F F", "{ visits(first: 1) { __typename } }"),
    ("visit",                           "U ✓ ✓ ✓ F F", r#"{ visit(id: "@Visit") { __typename } }"#),
    ("openCase",                        "U ✓ ✓ F F F", r#"mutation { openCase(input: { householdId: "@Household", type: OTHER }) { __typename } }"#),
    ("updateCase",                      "U ✓ ✓ F ✓ F", r#"mutation { updateCase(input: { id: "@Case", version: 1 }) { __typename } }"#),
    ("changeCasePhase",                 "U ✓ ✓ F ✓ F", r#"mutation { changeCasePhase(input: { id: "@Case", version: 1, to: ASSESSMENT }) { __typename } }"#),
    ("referCase",                       "U ✓ ✓ F ✓ F", r#"mutation { referCase(input: { caseId: "@Case", toAgencyId: "@Agency", reason: "" }) { __typename } }"#),
    ("respondToReferral",               "U ✓ F F ✓ F", r#"mutation { respondToReferral(input: { id: "@Referral", decision: ACCEPT }) { __typename } }"#),
    ("completeReferral",                "U ✓ F F ✓ F", r#"mutation { completeReferral(input: { id: "@Referral" }) { __typename } }"#),
    ("revokeReferral",                  "U ✓ ✓ F ✓ F", r#"mutation { revokeReferral(input: { id: "@Referral", reason: "" }) { __typename } }"#),
    ("recordIntervention",              "U ✓ ✓ F ✓ F", r#"mutation { recordIntervention(input: { referralId: "@Referral", kind: TRAINING, quantity: 1, unit: "", deliveredOn: "2020-01-01" }) { __typename } }"#),
    ("scheduleVisit",                   "U ✓ ✓ ✓ F F", r#"mutation { scheduleVisit(input: { householdId: "@Household", type: HOME, scheduledAt: "2020-01-01T00:00:00Z" }) { __typename } }"#),
    ("completeVisit",                   "U ✓ ✓ ✓ F F", r#"mutation { completeVisit(input: { id: "@Visit", occurredAt: "2020-01-01T00:00:00Z" }) { __typename } }"#),
    ("closeVisit",                      "U ✓ ✓ ✓ F F", r#"mutation { closeVisit(input: { id: "@Visit", status: MISSED }) { __typename } }"#),
];

/// The case is opened by the coordinator (no owner agency) and referred to the AGENCY client's
/// agency, which accepted and delivered on it; the visit is scheduled by the surveyor.
#[rustfmt::skip]
const CASEWORK_NODES: &[NodeRow] = &[
    //                                   ADMIN COORD SURV AGENCY ANALYST
    // Agency staff read the cases their agency owns or was referred on; ANALYST no case rows.
    ("Case",                            "✓ ✓ ✓ ✓ ·"),
    ("Referral",                        "✓ ✓ ✓ ✓ ·"),
    ("Intervention",                    "✓ ✓ ✓ ✓ ·"),
    // Visits are field work: not for agencies.
    ("Visit",                           "✓ ✓ ✓ · ·"),
];

/// A case of the household, referred to the agency under the household's REFERRAL consent,
/// accepted and delivered on by the agency, and a visit.
async fn casework_fixtures(w: &World, f: &mut Fixtures) {
    let (Some(household), Some(agency)) = (f.id("Household"), f.id("Agency")) else {
        f.problems
            .push("fixture casework: no household or agency to work on".into());
        return;
    };
    let yesterday = (Utc::now() - Duration::days(1)).date_naive().to_string();
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    let opened = f
        .step(
            w,
            &w.coordinator,
            "openCase",
            "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } } }",
            json!({ "i": CaseBuilder::new(&json!(household))
                .case_type("OCCUPATION_DEVELOPMENT")
                .with(json!({ "summary": "ฝึกอาชีพเลี้ยงปลา" }))
                .input() }),
        )
        .await;
    let Some(case) = f.keep("Case", &opened, "/openCase/case/id") else {
        return;
    };
    let referred = f
        .step(
            w,
            &w.coordinator,
            "referCase",
            "mutation($i: ReferCaseInput!) { referCase(input: $i) { referral { id } } }",
            json!({ "i": { "caseId": case, "toAgencyId": agency, "reason": "ฝึกอบรมการเลี้ยงปลา" } }),
        )
        .await;
    if let Some(referral) = f.keep("Referral", &referred, "/referCase/referral/id") {
        let accepted = f
            .step(
                w,
                &w.agency_staff,
                "respondToReferral",
                "mutation($i: RespondToReferralInput!) { respondToReferral(input: $i) { referral { status } } }",
                json!({ "i": { "id": referral, "decision": "ACCEPT" } }),
            )
            .await;
        if accepted.is_some() {
            let delivered = f
                .step(
                    w,
                    &w.agency_staff,
                    "recordIntervention",
                    "mutation($i: RecordInterventionInput!) { recordIntervention(input: $i) { intervention { id } } }",
                    json!({ "i": { "referralId": referral, "kind": "TRAINING", "quantity": 1,
                        "unit": "course", "deliveredOn": yesterday } }),
                )
                .await;
            f.keep(
                "Intervention",
                &delivered,
                "/recordIntervention/intervention/id",
            );
        }
    }
    let visit = f
        .step(
            w,
            &w.surveyor,
            "scheduleVisit",
            "mutation($i: ScheduleVisitInput!) { scheduleVisit(input: $i) { visit { id } } }",
            json!({ "i": { "householdId": household, "caseId": case, "type": "HOME",
                "scheduledAt": tomorrow } }),
        )
        .await;
    f.keep("Visit", &visit, "/scheduleVisit/visit/id");
}
// ============================== END CASEWORK ==============================================

/// One signed-in client per role, the AGENCY one on the agency the fixtures work with.
struct World {
    app: TestApp,
    admin: Client,
    coordinator: Client,
    surveyor: Client,
    agency_staff: Client,
    analyst: Client,
    agency: entity::agency::Model,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        seed_villages(&app).await;
        let agency = AgencyBuilder::new("RMUT Lanna Lampang").create(&app).await;
        let agency_staff = app
            .client_for(
                &AccountBuilder::new(Role::Agency)
                    .agency(agency.id)
                    .create(&app)
                    .await,
            )
            .await;
        World {
            admin: app.client(Role::Admin).await,
            coordinator: app.client(Role::Coordinator).await, // scoped to Lampang (52)
            surveyor: app.client(Role::Surveyor).await,       // scoped to Lampang (52)
            analyst: app.client(Role::Analyst).await,         // unscoped
            agency_staff,
            agency,
            app,
        }
    }

    /// The clients in the order of `ROLES`.
    fn clients(&self) -> [Option<&Client>; 6] {
        [
            None,
            Some(&self.admin),
            Some(&self.coordinator),
            Some(&self.surveyor),
            Some(&self.agency_staff),
            Some(&self.analyst),
        ]
    }
}

/// The root fields and `Node` types of the schema the server runs.
struct SchemaFacts {
    query: BTreeSet<String>,
    mutation: BTreeSet<String>,
    node_types: BTreeSet<String>,
}

fn schema_facts() -> SchemaFacts {
    let doc = parse_schema(api::graphql::schema::sdl()).expect("the SDL parses");
    let (mut query_root, mut mutation_root) = ("Query".to_string(), "Mutation".to_string());
    for def in &doc.definitions {
        if let TypeSystemDefinition::Schema(s) = def {
            if let Some(q) = &s.node.query {
                query_root = q.node.to_string();
            }
            if let Some(m) = &s.node.mutation {
                mutation_root = m.node.to_string();
            }
        }
    }
    let mut facts = SchemaFacts {
        query: BTreeSet::new(),
        mutation: BTreeSet::new(),
        node_types: BTreeSet::new(),
    };
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let TypeKind::Object(object) = &t.node.kind else {
            continue;
        };
        let name = t.node.name.node.as_str();
        let fields = || object.fields.iter().map(|f| f.node.name.node.to_string());
        if name == query_root {
            facts.query.extend(fields());
        } else if name == mutation_root {
            facts.mutation.extend(fields());
        }
        if object.implements.iter().any(|i| i.node.as_str() == "Node") {
            facts.node_types.insert(name.to_string());
        }
    }
    assert!(
        facts.query.contains("node") && facts.mutation.contains("login"),
        "roots {query_root}/{mutation_root} not found in the SDL"
    );
    facts
}

/// The operation type and first root field of an operation.
fn first_root_field(op: &str) -> Result<(OperationType, String), String> {
    let doc = parse_query(op).map_err(|e| e.to_string())?;
    let (_, def) = doc.operations.iter().next().ok_or("no operation")?;
    match def.node.selection_set.node.items.first().map(|s| &s.node) {
        Some(Selection::Field(f)) => Ok((def.node.ty, f.node.name.node.to_string())),
        _ => Err("its first selection is not a field".into()),
    }
}

/// `op` with every `@Type` replaced by the global id of a `Type` that does not exist.
fn with_missing_ids(op: &str) -> String {
    let mut out = String::new();
    let mut rest = op;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        out.push_str(&api::graphql::node::encode(&after[..end], uuid::Uuid::nil()).0);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The expected outcomes of a row, or why the row is malformed.
fn columns(expected: &str, n: usize, allowed: &[&str]) -> Result<Vec<String>, String> {
    let cols: Vec<String> = expected.split_whitespace().map(str::to_string).collect();
    if cols.len() != n || cols.iter().any(|c| !allowed.contains(&c.as_str())) {
        return Err(format!(
            "malformed row {expected:?}: want {n} of {allowed:?}"
        ));
    }
    Ok(cols)
}

/// The first error's code and message, or "data".
fn summary(res: &Gql) -> String {
    match res.body.pointer("/errors/0") {
        Some(err) => format!(
            "{} {}",
            err.pointer("/extensions/code")
                .and_then(Value::as_str)
                .unwrap_or("(no code)"),
            err.pointer("/message")
                .and_then(Value::as_str)
                .unwrap_or("")
        ),
        None => "data".into(),
    }
}

/// An outcome for a problem report: a table symbol with what the response said.
fn described(got: &str, res: &Gql) -> String {
    if ["U", "F", "✓", "·"].contains(&got) {
        format!("{got} ({})", summary(res))
    } else {
        got.to_string()
    }
}

/// What a call of root field `field` came to: `U`, `F`, `✓`, or anything else in words (an
/// error that did not come from the field, e.g. a validation error, or an unexpected code).
fn field_outcome(res: &Gql, field: &str) -> String {
    let Some(err) = res.body.pointer("/errors/0") else {
        return match res.body.pointer("/data") {
            Some(Value::Object(_)) => "✓".into(),
            _ => format!("no data and no errors: {}", res.body),
        };
    };
    let from_field = err.pointer("/path/0").and_then(Value::as_str) == Some(field);
    match (
        from_field,
        err.pointer("/extensions/code").and_then(Value::as_str),
    ) {
        (true, Some("UNAUTHENTICATED")) => "U".into(),
        (true, Some("FORBIDDEN")) => "F".into(),
        (true, Some("BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT")) => "✓".into(),
        _ => summary(res),
    }
}

/// Ids of the fixture world by type, and what went wrong making it.
#[derive(Default)]
struct Fixtures {
    ids: BTreeMap<&'static str, String>,
    problems: Vec<String>,
}

impl Fixtures {
    /// Runs one step of the world as `who`; its `data`, or None (and a problem) on errors.
    async fn step(
        &mut self,
        w: &World,
        who: &Client,
        what: &str,
        query: &str,
        variables: Value,
    ) -> Option<Value> {
        let res = w.app.gql(Some(&who.token), query, variables).await;
        match (res.body.get("errors"), res.body.get("data")) {
            (None, Some(data)) if data.is_object() => Some(data.clone()),
            _ => {
                self.problems.push(format!(
                    "fixture {what} as {:?} failed: {}",
                    who.account.role, res.body
                ));
                None
            }
        }
    }

    /// Keeps the id at `pointer` of a step's data as the instance of `ty`.
    fn keep(&mut self, ty: &'static str, data: &Option<Value>, pointer: &str) -> Option<String> {
        let data = data.as_ref()?;
        match data.pointer(pointer).and_then(Value::as_str) {
            Some(id) => {
                self.ids.insert(ty, id.to_string());
                Some(id.to_string())
            }
            None => {
                self.problems
                    .push(format!("fixture {ty}: no id at {pointer} in {data}"));
                None
            }
        }
    }

    fn id(&self, ty: &str) -> Option<String> {
        self.ids.get(ty).cloned()
    }
}

/// One instance of every `Node` type, around one household in Lampang (the coordinator's and
/// the surveyor's area) whose consent opens it to the AGENCY client's agency.
async fn build_fixtures(w: &World) -> Fixtures {
    let mut f = Fixtures::default();
    use api::graphql::node::encode;
    let agency = encode("Agency", w.agency.id).0;
    f.ids.insert("Account", w.agency_staff.id().0);
    f.ids.insert("Agency", agency.clone());
    f.ids.insert("Area", encode("Area", "52").0);
    let yesterday = (Utc::now() - Duration::days(1)).date_naive().to_string();

    // The agency's technology and service (ADMIN).
    let tech = f
        .step(
            w,
            &w.admin,
            "createTechnology",
            "mutation($i: TechnologyInput!) { createTechnology(input: $i) { technology { id } } }",
            json!({ "i": TechnologyBuilder::of_own_agency("Fish feed")
                .with(json!({ "agencyId": agency }))
                .input() }),
        )
        .await;
    let technology = f.keep("Technology", &tech, "/createTechnology/technology/id");
    let service = f
        .step(
            w,
            &w.admin,
            "createService",
            "mutation($i: ServiceInput!) { createService(input: $i) { service { id } } }",
            json!({ "i": { "agencyId": agency, "name": "Microcredit", "category": "FINANCE",
                "coverage": ["52"] } }),
        )
        .await;
    f.keep("Service", &service, "/createService/service/id");

    // The household (SURVEYOR), verified (COORDINATOR), assessed and consenting (SURVEYOR).
    let registered = f
        .step(
            w,
            &w.surveyor,
            "registerHousehold",
            "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) {
              household { id members { nodes { id person { id } } } } } }",
            json!({ "i": household_input(LAMPANG_VILLAGE, "สมชาย", 1) }),
        )
        .await;
    let Some(household) = f.keep("Household", &registered, "/registerHousehold/household/id")
    else {
        return f;
    };
    f.keep(
        "Membership",
        &registered,
        "/registerHousehold/household/members/nodes/0/id",
    );
    f.keep(
        "Person",
        &registered,
        "/registerHousehold/household/members/nodes/0/person/id",
    );
    let verified = f
        .step(
            w,
            &w.coordinator,
            "transitionHousehold",
            "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) {
              household { statusHistory { nodes { id } } } } }",
            json!({ "i": { "householdId": household, "version": 1, "to": "VERIFIED",
                "evidence": { "verifiedOn": yesterday } } }),
        )
        .await;
    f.keep(
        "HouseholdStatusEvent",
        &verified,
        "/transitionHousehold/household/statusHistory/nodes/0/id",
    );
    let assessed = f
        .step(
            w,
            &w.surveyor,
            "recordAssessment",
            "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { assessment { id } } }",
            json!({ "i": AssessmentSpec::new(3.0, 1500.0)
                .on(&yesterday)
                .size(4)
                .capitals([3.0, 3.0, 1.2, 3.0, 3.0])
                .with(json!({ "hasLand": false }))
                .input(&json!(household)) }),
        )
        .await;
    f.keep("Assessment", &assessed, "/recordAssessment/assessment/id");
    let consent = f
        .step(
            w,
            &w.surveyor,
            "recordConsent",
            "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { consent { id } } }",
            json!({ "i": ConsentBuilder::new(&json!(household))
                .purposes(&["REFERRAL"])
                .with(json!({ "recipientAgencyIds": [agency] }))
                .input() }),
        )
        .await;
    f.keep("Consent", &consent, "/recordConsent/consent/id");

    // A match on the agency's technology, then a run over the province (COORDINATOR); the
    // household has an open match, so the run leaves it out, but the run is stored.
    if let Some(technology) = technology {
        let matched = f
            .step(
                w,
                &w.coordinator,
                "suggestMatch",
                "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
                json!({ "i": { "householdId": household, "technologyId": technology } }),
            )
            .await;
        f.keep("Match", &matched, "/suggestMatch/match/id");
        let run = f
            .step(
                w,
                &w.coordinator,
                "runMatching",
                "mutation($i: RunMatchingInput!) { runMatching(input: $i) { run { id } } }",
                json!({ "i": { "areaCode": "52", "seats": [{ "technologyId": technology, "seats": 1 }] } }),
            )
            .await;
        f.keep("MatchingRun", &run, "/runMatching/run/id");
    }

    // A second household with a head one letter off, same birth year, same village: flagged.
    let similar = f
        .step(
            w,
            &w.surveyor,
            "registerHousehold (similar)",
            "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { potentialDuplicates { id } } }",
            json!({ "i": household_input(LAMPANG_VILLAGE, "สมชาญ", 2) }),
        )
        .await;
    f.keep(
        "PotentialDuplicate",
        &similar,
        "/registerHousehold/potentialDuplicates/0/id",
    );

    // An enterprise in the district (COORDINATOR) and the household's link to it (SURVEYOR).
    let enterprise = f
        .step(
            w,
            &w.coordinator,
            "createEnterprise",
            "mutation($i: CreateEnterpriseInput!) { createEnterprise(input: $i) { enterprise { id } } }",
            json!({ "i": { "name": "กลุ่มทอผ้าบ้านเวียงเหนือ", "kind": "COMMUNITY_ENTERPRISE",
                "areaCode": "520101" } }),
        )
        .await;
    if let Some(enterprise) = f.keep("Enterprise", &enterprise, "/createEnterprise/enterprise/id") {
        let link = f
            .step(
                w,
                &w.surveyor,
                "linkHouseholdToEnterprise",
                "mutation($i: LinkHouseholdToEnterpriseInput!) { linkHouseholdToEnterprise(input: $i) { link { id } } }",
                json!({ "i": { "enterpriseId": enterprise, "householdId": household,
                    "role": "SUPPLIER", "monthlyIncome": 500 } }),
            )
            .await;
        f.keep(
            "EnterpriseLink",
            &link,
            "/linkHouseholdToEnterprise/link/id",
        );
    }

    casework_fixtures(w, &mut f).await;

    // The newest audit event.
    let audit = f
        .step(
            w,
            &w.admin,
            "auditEvents",
            "{ auditEvents(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    f.keep("AuditEvent", &audit, "/auditEvents/nodes/0/id");
    f
}

/// Every root field, as every role: each field of the schema has exactly one row, each row
/// names a field of the schema and calls it, and each role gets what the row says.
async fn check_root_fields(w: &World, schema: &SchemaFacts, problems: &mut Vec<String>) {
    let rows: Vec<&FieldRow> = FIELDS.iter().chain(CASEWORK_FIELDS).collect();
    let mut seen = BTreeSet::new();
    for &&(field, expected, op) in &rows {
        if !seen.insert(field) {
            problems.push(format!("{field}: more than one row"));
        }
        let root = if schema.query.contains(field) {
            OperationType::Query
        } else if schema.mutation.contains(field) {
            OperationType::Mutation
        } else {
            problems.push(format!(
                "{field}: has a row but is not a root field of the schema"
            ));
            continue;
        };
        match first_root_field(op) {
            Ok((ty, called)) if ty == root && called == field => {}
            Ok((ty, called)) => {
                problems.push(format!(
                    "{field}: its operation calls {ty:?} {called} instead"
                ));
                continue;
            }
            Err(e) => {
                problems.push(format!("{field}: its operation does not parse: {e}"));
                continue;
            }
        }
        let expected = match columns(expected, ROLES.len(), &["U", "F", "✓"]) {
            Ok(cols) => cols,
            Err(e) => {
                problems.push(format!("{field}: {e}"));
                continue;
            }
        };
        let op = with_missing_ids(op);
        let fresh = FRESH_SESSION.contains(&field);
        for (col, client) in w.clients().into_iter().enumerate() {
            let session = match (fresh, client) {
                (false, _) => None,
                (true, Some(c)) => Some(w.app.client_for(&c.account).await),
                (true, None) => Some(w.app.client_for(&w.admin.account).await),
            };
            let token = match (&session, client) {
                (_, None) => None,
                (Some(s), Some(_)) => Some(s.token.clone()),
                (None, Some(c)) => Some(c.token.clone()),
            };
            let variables = match &session {
                Some(s) if op.contains("$refresh") => json!({ "refresh": s.refresh }),
                _ => json!({}),
            };
            let res = w.app.gql(token.as_deref(), &op, variables).await;
            let got = field_outcome(&res, field);
            if got != expected[col] {
                problems.push(format!(
                    "{field} as {}: expected {}, got {}",
                    ROLES[col],
                    expected[col],
                    described(&got, &res)
                ));
            }
        }
    }
    for field in schema.query.iter().chain(&schema.mutation) {
        if !seen.contains(field.as_str()) {
            problems.push(format!("{field}: a root field without a row"));
        }
    }
}

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";
const NODES_QUERY: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";

/// Every `Node` type, through `node(id:)` as every role, then `nodes(ids:)` with all the
/// fixture ids at once, which must answer like `node` one id at a time.
async fn check_nodes(w: &World, schema: &SchemaFacts, f: &Fixtures, problems: &mut Vec<String>) {
    let rows: Vec<&NodeRow> = NODES.iter().chain(CASEWORK_NODES).collect();
    let mut seen = BTreeSet::new();
    // Per role: (id, what `node` said) in the order asked.
    let mut answers: Vec<Vec<(String, String)>> = vec![Vec::new(); ROLES.len()];
    for &&(ty, expected) in &rows {
        if !seen.insert(ty) {
            problems.push(format!("Node {ty}: more than one row"));
        }
        if !schema.node_types.contains(ty) {
            problems.push(format!(
                "Node {ty}: has a row but is not a Node type of the schema"
            ));
            continue;
        }
        let mut expected = match columns(expected, ROLES.len() - 1, &["✓", "·"]) {
            Ok(cols) => cols,
            Err(e) => {
                problems.push(format!("Node {ty}: {e}"));
                continue;
            }
        };
        expected.insert(0, "U".into());
        let Some(id) = f.id(ty) else {
            problems.push(format!("Node {ty}: no instance in the fixture world"));
            continue;
        };
        for (col, client) in w.clients().into_iter().enumerate() {
            let res = w
                .app
                .gql(client.map(|c| c.token.as_str()), NODE, json!({ "id": id }))
                .await;
            let got = match res.body.pointer("/data/node") {
                _ if res.body.get("errors").is_some() => field_outcome(&res, "node"),
                Some(Value::Null) => "·".into(),
                Some(n) if n["__typename"] == ty && n["id"] == id.as_str() => "✓".into(),
                other => format!("something else: {other:?}"),
            };
            if got != expected[col] {
                problems.push(format!(
                    "node({ty}) as {}: expected {}, got {}",
                    ROLES[col],
                    expected[col],
                    described(&got, &res)
                ));
            }
            answers[col].push((id.clone(), got));
        }
    }
    for ty in &schema.node_types {
        if !seen.contains(ty.as_str()) {
            problems.push(format!("Node {ty}: a Node type without a row"));
        }
    }

    for (col, client) in w.clients().into_iter().enumerate() {
        let ids: Vec<&str> = answers[col].iter().map(|(id, _)| id.as_str()).collect();
        let res = w
            .app
            .gql(
                client.map(|c| c.token.as_str()),
                NODES_QUERY,
                json!({ "ids": ids }),
            )
            .await;
        let got: Vec<String> = match res.body.pointer("/data/nodes").and_then(Value::as_array) {
            Some(list) if res.body.get("errors").is_none() => list
                .iter()
                .zip(&answers[col])
                .map(|(n, (id, _))| match n {
                    Value::Null => "·".into(),
                    n if n["id"] == id.as_str() => "✓".into(),
                    other => format!("something else: {other}"),
                })
                .collect(),
            // An error for the whole list (UNAUTHENTICATED) stands for every id.
            _ => vec![field_outcome(&res, "nodes"); ids.len()],
        };
        let want: Vec<&str> = answers[col].iter().map(|(_, a)| a.as_str()).collect();
        if got.len() != want.len() || got.iter().zip(&want).any(|(g, w)| g != w) {
            problems.push(format!(
                "nodes(all fixture ids) as {}: answered {got:?}, node one at a time {want:?} ({})",
                ROLES[col],
                summary(&res)
            ));
        }
    }
}

#[actix_web::test]
async fn every_root_field_and_node_type_admits_exactly_the_roles_in_the_matrix() {
    let schema = schema_facts();
    let w = World::new().await;
    let fixtures = build_fixtures(&w).await;
    let mut problems = fixtures.problems.clone();
    check_root_fields(&w, &schema, &mut problems).await;
    check_nodes(&w, &schema, &fixtures, &mut problems).await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[actix_web::test]
async fn node_applies_the_same_scope_as_the_typed_fields() {
    let app = TestApp::spawn().await;
    let agency = AgencyBuilder::new("RMUT").create(&app).await;
    let other_agency = AgencyBuilder::new("Other").create(&app).await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let agency_a = app
        .client_for(
            &AccountBuilder::new(Role::Agency)
                .agency(agency.id)
                .create(&app)
                .await,
        )
        .await;
    let agency_b = AccountBuilder::new(Role::Agency)
        .agency(agency.id)
        .create(&app)
        .await;
    let outsider = AccountBuilder::new(Role::Agency)
        .agency(other_agency.id)
        .create(&app)
        .await;

    let q = "query($id: ID!) { node(id: $id) { id ... on Account { login } } }";
    let id = |a: &entity::account::Model| api::graphql::node::encode("Account", a.id);
    // Admin sees any account; a coordinator sees only themselves.
    assert!(
        !app.gql(
            Some(&admin.token),
            q,
            json!({ "id": id(&coordinator.account) })
        )
        .await
        .data("/node")
        .is_null()
    );
    assert!(
        app.gql(
            Some(&coordinator.token),
            q,
            json!({ "id": id(&admin.account) })
        )
        .await
        .data("/node")
        .is_null()
    );
    assert!(
        !app.gql(
            Some(&coordinator.token),
            q,
            json!({ "id": id(&coordinator.account) })
        )
        .await
        .data("/node")
        .is_null()
    );
    // Agency staff see colleagues, not staff of other agencies.
    assert!(
        !app.gql(Some(&agency_a.token), q, json!({ "id": id(&agency_b) }))
            .await
            .data("/node")
            .is_null()
    );
    assert!(
        app.gql(Some(&agency_a.token), q, json!({ "id": id(&outsider) }))
            .await
            .data("/node")
            .is_null()
    );
    // Audit events are ADMIN-only through node too.
    let events = app
        .gql(
            Some(&admin.token),
            "{ auditEvents(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let event_id = events.data("/auditEvents/nodes/0/id").clone();
    assert!(
        !app.gql(Some(&admin.token), q, json!({ "id": event_id }))
            .await
            .data("/node")
            .is_null()
    );
    assert!(
        app.gql(Some(&coordinator.token), q, json!({ "id": event_id }))
            .await
            .data("/node")
            .is_null()
    );
    // nodes() keeps order and answers null per unseen id.
    let res = app
        .gql(
            Some(&coordinator.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [id(&admin.account), id(&coordinator.account)] }),
        )
        .await;
    assert!(res.data("/nodes/0").is_null());
    assert_eq!(res.data("/nodes/1/id"), &json!(id(&coordinator.account).0));
    // A malformed id is bad input.
    app.gql(Some(&admin.token), q, json!({ "id": "%%%" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("id"));
}
