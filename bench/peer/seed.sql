-- bench/peer/seed.sql: on top of `api import households` of 5,000 households (19,362 members),
-- adds 200 technologies of one agency, 12,500 assessments (households alternately 2 and 3
-- rounds: the latest ACTIVE, the others SUPERSEDED) and 15,000 matches (3 per household, every
-- status; one open match per household, as the service allows), as the issue's data set. Deterministic (md5 of ids).
-- Then casework for the agency inbox: 2 more agencies, 30 services, 2,000 cases with consents
-- and 3,000 referrals (see the second transaction).
\set ON_ERROR_STOP on
BEGIN;
UPDATE household SET status = 'VERIFIED', verified_on = current_date;
INSERT INTO agency (id, name, name_en, agency_type, active, version, created_at, updated_at)
VALUES ('00000000-0000-4000-8000-0000000000b1', 'Peer bench agency', 'Peer bench agency', 'UNIVERSITY', true, 1, now(), now());
INSERT INTO technology (id, agency_id, name, description, sector, capitals_raised, min_capital_scores,
    requires_land, min_working_age_members, suitable_areas, unit_cost_baht, monthly_income_gain_baht,
    training_days, seats_per_round, readiness_level, active, version, created_at, updated_at)
SELECT md5('peer-tech-' || g)::uuid, '00000000-0000-4000-8000-0000000000b1', 'Peer tech ' || g, 'Technology ' || g,
    (ARRAY['AGRICULTURE','DIGITAL','ENERGY','FISHERY','FOOD_PROCESSING','HANDICRAFT','LIVESTOCK','OTHER','WATER'])[1 + g % 9],
    '["FINANCIAL","NATURAL"]'::json,
    '{"human":null,"physical":null,"financial":null,"natural":null,"social":null}'::json,
    g % 4 = 0, g % 3, '[]'::json, 500 + (g * 7919) % 50000, 200 + (g * 104729) % 5000, 1 + g % 14,
    20 + (g * 31) % 181, 1 + g % 9, true, 1, now(), now()
FROM generate_series(1, 200) g;

WITH h AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM household),
rounds AS (
    SELECT h.id, h.n, r, 2 + (h.n % 2) AS total FROM h, generate_series(1, 3) r WHERE r <= 2 + (h.n % 2)
),
x AS (
    SELECT id, r, total,
        100 + ('x' || substr(md5(id::text || r || 'h'), 1, 6))::bit(24)::int % 301 AS hu,
        100 + ('x' || substr(md5(id::text || r || 'p'), 1, 6))::bit(24)::int % 301 AS ph,
        100 + ('x' || substr(md5(id::text || r || 'f'), 1, 6))::bit(24)::int % 301 AS fi,
        100 + ('x' || substr(md5(id::text || r || 'n'), 1, 6))::bit(24)::int % 301 AS na,
        100 + ('x' || substr(md5(id::text || r || 's'), 1, 6))::bit(24)::int % 301 AS so,
        500 + ('x' || substr(md5(id::text || r || 'i'), 1, 6))::bit(24)::int % 9000 AS inc
    FROM rounds
)
INSERT INTO assessment (id, household_id, status, assessed_on, human, physical, financial, "natural", social,
    overall_score, overall_level, household_size, income_per_person_satang, income_level, poverty_line_year,
    has_land, created_at, activated_at, closed_at)
SELECT md5('peer-assess-' || id || '-' || r)::uuid, id, CASE WHEN r = total THEN 'ACTIVE' ELSE 'SUPERSEDED' END,
    current_date - ((total - r) * 180)::int, hu, ph, fi, na, so,
    round((hu + ph + fi + na + so) / 5.0),
    CASE WHEN round((hu + ph + fi + na + so) / 5.0) < 175 THEN 'STRUGGLING'
         WHEN round((hu + ph + fi + na + so) / 5.0) < 250 THEN 'DIFFICULT'
         WHEN round((hu + ph + fi + na + so) / 5.0) < 325 THEN 'MANAGEABLE' ELSE 'WELL' END,
    4, inc * 100,
    CASE WHEN inc <= 2762 THEN 'BELOW_POVERTY_LINE' WHEN inc <= 5346 THEN 'BELOW_POOREST_40'
         WHEN inc <= 6531 THEN 'BELOW_MEDIAN' ELSE 'ABOVE_MEDIAN' END,
    2563, r % 2 = 0, now() - (total - r) * interval '180 days', now() - (total - r) * interval '180 days',
    CASE WHEN r = total THEN NULL ELSE now() - (total - r - 1) * interval '180 days' END
FROM x;

WITH h AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM household)
INSERT INTO "match" (id, household_id, technology_id, run_id, status, score_millis, reasons,
    delivering_agency_id, version, created_at, updated_at)
SELECT md5('peer-match-' || h.id || '-' || k)::uuid, h.id, md5('peer-tech-' || (1 + (h.n * 7 + k * 61) % 200))::uuid, NULL,
    CASE WHEN k = 1 THEN (ARRAY['SUGGESTED','OFFERED','ACCEPTED','IN_TRAINING','ADOPTED'])[1 + h.n % 5]
         ELSE (ARRAY['SUSTAINED','DECLINED','DROPPED'])[1 + (h.n + k) % 3] END,
    400 + (h.n * 13 + k * 101) % 600, '[]'::json, '00000000-0000-4000-8000-0000000000b1', 1, now(), now()
FROM h, generate_series(1, 3) k;
COMMIT;

-- Casework, for the agency inbox request: two more agencies (an NGO and a provincial office),
-- the three agencies covering every province of the data, 10 services each, 2,000 cases (on
-- households 1 and 3 modulo 5; a quarter each owned by no agency, the NGO, the office and the
-- bench agency; at every phase, with their phase events), a consent per case's household
-- (GIVEN, REFERRAL and CASE_MANAGEMENT for the three agencies, with its consent_grant rows, as
-- the service requires for a referral and as its consent gate reads) and 3,000 referrals (one
-- or two per case, never to the case's owner, each for a service of the recipient, with the
-- covering consent; at every status), 1,500 of them to the bench agency (its inbox). Ids are
-- UUIDv7 like the service's (the timestamp of the row, the rest from md5 of its key), so that
-- id order is creation order; timestamps are relative to now() (cases opened 40 to 373 days
-- ago), the rest is deterministic.
BEGIN;
CREATE FUNCTION pg_temp.uuid7(ts timestamptz, k text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(md5(k), 1, 3)
        || substr('89ab', 1 + ('x' || substr(md5(k), 4, 1))::bit(4)::int % 4, 1) || substr(md5(k), 5, 15))::uuid
$$;
CREATE FUNCTION pg_temp.h(k text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(md5(k), 1, 6))::bit(24)::int
$$;
INSERT INTO agency (id, name, name_en, agency_type, active, version, created_at, updated_at) VALUES
    ('00000000-0000-4000-8000-0000000000b2', 'Peer bench NGO', 'Peer bench NGO', 'NGO', true, 1, now(), now()),
    ('00000000-0000-4000-8000-0000000000b3', 'Peer bench provincial office', 'Peer bench provincial office',
     'PROVINCIAL_GOV', true, 1, now(), now());
INSERT INTO agency_coverage (agency_id, area_code)
SELECT a.id, ar.code FROM agency a, area ar
WHERE a.id IN ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b2',
               '00000000-0000-4000-8000-0000000000b3')
  AND ar.code IN (SELECT DISTINCT left(village_code, 2) FROM household);
INSERT INTO service (id, agency_id, name, description, category, target_capitals, coverage, capacity,
    active, version, created_at, updated_at)
SELECT md5('peer-service-' || a || '-' || s)::uuid, ('00000000-0000-4000-8000-0000000000b' || a)::uuid,
    'Peer service ' || a || '-' || s, 'Service ' || s || ' of agency b' || a,
    (ARRAY['URGENT_RELIEF','HOUSING','HEALTH','EDUCATION','FINANCE','MARKET_ACCESS','OCCUPATION_TRAINING'])[1 + (a * 3 + s) % 7],
    (ARRAY['["HUMAN"]','["PHYSICAL"]','["FINANCIAL"]','["NATURAL","FINANCIAL"]','["SOCIAL","HUMAN"]'])[1 + s % 5]::json,
    '[]'::json, 50 + (s * 37) % 200, true, 1, now(), now()
FROM generate_series(1, 3) a, generate_series(1, 10) s;

-- c: case number 1..2000, oldest first; owner 0 none, 1 the bench agency, 2 the NGO, 3 the office
CREATE TEMP TABLE peer_case ON COMMIT DROP AS
WITH h AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM household),
c AS (SELECT id AS household_id, row_number() OVER (ORDER BY n) AS c FROM h WHERE n % 5 IN (1, 3))
SELECT c.household_id, c.c, (c.c % 4)::int AS owner, 1 + (c.c % 2)::int AS referrals,
    now() - interval '40 days' - (2000 - c.c) * interval '4 hours' - pg_temp.h('peer-case-m' || c.c) % 240 * interval '1 minute' AS opened_at,
    -- steps: 0 INTAKE .. 4 MONITORING, 5 CLOSED (four steps forward, then closed)
    (ARRAY[0, 1, 2, 2, 3, 3, 3, 4, 4, 5])[1 + pg_temp.h('peer-case-p' || c.c) % 10] AS steps
FROM c;
ALTER TABLE peer_case ADD COLUMN id uuid, ADD COLUMN owner_agency_id uuid;
UPDATE peer_case SET id = pg_temp.uuid7(opened_at, 'peer-case-' || c),
    owner_agency_id = CASE WHEN owner = 0 THEN NULL ELSE ('00000000-0000-4000-8000-0000000000b' || owner)::uuid END;

INSERT INTO consent (id, household_id, purposes, recipient_agency_types, recipient_agency_ids, legal_basis,
    status, given_at, expires_at, withdrawn_at, recorded_by, created_at)
SELECT pg_temp.uuid7(opened_at - interval '1 day', 'peer-consent-' || c), household_id,
    '["REFERRAL","CASE_MANAGEMENT"]'::json, '[]'::json,
    '["00000000-0000-4000-8000-0000000000b1","00000000-0000-4000-8000-0000000000b2","00000000-0000-4000-8000-0000000000b3"]'::json,
    'CONSENT', 'GIVEN', opened_at - interval '1 day', opened_at - interval '1 day' + interval '730 days', NULL, NULL,
    opened_at - interval '1 day'
FROM peer_case;
INSERT INTO consent_grant (id, consent_id, household_id, purpose, agency_id, agency_type)
SELECT pg_temp.uuid7(opened_at - interval '1 day', 'peer-grant-' || c || '-' || p || '-' || a),
    pg_temp.uuid7(opened_at - interval '1 day', 'peer-consent-' || c), household_id, p,
    ('00000000-0000-4000-8000-0000000000b' || a)::uuid, NULL
FROM peer_case, unnest(ARRAY['REFERRAL', 'CASE_MANAGEMENT']) p, generate_series(1, 3) a;

INSERT INTO support_case (id, household_id, person_id, case_type, priority, phase, owner_agency_id,
    assigned_worker_id, review_due_on, summary, closure_reason, outcome, opened_at, closed_at, version,
    created_by, created_at, updated_at, client_created_at)
SELECT pc.id, pc.household_id,
    (SELECT m.person_id FROM membership m WHERE m.household_id = pc.household_id AND m.role = 'HEAD'
     ORDER BY m.id LIMIT 1),
    (ARRAY['OCCUPATION_DEVELOPMENT','OCCUPATION_DEVELOPMENT','URGENT_SOCIAL_PROTECTION','VALUE_CHAIN',
           'HOUSING','HEALTH','EDUCATION','OTHER'])[1 + pg_temp.h('peer-case-t' || pc.c) % 8],
    (ARRAY['LOW','NORMAL','NORMAL','NORMAL','HIGH','URGENT'])[1 + pg_temp.h('peer-case-r' || pc.c) % 6],
    (ARRAY['INTAKE','ASSESSMENT','PLANNING','IMPLEMENTATION','MONITORING','CLOSED'])[1 + pc.steps],
    pc.owner_agency_id, NULL, (pc.opened_at + interval '90 days')::date,
    'Household ' || pc.c || ' needs support for its occupation and income',
    CASE WHEN pc.steps = 5 THEN 'Support delivered, household followed up' END,
    CASE WHEN pc.steps = 5 THEN (ARRAY['POSITIVE','POSITIVE','NEUTRAL','NEGATIVE'])[1 + pc.c % 4] END,
    pc.opened_at, CASE WHEN pc.steps = 5 THEN pc.opened_at + interval '35 days' END, 1 + pc.steps,
    NULL, pc.opened_at,
    CASE WHEN pc.steps = 5 THEN pc.opened_at + interval '35 days' ELSE pc.opened_at + pc.steps * interval '2 days' END,
    NULL
FROM peer_case pc;
INSERT INTO case_event (id, case_id, from_phase, to_phase, reason, outcome, actor_id, occurred_at, client_occurred_at)
SELECT pg_temp.uuid7(t, 'peer-case-event-' || pc.c || '-' || e), pc.id,
    CASE WHEN e > 0 THEN (ARRAY['INTAKE','ASSESSMENT','PLANNING','IMPLEMENTATION','MONITORING'])[e] END,
    (ARRAY['INTAKE','ASSESSMENT','PLANNING','IMPLEMENTATION','MONITORING','CLOSED'])[e + 1],
    CASE WHEN e = 5 THEN 'Support delivered, household followed up' END,
    CASE WHEN e = 5 THEN (ARRAY['POSITIVE','POSITIVE','NEUTRAL','NEGATIVE'])[1 + pc.c % 4] END,
    NULL, t, NULL
FROM peer_case pc, generate_series(0, 5) e,
    LATERAL (SELECT CASE WHEN e = 5 THEN pc.opened_at + interval '35 days' ELSE pc.opened_at + e * interval '2 days' END AS t) tt
WHERE e <= pc.steps;

-- referral j of case c goes to: owner none: the bench agency, then the NGO or the office; owner
-- the bench agency: the NGO, then the office; owner the NGO: the bench agency, then the office;
-- owner the office: the bench agency, then the NGO. Status from md5: 35% PENDING, 30% ACCEPTED,
-- 20% DONE, 10% REJECTED, 5% REVOKED; on a closed case nothing is left PENDING or ACCEPTED.
WITH r AS (
    SELECT pc.*, j,
        CASE pc.owner WHEN 0 THEN (ARRAY[1, 2 + pc.c % 2])[j] WHEN 1 THEN (ARRAY[2, 3])[j]
                      WHEN 2 THEN (ARRAY[1, 3])[j] ELSE (ARRAY[1, 2])[j] END AS to_a,
        pc.opened_at + (4 + j * 3 + pg_temp.h('peer-ref-d' || pc.c || '-' || j) % 5) * interval '1 day'
            + pg_temp.h('peer-ref-m' || pc.c || '-' || j) % 600 * interval '1 minute' AS created,
        pg_temp.h('peer-ref-s' || pc.c || '-' || j) % 100 AS x,
        1 + pg_temp.h('peer-ref-a' || pc.c || '-' || j) % 3 AS accept_days,
        3 + pg_temp.h('peer-ref-c' || pc.c || '-' || j) % 8 AS complete_days
    FROM peer_case pc, generate_series(1, 2) j WHERE j <= pc.referrals
),
s AS (
    SELECT r.*, CASE
        WHEN x < 35 AND steps < 5 THEN 'PENDING' WHEN x < 65 AND steps < 5 THEN 'ACCEPTED'
        WHEN x < 85 THEN 'DONE' WHEN x < 95 THEN 'REJECTED' WHEN x < 100 AND steps = 5 AND x % 2 = 0 THEN 'REJECTED'
        ELSE 'REVOKED' END AS status
    FROM r
)
INSERT INTO referral (id, case_id, household_id, from_agency_id, to_agency_id, service_id, technology_id, reason,
    status, due_on, consent_id, override_reason, response_note, rejection_reason, revoke_reason, accepted_at,
    rejected_at, completed_at, revoked_at, version, created_by, created_at, updated_at, client_created_at)
SELECT pg_temp.uuid7(created, 'peer-referral-' || c || '-' || j), id, household_id, owner_agency_id,
    ('00000000-0000-4000-8000-0000000000b' || to_a)::uuid,
    md5('peer-service-' || to_a || '-' || (1 + (c * 7 + j) % 10))::uuid, NULL,
    'The household asks for support under its development plan (case ' || c || ')',
    status, (created + interval '14 days')::date, pg_temp.uuid7(opened_at - interval '1 day', 'peer-consent-' || c),
    NULL,
    CASE WHEN status = 'DONE' THEN 'Delivered and followed up' WHEN status = 'ACCEPTED' THEN 'Scheduled for the next round' END,
    CASE WHEN status = 'REJECTED' THEN 'The training round is full' END,
    CASE WHEN status = 'REVOKED' THEN 'The household moved out of the area' END,
    CASE WHEN status IN ('ACCEPTED', 'DONE') THEN created + accept_days * interval '1 day' END,
    CASE WHEN status = 'REJECTED' THEN created + accept_days * interval '1 day' END,
    CASE WHEN status = 'DONE' THEN created + (accept_days + complete_days) * interval '1 day' END,
    CASE WHEN status = 'REVOKED' THEN created + accept_days * interval '1 day' END,
    CASE status WHEN 'PENDING' THEN 1 WHEN 'DONE' THEN 3 ELSE 2 END, NULL, created,
    created + CASE status WHEN 'PENDING' THEN interval '0' WHEN 'DONE' THEN (accept_days + complete_days) * interval '1 day'
                          ELSE accept_days * interval '1 day' END,
    NULL
FROM s;
COMMIT;
ANALYZE;
SELECT 'households', count(*) FROM household UNION ALL SELECT 'memberships', count(*) FROM membership
UNION ALL SELECT 'assessments', count(*) FROM assessment UNION ALL SELECT 'matches', count(*) FROM "match"
UNION ALL SELECT 'technologies', count(*) FROM technology UNION ALL SELECT 'services', count(*) FROM service
UNION ALL SELECT 'cases', count(*) FROM support_case UNION ALL SELECT 'consents', count(*) FROM consent
UNION ALL SELECT 'referrals', count(*) FROM referral
UNION ALL SELECT 'referrals to the bench agency', count(*) FROM referral WHERE to_agency_id = '00000000-0000-4000-8000-0000000000b1';
