-- remeasure: for each deployment and friction type, the share of analysed sessions
-- with the friction before the deployment and after it, and whether it changed.
-- Output: table `friction_before_after` (one row per deployment and type, as of $date).
--
-- $date                      the day the measurement is as of (YYYY-MM-DD)
-- $remeasure_days            days in each window (default 7)
-- $remeasure_min_sessions    sessions on each side below which the verdict is
--                            `insufficient_data` (default 30)
-- $remeasure_max_p           two-sided p-value below which a change is real (default 0.05)
-- $remeasure_horizon_days    deployments of this many days up to $date are measured (default 30)
--
-- Deployments: the view `all_deployments` (sql/views/all_deployments.sql): those
-- recorded with `signals deploy record` and those inferred from the first day of
-- each agent_version.
-- Windows (whole days, UTC): before = the $remeasure_days days before the
-- deployment's day; after = its day and the days after, up to $remeasure_days days
-- and at most $date (`window_complete` once all are there). When the deployed
-- version appears in the after window's sessions, only sessions on that version
-- count after, and sessions already on it do not count before (`after_scope =
-- 'version'`: a rollout's stragglers on the old version are not credited to it);
-- otherwise every session counts (`all`: e.g. a server-side change).
-- The test: pooled two-proportion z-test of the after rate x1/n1 against the before
-- rate x0/n0, z = (x1/n1 - x0/n0) / sqrt(p (1 - p) (1/n1 + 1/n0)), p = (x1 + x0) / (n1 + n0);
-- two-sided p-value = 2 Q(|z|), Q by Abramowitz & Stegun 26.2.17. p of 0 or 1: z and
-- p_value NULL. Verdict: `insufficient_data` if either side has fewer than
-- $remeasure_min_sessions sessions, else `improved` / `regressed` if p_value <
-- $remeasure_max_p and the rate fell / rose, else `no_change`.
WITH today AS (
    SELECT CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) AS today
),
deps AS (
    SELECT version, CAST(CAST(date_part('epoch', CAST(deployed_on AS DATE)) AS BIGINT) / 86400 AS BIGINT) AS day, source, ticket_id
    FROM all_deployments
),
active AS (
    SELECT d.version, d.day, d.source, d.ticket_id, t.today
    FROM deps d
    CROSS JOIN today t
    WHERE d.day <= t.today AND d.day > t.today - $remeasure_horizon_days
),
-- Only the partitions a window can reach are read: windows start after
-- $date - $remeasure_horizon_days - $remeasure_days. The bound is written out in
-- each scan's WHERE (not joined from `today`) so that it folds to a literal and
-- prunes the partitions.
sessions_by_day AS (
    SELECT session_id, agent_version, CAST(CAST(date_part('epoch', CAST(date AS DATE)) AS BIGINT) / 86400 AS BIGINT) AS day
    FROM analysed_sessions
    WHERE date > arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $remeasure_horizon_days - $remeasure_days AS INT), 'Date32') AS VARCHAR), 'Utf8')
      AND date <= $date
),
-- Each deployment's window as one row per day, so that the per-day counts below
-- join it on an equality (a hash join) rather than on a range (a nested-loop join).
-- Every deployment has at least its own day, and carries what the output needs:
-- `active` (and so `all_deployments`) is read here only, once.
window_days AS (
    SELECT version, day AS dep_day, today, source, ticket_id,
        unnest(range(day - $remeasure_days, least(day + $remeasure_days - 1, today) + 1)) AS day
    FROM active
),
types AS (
    SELECT friction_type FROM (VALUES ('abandoned_tool'), ('rephrasing_cascade'), ('context_churn'),
        ('error_event'), ('tone_escalation'), ('backtracking'), ('platform_confusion')) AS t(friction_type)
),
-- Each session with each friction type it has, once (`session_frictions`: each
-- day deduplicated once, by its stage). A session id is unique in the lake (ingest
-- keeps each session in one date): joins are on session_id alone.
affected AS (
    SELECT session_id, friction_type
    FROM session_frictions
    WHERE date > arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $remeasure_horizon_days - $remeasure_days AS INT), 'Date32') AS VARCHAR), 'Utf8')
      AND date <= $date
),
-- Sessions (friction_type NULL), and those of them with each friction type, per
-- day and agent version: every window is a set of whole days, and both scopes
-- depend on the version alone, so the windows add up these small counts instead
-- of joining sessions.
day_counts AS (
    SELECT day, agent_version, CAST(NULL AS VARCHAR) AS friction_type, count(*) AS n
    FROM sessions_by_day
    GROUP BY day, agent_version
    UNION ALL
    SELECT s.day, s.agent_version, a.friction_type, count(*) AS n
    FROM affected a
    JOIN sessions_by_day s ON s.session_id = a.session_id
    GROUP BY s.day, s.agent_version, a.friction_type
),
-- Per deployment and friction type (NULL: all sessions), the counts on each side
-- in both scopes: `all`, and `version` (before, sessions not on the deployed
-- version; after, sessions on it). `measured` picks one, so that the windows are
-- not filtered by a per-deployment verdict (a window function) first. A window
-- without sessions still gives its deployment a row (friction_type NULL, no counts).
scoped AS (
    SELECT
        w.version,
        w.dep_day,
        w.today,
        w.source,
        w.ticket_id,
        c.friction_type,
        sum(c.n) FILTER (WHERE c.day < w.dep_day) AS before_all,
        sum(c.n) FILTER (WHERE c.day >= w.dep_day) AS after_all,
        sum(c.n) FILTER (WHERE c.day < w.dep_day AND c.agent_version IS DISTINCT FROM w.version) AS before_version,
        sum(c.n) FILTER (WHERE c.day >= w.dep_day AND c.agent_version = w.version) AS after_version
    FROM window_days w
    LEFT JOIN day_counts c ON c.day = w.day
    GROUP BY w.version, w.dep_day, w.today, w.source, w.ticket_id, c.friction_type
),
-- Every deployment gets all seven types: its NULL row gives the sessions, a typed
-- row the affected sessions of its own type (none: 0). At most eight rows per
-- deployment meet the seven types here.
counted AS (
    SELECT
        c.version,
        c.dep_day AS day,
        c.today,
        c.source,
        c.ticket_id,
        t.friction_type,
        coalesce(max(c.before_all) FILTER (WHERE c.friction_type IS NULL), 0) AS before_all_sessions,
        coalesce(max(c.before_all) FILTER (WHERE c.friction_type = t.friction_type), 0) AS before_all_affected,
        coalesce(max(c.after_all) FILTER (WHERE c.friction_type IS NULL), 0) AS after_all_sessions,
        coalesce(max(c.after_all) FILTER (WHERE c.friction_type = t.friction_type), 0) AS after_all_affected,
        coalesce(max(c.before_version) FILTER (WHERE c.friction_type IS NULL), 0) AS before_version_sessions,
        coalesce(max(c.before_version) FILTER (WHERE c.friction_type = t.friction_type), 0) AS before_version_affected,
        coalesce(max(c.after_version) FILTER (WHERE c.friction_type IS NULL), 0) AS after_version_sessions,
        coalesce(max(c.after_version) FILTER (WHERE c.friction_type = t.friction_type), 0) AS after_version_affected
    FROM scoped c
    CROSS JOIN types t
    GROUP BY c.version, c.dep_day, c.today, c.source, c.ticket_id, t.friction_type
),
-- The `version` scope applies when the deployed version appears after.
measured AS (
    SELECT
        version,
        day,
        today,
        source,
        ticket_id,
        friction_type,
        after_version_sessions > 0 AS by_version,
        CASE WHEN after_version_sessions > 0 THEN before_version_sessions ELSE before_all_sessions END AS before_sessions,
        CASE WHEN after_version_sessions > 0 THEN before_version_affected ELSE before_all_affected END AS before_affected,
        CASE WHEN after_version_sessions > 0 THEN after_version_sessions ELSE after_all_sessions END AS after_sessions,
        CASE WHEN after_version_sessions > 0 THEN after_version_affected ELSE after_all_affected END AS after_affected
    FROM counted
),
rated AS (
    SELECT
        *,
        CASE WHEN before_sessions > 0 THEN CAST(before_affected AS DOUBLE) / before_sessions END AS before_rate,
        CASE WHEN after_sessions > 0 THEN CAST(after_affected AS DOUBLE) / after_sessions END AS after_rate,
        CASE WHEN before_sessions > 0 OR after_sessions > 0
            THEN CAST(before_affected + after_affected AS DOUBLE) / (before_sessions + after_sessions) END AS pooled
    FROM measured
),
scored AS (
    SELECT
        *,
        CASE WHEN before_sessions > 0 AND after_sessions > 0 AND pooled > 0 AND pooled < 1 THEN
            (after_rate - before_rate)
            / sqrt(pooled * (1 - pooled) * (1.0 / after_sessions + 1.0 / before_sessions))
        END AS z
    FROM rated
),
with_t AS (
    SELECT *, 1 / (1 + 0.2316419 * abs(z)) AS t FROM scored
),
with_p AS (
    SELECT
        *,
        -- Two-sided: 2 Q(|z|), Q(x) = phi(x) * poly(t), t = 1 / (1 + 0.2316419 x).
        2 * exp(-z * z / 2) / sqrt(2 * pi())
            * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429)))) AS p_value,
        -- What the output uses more than once is computed here, once: DataFusion
        -- would otherwise take each repeated expression out into a projection of
        -- its own, which costs about a tenth of this query's planning.
        after_rate - before_rate AS abs_change,
        arrow_cast(CAST(arrow_cast(CAST(day AS INT), 'Date32') AS VARCHAR), 'Utf8') AS deployed_on,
        day + $remeasure_days - 1 AS last_day
    FROM with_t
)
SELECT
    version,
    deployed_on,
    source,
    ticket_id,
    friction_type,
    arrow_cast(CAST(arrow_cast(CAST(day - $remeasure_days AS INT), 'Date32') AS VARCHAR), 'Utf8') AS before_from,
    arrow_cast(CAST(arrow_cast(CAST(day - 1 AS INT), 'Date32') AS VARCHAR), 'Utf8') AS before_to,
    deployed_on AS after_from,
    arrow_cast(CAST(arrow_cast(CAST(least(last_day, today) AS INT), 'Date32') AS VARCHAR), 'Utf8') AS after_to,
    last_day <= today AS window_complete,
    CASE WHEN by_version THEN 'version' ELSE 'all' END AS after_scope,
    before_sessions,
    before_affected,
    before_rate,
    after_sessions,
    after_affected,
    after_rate,
    abs_change,
    CASE WHEN before_rate > 0 THEN abs_change / before_rate END AS rel_change,
    z,
    p_value,
    CASE
        WHEN before_sessions < $remeasure_min_sessions OR after_sessions < $remeasure_min_sessions THEN 'insufficient_data'
        WHEN p_value < $remeasure_max_p AND abs_change < 0 THEN 'improved'
        WHEN p_value < $remeasure_max_p AND abs_change > 0 THEN 'regressed'
        ELSE 'no_change'
    END AS verdict
FROM with_p
ORDER BY deployed_on, version, friction_type
