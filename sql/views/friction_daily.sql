-- friction_daily: per day and friction type, the analysed sessions, those with the friction (affected), their share (rate, 0..1), and the moments by severity: the daily series analysts chart. Days without a moment of a type have a row with 0.
CREATE VIEW friction_daily AS
WITH days AS (
    SELECT date, count(*) AS sessions FROM analysed_sessions GROUP BY date
),
per AS (
    SELECT
        date,
        friction_type,
        count(DISTINCT session_id) AS affected,
        count(*) AS moments,
        count(*) FILTER (WHERE severity = 'high') AS high,
        count(*) FILTER (WHERE severity = 'medium') AS medium,
        count(*) FILTER (WHERE severity = 'low') AS low
    FROM frictions
    GROUP BY date, friction_type
)
SELECT
    d.date,
    t.friction_type,
    d.sessions,
    coalesce(p.affected, 0) AS affected,
    CAST(coalesce(p.affected, 0) AS DOUBLE) / d.sessions AS rate,
    coalesce(p.moments, 0) AS moments,
    coalesce(p.high, 0) AS high,
    coalesce(p.medium, 0) AS medium,
    coalesce(p.low, 0) AS low
FROM days d
CROSS JOIN friction_types t
LEFT JOIN per p ON p.date = d.date AND p.friction_type = t.friction_type
