-- bench/peer/seed.sql: on top of `api import households` of 5,000 households (19,362 members),
-- adds 200 technologies of one agency, 12,500 assessments (households alternately 2 and 3
-- rounds: the latest ACTIVE, the others SUPERSEDED) and 15,000 matches (3 per household, every
-- status; one open match per household, as the service allows), as the issue's data set. Deterministic (md5 of ids).
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
ANALYZE;
SELECT 'households', count(*) FROM household UNION ALL SELECT 'memberships', count(*) FROM membership
UNION ALL SELECT 'assessments', count(*) FROM assessment UNION ALL SELECT 'matches', count(*) FROM "match"
UNION ALL SELECT 'technologies', count(*) FROM technology;
