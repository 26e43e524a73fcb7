-- sessions: one row per session, derived from one date partition of `events`.
-- Run by `signals ingest` each time it rewrites an `events` partition.
-- $1: the partition date, 'YYYY-MM-DD'.
SELECT
    session_id,
    max(agent) AS agent,
    max(agent_version) AS agent_version,
    max(model) AS model,
    max("user") AS "user",
    max(repo) AS repo,
    min(ts) AS started_at,
    max(ts) AS ended_at,
    date_part('epoch', max(ts)) - date_part('epoch', min(ts)) AS duration_s,
    count(*) AS event_count,
    count(*) FILTER (WHERE kind = 'tool_call') AS step_count,
    count(*) FILTER (WHERE kind IN ('user_message', 'message_edit')) AS user_message_count,
    count(*) FILTER (WHERE (kind = 'tool_result' AND status = 'error') OR kind = 'error') AS tool_error_count,
    count(*) FILTER (WHERE kind = 'tool_result' AND status IN ('rejected', 'cancelled')) AS rejected_tool_count,
    count(*) FILTER (WHERE kind = 'interrupt') AS interrupt_count,
    last_value(status ORDER BY seq) FILTER (WHERE kind = 'session_end') AS end_status,
    min(source_format) AS source_format,
    max(ingested_at) AS ingested_at
FROM events
WHERE date = $1
GROUP BY session_id
ORDER BY session_id
