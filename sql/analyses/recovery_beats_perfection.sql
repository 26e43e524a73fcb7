-- recovery_beats_perfection: are users happier after the agent recovers from an
-- error than when nothing went wrong? The seed's third finding, computed on your
-- own sessions (all analysed dates).
--
-- Method. Each analysed session falls in one group: `error_free` (no
-- `error_event` moment), `recovered` (an error, then a later successful step and a
-- completed task: the judge's `recovery` delight) or `not_recovered` (an error and
-- no recovery). Per group: sessions, the share completed, the share where the
-- user expressed delight (thanks, praise, "it works"), and the mean satisfaction
-- (1-5, `session_facets`; docs/judges.md) with a 95% interval, mean +- 1.96 sd /
-- sqrt(n), and among completed sessions only (a recovery is completed by
-- definition; `error_free` sessions may not be). Satisfaction reads what the user
-- showed and how the session ended, never the errors themselves, so the
-- comparison is not built in.
WITH errors AS (
    SELECT DISTINCT session_id FROM frictions WHERE friction_type = 'error_event'
),
recoveries AS (
    SELECT DISTINCT session_id FROM delights WHERE delight_type = 'recovery'
),
groups AS (
    SELECT
        a.session_id,
        CASE
            WHEN e.session_id IS NULL THEN 'error_free'
            WHEN r.session_id IS NOT NULL THEN 'recovered'
            ELSE 'not_recovered'
        END AS grp
    FROM analysed_sessions a
    LEFT JOIN errors e ON e.session_id = a.session_id
    LEFT JOIN recoveries r ON r.session_id = a.session_id
),
facets AS (
    SELECT
        session_id,
        max(value) FILTER (WHERE facet = 'outcome') AS outcome,
        max(CASE WHEN facet = 'satisfaction' THEN CAST(value AS DOUBLE) END) AS satisfaction
    FROM session_facets
    WHERE facet IN ('outcome', 'satisfaction')
    GROUP BY session_id
),
expressed AS (
    SELECT DISTINCT session_id FROM delights WHERE delight_type <> 'recovery'
)
SELECT
    g.grp AS sessions_that,
    count(*) AS sessions,
    round(avg(CASE WHEN f.outcome = 'completed' THEN 1.0 ELSE 0.0 END), 4) AS completed_share,
    round(avg(CASE WHEN x.session_id IS NOT NULL THEN 1.0 ELSE 0.0 END), 4) AS delight_share,
    round(avg(f.satisfaction), 3) AS mean_satisfaction,
    round(avg(f.satisfaction) - 1.959964 * stddev_samp(f.satisfaction) / sqrt(count(f.satisfaction)), 3) AS ci_low,
    round(avg(f.satisfaction) + 1.959964 * stddev_samp(f.satisfaction) / sqrt(count(f.satisfaction)), 3) AS ci_high,
    round(avg(CASE WHEN f.outcome = 'completed' THEN f.satisfaction END), 3) AS mean_satisfaction_completed
FROM groups g
LEFT JOIN facets f ON f.session_id = g.session_id
LEFT JOIN expressed x ON x.session_id = g.session_id
GROUP BY g.grp
ORDER BY mean_satisfaction DESC;
