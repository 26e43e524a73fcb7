-- digest delight: per kind of delight, the share of the day's analysed sessions
-- that had it, against the baseline's share (pooled).
-- $date, $baseline_from: the day and the first day of its baseline.
WITH analysed AS (
    SELECT date = $date AS today, count(*) AS n
    FROM analysed_sessions
    WHERE date >= $baseline_from AND date <= $date
    GROUP BY date = $date
),
per AS (
    SELECT delight_type, date = $date AS today, count(DISTINCT session_id) AS sessions
    FROM delights
    WHERE date >= $baseline_from AND date <= $date
    GROUP BY delight_type, date = $date
)
SELECT
    k.delight_type,
    coalesce(t.sessions, 0) AS sessions,
    CAST(coalesce(t.sessions, 0) AS DOUBLE) / nullif((SELECT n FROM analysed WHERE today), 0) AS share,
    CAST(coalesce(b.sessions, 0) AS DOUBLE) / nullif((SELECT n FROM analysed WHERE NOT today), 0) AS baseline_share
FROM (SELECT DISTINCT delight_type FROM per) k
LEFT JOIN per t ON t.delight_type = k.delight_type AND t.today
LEFT JOIN per b ON b.delight_type = k.delight_type AND NOT b.today
ORDER BY sessions DESC, k.delight_type
