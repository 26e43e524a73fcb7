-- patterns: per friction type and slice, how many of the day's analysed sessions
-- have the friction, against the trailing baseline of the days before, and
-- whether it crosses the pipeline's threshold. Output: table `friction_patterns`.
--
-- $date            the day (YYYY-MM-DD)
-- $baseline_days   days before $date that make the baseline (default 7)
-- $min_affected    sessions affected today, at least (default 5)
-- $min_rate        share of analysed sessions affected today, at least (default 0.05)
-- $max_q           Benjamini-Hochberg q-value over the day's tests, below (default 0.05)
--
-- Slices: `all`, `agent_version`, `model`, `language`, `intent`, and each accepted
-- discovered facet (a session with two languages counts in both). The test compares
-- today's x1 of n1 sessions with the baseline's x0 of n0 on Anscombe's arcsine scale,
-- where a share's variance no longer depends on the share itself:
--   z = 2 (asin(sqrt((x1 + 3/8) / (n1 + 3/4))) - asin(sqrt((x0 + 3/8) / (n0 + 3/4))))
--       / sqrt(1 / (n1 + 1/2) + 1 / (n0 + 1/2)),
-- one-sided p-value = 1 - Phi(z), Phi by Abramowitz & Stegun 26.2.17 (error < 1e-7).
-- Why not the pooled two-proportion z-test: slices are small (10-60 sessions) and
-- frictions rare (5-20%), and there its tail is too thin: on generated data with
-- no change, 4-8 times as many p-values fell under 0.001 as should. The arcsine
-- test stays at or under the level there (docs/pipelines.md has the numbers).
-- No baseline sessions, or no friction (or only friction) on both sides: no test
-- (z and p_value NULL), no crossing.
--
-- Multiple testing: a day runs one test per friction type and slice (100+), so
-- some p-values fall under 0.05 by chance every day. The family is the day's
-- tests; Benjamini-Hochberg turns each p-value into a q-value,
--   q(i) = min over j >= i of  p(j) * m / j    (p sorted ascending, m tests),
-- capped at 1, and a pattern crosses on q: the expected share of false ones among
-- the crossing patterns is at most $max_q (BH holds for independent tests and for
-- positively dependent ones, as overlapping slices of the same sessions are).
-- Every scan is limited to the window's partitions ($date - $baseline_days .. $date).
-- The bound is written out in each scan's WHERE, not taken from a CTE: written
-- out, it folds to a literal and prunes the partitions before they are listed.
WITH windowed AS (
    SELECT
        session_id,
        agent_version,
        CAST(date_part('epoch', CAST($date AS DATE)) - date_part('epoch', CAST(date AS DATE)) AS BIGINT) / 86400 AS days_ago
    FROM analysed_sessions
    WHERE date >= arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $baseline_days AS INT), 'Date32') AS VARCHAR), 'Utf8')
      AND date <= $date
),
-- A session id is unique in the lake (ingest keeps each session in one date), so
-- joins are on session_id alone.
slices AS (
    -- `all`, `agent_version` and `model` from one pass over the window's sessions.
    SELECT
        w.session_id,
        w.days_ago,
        k.slice_kind,
        CASE k.slice_kind
            WHEN 'all' THEN 'all'
            WHEN 'agent_version' THEN coalesce(w.agent_version, 'unknown')
            ELSE coalesce(s.model, 'unknown')
        END AS slice_value
    FROM windowed w
    LEFT JOIN (
        SELECT session_id, model FROM sessions
        WHERE date >= arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $baseline_days AS INT), 'Date32') AS VARCHAR), 'Utf8') AND date <= $date
    ) s ON s.session_id = w.session_id
    CROSS JOIN (VALUES ('all'), ('agent_version'), ('model')) AS k(slice_kind)
    UNION ALL
    -- `session_facets` has one row per session, facet and value (the judges write
    -- it so): no DISTINCT needed.
    SELECT w.session_id, w.days_ago, f.facet, f.value
    FROM windowed w
    JOIN session_facets f ON f.session_id = w.session_id
    WHERE f.date >= arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $baseline_days AS INT), 'Date32') AS VARCHAR), 'Utf8') AND f.date <= $date
      -- The core slices `language` and `intent`, and every facet added later
      -- (accepted discovered facets): all but these.
      AND f.facet NOT IN ('framework', 'outcome', 'summary', 'step_count', 'satisfaction',
                          'tool_confirmed', 'tool_rejected', 'tool_cancelled')
),
types AS (
    SELECT friction_type FROM friction_types
),
-- One row per windowed session and friction type it has (`session_frictions`,
-- with its moments), plus one row per windowed session with friction_type NULL
-- (the session itself) ...
marks AS (
    SELECT f.session_id, f.friction_type, f.moments, f.high, f.medium, f.low
    FROM session_frictions f
    WHERE f.date >= arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $baseline_days AS INT), 'Date32') AS VARCHAR), 'Utf8') AND f.date <= $date
    UNION ALL
    SELECT session_id, CAST(NULL AS VARCHAR), 0, 0, 0, 0 FROM windowed
),
-- ... so that one join and one aggregation count both the sessions per slice
-- (friction_type NULL) and those with each type: the slices are computed once.
tallies AS (
    SELECT
        m.friction_type,
        s.slice_kind,
        s.slice_value,
        count(*) FILTER (WHERE s.days_ago = 0) AS today,
        coalesce(sum(m.moments) FILTER (WHERE s.days_ago = 0), 0) AS moments,
        coalesce(sum(m.high) FILTER (WHERE s.days_ago = 0), 0) AS high,
        coalesce(sum(m.medium) FILTER (WHERE s.days_ago = 0), 0) AS medium,
        coalesce(sum(m.low) FILTER (WHERE s.days_ago = 0), 0) AS low,
        count(*) FILTER (WHERE s.days_ago > 0) AS baseline
    FROM slices s
    JOIN marks m ON m.session_id = s.session_id
    GROUP BY m.friction_type, s.slice_kind, s.slice_value
),
-- Every slice gets all seven types: a slice's NULL row stands for each type (with
-- zero hits), a typed row for its own type only.
counts AS (
    SELECT
        t.friction_type,
        c.slice_kind,
        c.slice_value,
        max(c.today) FILTER (WHERE c.friction_type IS NULL) AS sessions,
        coalesce(max(c.today) FILTER (WHERE c.friction_type IS NOT NULL), 0) AS affected,
        coalesce(max(c.moments) FILTER (WHERE c.friction_type IS NOT NULL), 0) AS moments,
        coalesce(max(c.high) FILTER (WHERE c.friction_type IS NOT NULL), 0) AS high,
        coalesce(max(c.medium) FILTER (WHERE c.friction_type IS NOT NULL), 0) AS medium,
        coalesce(max(c.low) FILTER (WHERE c.friction_type IS NOT NULL), 0) AS low,
        max(c.baseline) FILTER (WHERE c.friction_type IS NULL) AS baseline_sessions,
        coalesce(max(c.baseline) FILTER (WHERE c.friction_type IS NOT NULL), 0) AS baseline_affected
    FROM tallies c
    JOIN types t ON c.friction_type IS NULL OR c.friction_type = t.friction_type
    GROUP BY t.friction_type, c.slice_kind, c.slice_value
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
            2 * (asin(sqrt((affected + 0.375) / (sessions + 0.75)))
                 - asin(sqrt((baseline_affected + 0.375) / (baseline_sessions + 0.75))))
            / sqrt(1.0 / (sessions + 0.5) + 1.0 / (baseline_sessions + 0.5))
        END AS z
    FROM tested
),
-- One-sided: P(Z > z) (`normal_sf`, crates/lake/src/stats.rs).
with_pv AS (
    SELECT *, normal_sf(z) AS p_value FROM scored
),
-- Rank the tested rows by p-value (ties broken by the row's key, so the order is
-- total and the same ascending and descending).
ranked AS (
    SELECT
        *,
        CASE WHEN p_value IS NOT NULL THEN
            p_value * count(p_value) OVER ()
                / row_number() OVER (ORDER BY p_value ASC NULLS LAST, friction_type, slice_kind, slice_value)
        END AS bh
    FROM with_pv
),
adjusted AS (
    SELECT
        *,
        least(1.0, min(bh) OVER (
            ORDER BY p_value DESC NULLS FIRST, friction_type DESC, slice_kind DESC, slice_value DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        )) AS q_value
    FROM ranked
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
    p_value,
    CASE WHEN p_value IS NOT NULL THEN q_value END AS q_value,
    coalesce(
        affected >= $min_affected
        AND rate >= $min_rate
        AND q_value < $max_q,
        false
    ) AS crosses_threshold
FROM adjusted
ORDER BY friction_type, slice_kind, slice_value
