-- session_frictions: each of the day's analysed sessions with friction, once per
-- friction type it has: how many moments of that type, and how many were of each
-- severity. Output: table `session_frictions`.
--
-- $date   the day (YYYY-MM-DD)
--
-- `patterns` and `remeasure` count affected sessions per type over windows of
-- days (8 and up to 37 days). Reading this table, they do not deduplicate every
-- day's moments again each day: each day is deduplicated once, here.
SELECT
    session_id,
    friction_type,
    count(*) AS moments,
    count(*) FILTER (WHERE severity = 'high') AS high,
    count(*) FILTER (WHERE severity = 'medium') AS medium,
    count(*) FILTER (WHERE severity = 'low') AS low
FROM frictions
WHERE date = $date
GROUP BY session_id, friction_type
ORDER BY session_id, friction_type
