-- digest headline: the day's numbers beside its trailing baseline (the digest's
-- first lines). One row.
--
-- $date            the day (YYYY-MM-DD)
-- $baseline_from   first day of the baseline (the `baseline_days` before $date)
-- $baseline_to     last day of the baseline (the day before $date)
--
-- Sessions: all ingested sessions of the day and the analysed ones (the `filter`
-- stage's); the baseline's are the mean per day over its days that had analysed
-- sessions. Shares are of analysed sessions, the baseline's pooled over all of its
-- sessions: with friction (any type), completed (facet `outcome`), with delight.
WITH analysed AS (
    SELECT session_id, date = $date AS today
    FROM analysed_sessions
    WHERE date >= $baseline_from AND date <= $date
),
with_friction AS (
    SELECT DISTINCT session_id FROM session_frictions
    WHERE date >= $baseline_from AND date <= $date
),
completed AS (
    SELECT DISTINCT session_id FROM session_facets
    WHERE date >= $baseline_from AND date <= $date AND facet = 'outcome' AND value = 'completed'
),
delighted AS (
    SELECT DISTINCT session_id FROM delights
    WHERE date >= $baseline_from AND date <= $date
),
flags AS (
    SELECT
        a.today,
        f.session_id IS NOT NULL AS friction,
        c.session_id IS NOT NULL AS completed,
        d.session_id IS NOT NULL AS delight
    FROM analysed a
    LEFT JOIN with_friction f ON f.session_id = a.session_id
    LEFT JOIN completed c ON c.session_id = a.session_id
    LEFT JOIN delighted d ON d.session_id = a.session_id
),
base_days AS (
    SELECT count(DISTINCT date) AS days FROM analysed_sessions
    WHERE date >= $baseline_from AND date <= $baseline_to
),
-- One aggregate (no GROUP BY): one row, with NULL shares when a side is empty.
shares AS (
    SELECT
        count(*) FILTER (WHERE today) AS analysed,
        count(*) FILTER (WHERE NOT today) AS baseline_total,
        CAST(count(*) FILTER (WHERE today AND friction) AS DOUBLE) / nullif(count(*) FILTER (WHERE today), 0) AS friction_share,
        CAST(count(*) FILTER (WHERE today AND completed) AS DOUBLE) / nullif(count(*) FILTER (WHERE today), 0) AS completed_share,
        CAST(count(*) FILTER (WHERE today AND delight) AS DOUBLE) / nullif(count(*) FILTER (WHERE today), 0) AS delight_share,
        CAST(count(*) FILTER (WHERE NOT today AND friction) AS DOUBLE) / nullif(count(*) FILTER (WHERE NOT today), 0) AS baseline_friction_share,
        CAST(count(*) FILTER (WHERE NOT today AND completed) AS DOUBLE) / nullif(count(*) FILTER (WHERE NOT today), 0) AS baseline_completed_share,
        CAST(count(*) FILTER (WHERE NOT today AND delight) AS DOUBLE) / nullif(count(*) FILTER (WHERE NOT today), 0) AS baseline_delight_share
    FROM flags
),
day_sessions AS (
    SELECT count(*) AS sessions FROM sessions WHERE date = $date
),
day_interventions AS (
    SELECT count(*) AS interventions FROM interventions WHERE date = $date
)
SELECT
    d.sessions,
    s.analysed,
    s.friction_share,
    s.completed_share,
    s.delight_share,
    b.days AS baseline_days,
    CAST(s.baseline_total AS DOUBLE) / nullif(b.days, 0) AS baseline_analysed,
    s.baseline_friction_share,
    s.baseline_completed_share,
    s.baseline_delight_share,
    i.interventions
FROM shares s
CROSS JOIN base_days b
CROSS JOIN day_sessions d
CROSS JOIN day_interventions i
