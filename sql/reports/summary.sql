-- The lake at a glance: what the README's main command prints after ingesting data/.

-- Sessions and events overall; "long" sessions have >= 30 agentic steps (tool calls),
-- the default filter of the daily pipeline.
SELECT
    count(*) AS sessions,
    sum(event_count) AS events,
    count(*) FILTER (WHERE step_count >= 30) AS long_sessions,
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
