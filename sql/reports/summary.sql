-- The lake at a glance: what the README's main command prints after ingesting
-- data/ and running the daily pipeline over every date in it.

-- Sessions and events overall; "analysed" sessions are those the daily pipeline's
-- `filter` stage chose (default: >= 30 agentic steps, i.e. tool calls).
SELECT
    count(*) AS sessions,
    sum(event_count) AS events,
    (SELECT count(*) FROM analysed_sessions) AS analysed_sessions,
    round(avg(step_count), 1) AS avg_steps,
    min(date) AS first_day,
    max(date) AS last_day
FROM sessions;

-- Per agent version: how sessions end and how often tools fail or are declined.
SELECT
    agent_version,
    count(*) AS sessions,
    count(*) FILTER (WHERE end_status = 'completed') AS completed,
    count(*) FILTER (WHERE end_status = 'abandoned') AS abandoned,
    count(*) FILTER (WHERE end_status IS NULL) AS no_end_event,
    round(100.0 * count(*) FILTER (WHERE tool_error_count > 0) / count(*), 1) AS pct_with_tool_errors,
    round(100.0 * count(*) FILTER (WHERE rejected_tool_count > 0 OR interrupt_count > 0) / count(*), 1) AS pct_with_declined_tools
FROM sessions
GROUP BY agent_version
ORDER BY agent_version;

-- Lines that could not be ingested.
SELECT count(*) AS quarantined_lines FROM quarantine;

-- Friction the judge found: per type, the analysed sessions that have it, their
-- share of all analysed sessions, and the moments by severity.
SELECT
    friction_type,
    count(DISTINCT session_id) AS sessions,
    round(100.0 * count(DISTINCT session_id)
        / (SELECT count(DISTINCT session_id) FROM session_facets), 1) AS pct_of_analysed,
    count(*) AS moments,
    count(*) FILTER (WHERE severity = 'low') AS low,
    count(*) FILTER (WHERE severity = 'medium') AS medium,
    count(*) FILTER (WHERE severity = 'high') AS high
FROM frictions
GROUP BY friction_type
ORDER BY sessions DESC, friction_type;

-- Friction patterns (the daily pipeline's `patterns` stage): per type, the days on
-- which the whole day's rate crossed the threshold (affected sessions, rate and a
-- significant rise over the 7-day baseline), and the slices that crossed.
SELECT
    friction_type,
    count(*) FILTER (WHERE slice_kind = 'all') AS days_crossed,
    count(*) FILTER (WHERE slice_kind <> 'all') AS slice_days_crossed,
    max(date) AS last_crossed
FROM friction_patterns
WHERE crosses_threshold
GROUP BY friction_type
ORDER BY days_crossed DESC, friction_type;

-- Tickets (the `tickets` stage) as of the latest snapshot: open and faded, with
-- where they were filed (Markdown files under the lake's tickets/ by default).
SELECT ticket_id, status, friction_type, slice_kind, slice_value, first_seen, last_seen, days_seen, external_ref
FROM tickets
WHERE date = (SELECT max(date) FROM tickets)
ORDER BY status DESC, ticket_id;

-- Deployments (recorded with `signals deploy record`, or inferred from a new
-- agent_version) and what their latest re-measurement says per friction type
-- (the `remeasure` stage; `signals compare --deploy V` shows one in full): the
-- rates before and after, the change within language x intent strata in points
-- with its 95% interval, the q-value over the deployment's seven types, and the
-- verdict, given once the after window is complete (`pending` until then).
SELECT
    version,
    deployed_on,
    source,
    friction_type,
    round(100.0 * before_rate, 1) AS before_pct,
    round(100.0 * after_rate, 1) AS after_pct,
    round(100.0 * adj_change, 1) AS change_pts,
    round(100.0 * ci_low, 1) || ' .. ' || round(100.0 * ci_high, 1) AS ci_95,
    round(q_value, 4) AS q_value,
    verdict
FROM friction_before_after
WHERE date = (SELECT max(date) FROM friction_before_after)
ORDER BY deployed_on, version, friction_type;

-- The loop: each ticket, and what the deployments after it did to its friction
-- (verdicts other than no_change; a deployment recorded for the ticket is marked).
SELECT
    t.ticket_id,
    t.friction_type,
    t.first_seen,
    b.version AS later_deployment,
    b.deployed_on,
    round(100.0 * b.before_rate, 1) AS before_pct,
    round(100.0 * b.after_rate, 1) AS after_pct,
    b.verdict,
    coalesce(b.ticket_id = t.ticket_id, false) AS linked
FROM tickets t
JOIN friction_before_after b
    ON b.friction_type = t.friction_type AND b.deployed_on > t.first_seen
WHERE t.date = (SELECT max(date) FROM tickets)
  AND b.date = (SELECT max(date) FROM friction_before_after)
  AND b.verdict IN ('improved', 'regressed')
ORDER BY t.ticket_id, b.deployed_on;

-- Delight (the `delight` stage): the analysed sessions with each kind of moment
-- that went well, and the sessions by satisfaction (1-5, `session_facets`).
SELECT
    delight_type,
    count(DISTINCT session_id) AS sessions,
    round(100.0 * count(DISTINCT session_id) / (SELECT count(*) FROM analysed_sessions), 1) AS pct_of_analysed
FROM delights
GROUP BY delight_type
ORDER BY sessions DESC;

SELECT
    round(avg(CAST(value AS DOUBLE)), 2) AS mean_satisfaction,
    count(*) FILTER (WHERE value IN ('4', '5')) AS satisfied,
    count(*) FILTER (WHERE value IN ('1', '2')) AS dissatisfied,
    count(*) AS sessions
FROM session_facets
WHERE facet = 'satisfaction';
