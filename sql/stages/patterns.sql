-- patterns: per friction type and slice, how many of the day's analysed sessions
-- have the friction, against the trailing baseline of the days before, and
-- whether it crosses the pipeline's threshold. Output: table `friction_patterns`.
--
-- $date            the day (YYYY-MM-DD)
-- $baseline_days   days before $date that make the baseline (default 7)
-- $min_affected    sessions affected today, at least (default 5)
-- $min_rate        share of analysed sessions affected today, at least (default 0.05)
-- $max_p           one-sided p-value of the two-proportion z-test, below (default 0.05)
--
-- Slices: `all`, `agent_version`, `model`, `language`, `intent`, and each accepted
-- discovered facet (a session with two languages counts in both). The test: pooled two-proportion z-test of today's rate
-- x1/n1 against the baseline's x0/n0,
--   p = (x1 + x0) / (n1 + n0),  z = (x1/n1 - x0/n0) / sqrt(p (1 - p) (1/n1 + 1/n0)),
-- one-sided p-value = 1 - Phi(z), Phi by Abramowitz & Stegun 26.2.17 (error < 1e-7).
-- No baseline sessions, or p of 0 or 1: no test (z and p_value NULL), no crossing.
WITH days AS (
    SELECT
        date,
        CAST(date_part('epoch', CAST($date AS DATE)) - date_part('epoch', CAST(date AS DATE)) AS BIGINT) / 86400 AS days_ago
    FROM (SELECT DISTINCT date FROM analysed_sessions)
),
windowed AS (
    SELECT a.date, a.session_id, a.agent_version, d.days_ago
    FROM analysed_sessions a
    JOIN days d ON d.date = a.date
    WHERE d.days_ago BETWEEN 0 AND $baseline_days
),
slices AS (
    SELECT date, session_id, days_ago, 'all' AS slice_kind, 'all' AS slice_value FROM windowed
    UNION ALL
    SELECT date, session_id, days_ago, 'agent_version', coalesce(agent_version, 'unknown') FROM windowed
    UNION ALL
    SELECT w.date, w.session_id, w.days_ago, 'model', coalesce(s.model, 'unknown')
    FROM windowed w LEFT JOIN sessions s ON s.date = w.date AND s.session_id = w.session_id
    UNION ALL
    SELECT DISTINCT w.date, w.session_id, w.days_ago, f.facet, f.value
    FROM windowed w
    JOIN session_facets f ON f.date = w.date AND f.session_id = w.session_id
    -- Core slices, and every facet added later (accepted discovered facets).
    WHERE f.facet IN ('language', 'intent')
       OR f.facet NOT IN ('framework', 'outcome', 'summary', 'step_count',
                          'tool_confirmed', 'tool_rejected', 'tool_cancelled')
),
types AS (
    SELECT friction_type FROM (VALUES ('abandoned_tool'), ('rephrasing_cascade'), ('context_churn'),
        ('error_event'), ('tone_escalation'), ('backtracking'), ('platform_confusion')) AS t(friction_type)
),
per_session AS (
    SELECT
        f.date,
        f.session_id,
        f.friction_type,
        count(*) AS moments,
        count(*) FILTER (WHERE f.severity = 'high') AS high,
        count(*) FILTER (WHERE f.severity = 'medium') AS medium,
        count(*) FILTER (WHERE f.severity = 'low') AS low
    FROM frictions f
    JOIN windowed w ON w.date = f.date AND w.session_id = f.session_id
    GROUP BY f.date, f.session_id, f.friction_type
),
counts AS (
    SELECT
        t.friction_type,
        s.slice_kind,
        s.slice_value,
        count(*) FILTER (WHERE s.days_ago = 0) AS sessions,
        count(p.session_id) FILTER (WHERE s.days_ago = 0) AS affected,
        coalesce(sum(p.moments) FILTER (WHERE s.days_ago = 0), 0) AS moments,
        coalesce(sum(p.high) FILTER (WHERE s.days_ago = 0), 0) AS high,
        coalesce(sum(p.medium) FILTER (WHERE s.days_ago = 0), 0) AS medium,
        coalesce(sum(p.low) FILTER (WHERE s.days_ago = 0), 0) AS low,
        count(*) FILTER (WHERE s.days_ago > 0) AS baseline_sessions,
        count(p.session_id) FILTER (WHERE s.days_ago > 0) AS baseline_affected
    FROM slices s
    CROSS JOIN types t
    LEFT JOIN per_session p
        ON p.date = s.date AND p.session_id = s.session_id AND p.friction_type = t.friction_type
    GROUP BY t.friction_type, s.slice_kind, s.slice_value
),
tested AS (
    SELECT
        *,
        CAST(affected AS DOUBLE) / sessions AS rate,
        CASE WHEN baseline_sessions > 0 THEN CAST(baseline_affected AS DOUBLE) / baseline_sessions END AS baseline_rate,
        CAST(affected + baseline_affected AS DOUBLE) / (sessions + baseline_sessions) AS pooled
    FROM counts
    WHERE sessions > 0
),
scored AS (
    SELECT
        *,
        CASE WHEN baseline_sessions > 0 AND pooled > 0 AND pooled < 1 THEN
            (rate - baseline_rate)
            / sqrt(pooled * (1 - pooled) * (1.0 / sessions + 1.0 / baseline_sessions))
        END AS z
    FROM tested
),
with_p AS (
    SELECT
        *,
        -- Upper tail Q(|z|) = phi(|z|) * poly(t), t = 1 / (1 + 0.2316419 |z|).
        exp(-z * z / 2) / sqrt(2 * pi())
            * (1 / (1 + 0.2316419 * abs(z)))
            * (0.319381530 + (1 / (1 + 0.2316419 * abs(z)))
            * (-0.356563782 + (1 / (1 + 0.2316419 * abs(z)))
            * (1.781477937 + (1 / (1 + 0.2316419 * abs(z)))
            * (-1.821255978 + (1 / (1 + 0.2316419 * abs(z))) * 1.330274429)))) AS tail
    FROM scored
)
SELECT
    friction_type,
    slice_kind,
    slice_value,
    sessions,
    affected,
    rate,
    moments,
    CASE WHEN affected > 0 THEN CAST(moments AS DOUBLE) / affected END AS moments_per_affected,
    high,
    medium,
    low,
    baseline_sessions,
    baseline_affected,
    baseline_rate,
    z,
    CASE WHEN z >= 0 THEN tail ELSE 1 - tail END AS p_value,
    coalesce(
        affected >= $min_affected
        AND rate >= $min_rate
        AND (CASE WHEN z >= 0 THEN tail ELSE 1 - tail END) < $max_p,
        false
    ) AS crosses_threshold
FROM with_p
ORDER BY friction_type, slice_kind, slice_value
