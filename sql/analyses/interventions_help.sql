-- interventions_help: do sessions where the live hook asked the agent to clarify
-- recover more often than comparable sessions where it did not?
--
-- Method. The sessions compared are those with a rephrasing cascade or context
-- churn: a moment of the type in `frictions` (the nightly judge), or an
-- intervention of the type (`interventions`, written by `signals hook claude-code
-- --log LAKE`: the friction was under way). Per type, those with an intervention
-- and those without: sessions, the share completed (`session_facets` outcome)
-- with a 95% Wilson interval, and the mean satisfaction (1-5). Sessions without a
-- judged outcome count as not completed. This is observational: where the hook is
-- installed for some users only, the groups may differ in more than the hook; a
-- difference whose intervals overlap is not one.
WITH struggled AS (
    SELECT session_id, friction_type FROM frictions
    WHERE friction_type IN ('rephrasing_cascade', 'context_churn')
    UNION
    SELECT session_id, friction_type FROM interventions
),
intervened AS (
    SELECT DISTINCT session_id, friction_type FROM interventions
),
outcomes AS (
    SELECT
        session_id,
        max(value) FILTER (WHERE facet = 'outcome') AS outcome,
        max(CASE WHEN facet = 'satisfaction' THEN TRY_CAST(value AS DOUBLE) END) AS satisfaction
    FROM session_facets
    GROUP BY session_id
),
per AS (
    SELECT
        s.friction_type,
        i.session_id IS NOT NULL AS intervened,
        count(*) AS sessions,
        sum(CASE WHEN o.outcome = 'completed' THEN 1 ELSE 0 END) AS completed,
        avg(o.satisfaction) AS satisfaction
    FROM struggled s
    LEFT JOIN intervened i ON i.session_id = s.session_id AND i.friction_type = s.friction_type
    LEFT JOIN outcomes o ON o.session_id = s.session_id
    GROUP BY s.friction_type, i.session_id IS NOT NULL
),
rated AS (
    SELECT *, CAST(completed AS DOUBLE) / sessions AS p, 1.96 * 1.96 / sessions AS zn FROM per
)
SELECT
    friction_type,
    intervened,
    sessions,
    completed,
    round(100 * p, 1) AS completed_pct,
    round(100 * (p + zn / 2 - 1.96 * sqrt(p * (1 - p) / sessions + zn / (4 * sessions))) / (1 + zn), 1) AS ci_low,
    round(100 * (p + zn / 2 + 1.96 * sqrt(p * (1 - p) / sessions + zn / (4 * sessions))) / (1 + zn), 1) AS ci_high,
    round(satisfaction, 2) AS satisfaction
FROM rated
ORDER BY friction_type, intervened DESC
