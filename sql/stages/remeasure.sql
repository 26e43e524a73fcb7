-- remeasure: for each deployment and friction type, the share of analysed sessions
-- with the friction before the deployment and after it, and whether it changed.
-- Output: table `friction_before_after` (one row per deployment and type, as of $date).
--
-- $date                      the day the measurement is as of (YYYY-MM-DD)
-- $remeasure_days            days in each window (default 7): the fixed horizon
-- $remeasure_min_sessions    sessions on each side below which the verdict is
--                            `insufficient_data` (default 30)
-- $remeasure_max_q           false-discovery rate over a deployment's seven tests:
--                            a change is real when its q-value is below (default 0.05)
-- $remeasure_target_change   the relative change `sessions_needed` is sized for
--                            (default 0.3: a rate 30% lower or higher)
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
--
-- Fixed horizon: the verdict is given once, when the after window is complete;
-- until then it is `pending` (the estimates are shown, but looking every day and
-- stopping at the first small p-value would make false verdicts several times as
-- likely as the level says).
--
-- Strata: a release can change which sessions come in (languages, intents), and
-- that alone changes rates. Each session falls in one stratum, its language x
-- intent (the first value of each facet; `unknown` without one), and the windows
-- are compared within strata:
--   Cochran-Mantel-Haenszel test. Per stratum k: after a_k of n1_k, before c_k of
--   n0_k, N_k = n0_k + n1_k, m_k = a_k + c_k;
--     E_k = n1_k m_k / N_k,  V_k = n1_k n0_k m_k (N_k - m_k) / (N_k^2 (N_k - 1)),
--     z = sum(a_k - E_k) / sqrt(sum V_k)    (no continuity correction),
--   two-sided p-value = 2 Q(|z|), Q by Abramowitz & Stegun 26.2.17. Strata with
--   only one side add nothing. No variance (no friction, or all of it): no test.
--   Effect: the Mantel-Haenszel risk difference (after - before),
--     d = sum((a_k n0_k - c_k n1_k) / N_k) / sum(W_k),  W_k = n1_k n0_k / N_k,
--   with Sato's variance (valid for many small strata),
--     var = (d sum(P_k) + sum(Q_k)) / sum(W_k)^2,
--     P_k = (n1_k^2 c_k - n0_k^2 a_k + n1_k n0_k (n0_k - n1_k) / 2) / N_k^2,
--     Q_k = (a_k (n0_k - c_k) + c_k (n1_k - a_k)) / (2 N_k),
--   and the 95% interval d +- 1.96 sqrt(var).
-- Multiple testing: a deployment is tested on seven types; the q-value is the
-- Benjamini-Hochberg adjustment of the seven p-values (as `patterns.sql` does for
-- a day's patterns), so a deployment that changed nothing gets a false verdict
-- with probability about $remeasure_max_q, not 1 - 0.95^7 = 30%.
-- Verdict: `pending` while the window is open; `insufficient_data` if either side
-- has fewer than $remeasure_min_sessions sessions; else `improved` / `regressed`
-- if q_value < $remeasure_max_q and the stratified change is down / up; else
-- `no_change`.
-- Power: `mde` is the smallest absolute change the sizes there can detect (two-
-- sided level $remeasure_max_q, 80% power: (z_a/2 + z_0.8) sqrt(p (1 - p) (1/n0 +
-- 1/n1)), p pooled); `sessions_needed` is how many more sessions each side needs
-- to detect a change of $remeasure_target_change of the before rate (0: enough).
-- z_a/2 is from Abramowitz & Stegun 26.2.23 (error < 4.5e-4).
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
strata AS (
    SELECT
        session_id,
        coalesce(min(value) FILTER (WHERE facet = 'language'), 'unknown')
            || ' x ' || coalesce(min(value) FILTER (WHERE facet = 'intent'), 'unknown') AS stratum
    FROM session_facets
    WHERE date > arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $remeasure_horizon_days - $remeasure_days AS INT), 'Date32') AS VARCHAR), 'Utf8')
      AND date <= $date
      AND facet IN ('language', 'intent')
    GROUP BY session_id
),
sessions_by_day AS (
    SELECT a.session_id, a.agent_version, coalesce(s.stratum, 'unknown x unknown') AS stratum,
        CAST(CAST(date_part('epoch', CAST(a.date AS DATE)) AS BIGINT) / 86400 AS BIGINT) AS day
    FROM analysed_sessions a
    LEFT JOIN strata s ON s.session_id = a.session_id
    WHERE a.date > arrow_cast(CAST(arrow_cast(CAST(CAST(CAST(date_part('epoch', CAST($date AS DATE)) AS BIGINT) / 86400 AS BIGINT) - $remeasure_horizon_days - $remeasure_days AS INT), 'Date32') AS VARCHAR), 'Utf8')
      AND a.date <= $date
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
    SELECT friction_type FROM friction_types
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
-- day, agent version and stratum: every window is a set of whole days, and both
-- scopes depend on the version alone, so the windows add up these small counts
-- instead of joining sessions.
day_counts AS (
    SELECT day, agent_version, stratum, CAST(NULL AS VARCHAR) AS friction_type, count(*) AS n
    FROM sessions_by_day
    GROUP BY day, agent_version, stratum
    UNION ALL
    SELECT s.day, s.agent_version, s.stratum, a.friction_type, count(*) AS n
    FROM affected a
    JOIN sessions_by_day s ON s.session_id = a.session_id
    GROUP BY s.day, s.agent_version, s.stratum, a.friction_type
),
-- Per deployment, stratum and friction type (NULL: all sessions), the counts on
-- each side in both scopes: `all`, and `version` (before, sessions not on the
-- deployed version; after, sessions on it). `measured` picks one. A window without
-- sessions still gives its deployment a row (stratum and friction_type NULL).
scoped AS (
    SELECT
        w.version,
        w.dep_day,
        w.today,
        w.source,
        w.ticket_id,
        c.stratum,
        c.friction_type,
        sum(c.n) FILTER (WHERE c.day < w.dep_day) AS before_all,
        sum(c.n) FILTER (WHERE c.day >= w.dep_day) AS after_all,
        sum(c.n) FILTER (WHERE c.day < w.dep_day AND c.agent_version IS DISTINCT FROM w.version) AS before_version,
        sum(c.n) FILTER (WHERE c.day >= w.dep_day AND c.agent_version = w.version) AS after_version
    FROM window_days w
    LEFT JOIN day_counts c ON c.day = w.day
    GROUP BY w.version, w.dep_day, w.today, w.source, w.ticket_id, c.stratum, c.friction_type
),
-- Every deployment and stratum gets all seven types: its NULL row gives the
-- sessions, a typed row the affected sessions of its own type (none: 0).
counted AS (
    SELECT
        c.version,
        c.dep_day AS day,
        c.today,
        c.source,
        c.ticket_id,
        c.stratum,
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
    GROUP BY c.version, c.dep_day, c.today, c.source, c.ticket_id, c.stratum, t.friction_type
),
-- The `version` scope applies when the deployed version appears after, in any
-- stratum: one scope per deployment.
scoped_by AS (
    SELECT *, max(after_version_sessions) OVER (PARTITION BY version, day, friction_type) > 0 AS by_version
    FROM counted
),
-- One stratum's 2x2 table (n0 = before sessions, c = before affected, n1 = after
-- sessions, a = after affected) and its terms of the CMH test and of the MH risk
-- difference with Sato's variance (see the header).
strata_terms AS (
    SELECT
        *,
        CAST(n0 + n1 AS DOUBLE) AS nn,
        CAST(a + c AS DOUBLE) AS m
    FROM (
        SELECT
            version, day, today, source, ticket_id, stratum, friction_type, by_version,
            CASE WHEN by_version THEN before_version_sessions ELSE before_all_sessions END AS n0,
            CASE WHEN by_version THEN before_version_affected ELSE before_all_affected END AS c,
            CASE WHEN by_version THEN after_version_sessions ELSE after_all_sessions END AS n1,
            CASE WHEN by_version THEN after_version_affected ELSE after_all_affected END AS a
        FROM scoped_by
    ) x
),
stratum_stats AS (
    SELECT
        *,
        CASE WHEN n0 > 0 AND n1 > 0 THEN a - n1 * m / nn END AS dev,
        CASE WHEN n0 > 0 AND n1 > 0 THEN n1 * n0 * m * (nn - m) / (nn * nn * (nn - 1)) END AS var,
        CASE WHEN n0 > 0 AND n1 > 0 THEN n1 * n0 / nn END AS w,
        CASE WHEN n0 > 0 AND n1 > 0 THEN (a * n0 - c * n1) / nn END AS rd,
        CASE WHEN n0 > 0 AND n1 > 0 THEN (n1 * n1 * c - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2.0) / (nn * nn) END AS sato_p,
        CASE WHEN n0 > 0 AND n1 > 0 THEN (a * (n0 - c) + c * (n1 - a)) / (2 * nn) END AS sato_q
    FROM strata_terms
),
measured AS (
    SELECT
        version,
        day,
        today,
        source,
        ticket_id,
        friction_type,
        bool_or(by_version) AS by_version,
        coalesce(sum(n0), 0) AS before_sessions,
        coalesce(sum(c), 0) AS before_affected,
        coalesce(sum(n1), 0) AS after_sessions,
        coalesce(sum(a), 0) AS after_affected,
        count(dev) AS strata,
        -- Float sums in stratum order: SUM adds in whatever order the parallel
        -- aggregation delivers rows, so a rerun could differ in the last bits.
        list_sum(array_agg(dev ORDER BY stratum)) AS dev,
        list_sum(array_agg(var ORDER BY stratum)) AS var,
        list_sum(array_agg(w ORDER BY stratum)) AS w,
        list_sum(array_agg(rd ORDER BY stratum)) AS rd,
        list_sum(array_agg(sato_p ORDER BY stratum)) AS sato_p,
        list_sum(array_agg(sato_q ORDER BY stratum)) AS sato_q
    FROM stratum_stats
    GROUP BY version, day, today, source, ticket_id, friction_type
),
rated AS (
    SELECT
        *,
        CASE WHEN before_sessions > 0 THEN CAST(before_affected AS DOUBLE) / before_sessions END AS before_rate,
        CASE WHEN after_sessions > 0 THEN CAST(after_affected AS DOUBLE) / after_sessions END AS after_rate,
        CASE WHEN before_sessions > 0 AND after_sessions > 0
            THEN CAST(before_affected + after_affected AS DOUBLE) / (before_sessions + after_sessions) END AS pooled,
        CASE WHEN var > 0 THEN dev / sqrt(var) END AS z,
        CASE WHEN w > 0 THEN rd / w END AS adj_change
    FROM measured
),
-- z_a/2 for the power figures: the upper $remeasure_max_q / 2 point of the normal
-- distribution (`normal_isf`, crates/lake/src/stats.rs).
alpha AS (
    SELECT normal_isf($remeasure_max_q / 2.0) AS z_alpha
),
with_t AS (
    SELECT r.*, a.z_alpha FROM rated r CROSS JOIN alpha a
),
with_p AS (
    SELECT
        *,
        -- Two-sided: 2 P(Z > |z|).
        2 * normal_sf(abs(z)) AS p_value,
        CASE WHEN w > 0 THEN sqrt(greatest((adj_change * sato_p + sato_q) / (w * w), 0.0)) END AS se,
        -- What the output uses more than once is computed here, once: DataFusion
        -- would otherwise take each repeated expression out into a projection of
        -- its own, which costs about a tenth of this query's planning.
        after_rate - before_rate AS abs_change,
        arrow_cast(CAST(arrow_cast(CAST(day AS INT), 'Date32') AS VARCHAR), 'Utf8') AS deployed_on,
        day + $remeasure_days - 1 AS last_day,
        -- Sessions a side needs to detect a change of $remeasure_target_change of
        -- the before rate at 80% power: (z_a/2 + z_0.8)^2 (p0 q0 + p1 q1) / delta^2.
        CASE WHEN before_rate > 0 AND before_rate < 1 THEN
            ceil(power(z_alpha + 0.8416, 2)
                * (before_rate * (1 - before_rate)
                   + before_rate * (1 - $remeasure_target_change) * (1 - before_rate * (1 - $remeasure_target_change)))
                / power(before_rate * $remeasure_target_change, 2))
        END AS needed
    FROM with_t
),
-- Benjamini-Hochberg over each deployment's tested types (ties broken by type).
ranked AS (
    SELECT
        *,
        CASE WHEN p_value IS NOT NULL THEN
            p_value * count(p_value) OVER (PARTITION BY version, day)
                / row_number() OVER (PARTITION BY version, day ORDER BY p_value ASC NULLS LAST, friction_type)
        END AS bh
    FROM with_p
),
adjusted AS (
    SELECT
        *,
        least(1.0, min(bh) OVER (
            PARTITION BY version, day
            ORDER BY p_value DESC NULLS FIRST, friction_type DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        )) AS q
    FROM ranked
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
    strata,
    adj_change,
    adj_change - 1.959964 * se AS ci_low,
    adj_change + 1.959964 * se AS ci_high,
    z,
    p_value,
    CASE WHEN p_value IS NOT NULL THEN q END AS q_value,
    CASE WHEN pooled > 0 AND pooled < 1 THEN
        (z_alpha + 0.8416) * sqrt(pooled * (1 - pooled) * (1.0 / before_sessions + 1.0 / after_sessions))
    END AS mde,
    -- (greatest() skips nulls: the CASE keeps `no before rate` null.)
    CASE WHEN needed IS NOT NULL THEN CAST(greatest(needed - least(before_sessions, after_sessions), 0) AS BIGINT) END AS sessions_needed,
    CASE
        WHEN last_day > today THEN 'pending'
        WHEN before_sessions < $remeasure_min_sessions OR after_sessions < $remeasure_min_sessions THEN 'insufficient_data'
        WHEN q < $remeasure_max_q AND adj_change < 0 THEN 'improved'
        WHEN q < $remeasure_max_q AND adj_change > 0 THEN 'regressed'
        ELSE 'no_change'
    END AS verdict
FROM adjusted
ORDER BY deployed_on, version, friction_type
