-- list: sessions of a date range, newest first, for `signals sessions list`.
-- $1: first date; $2: last date (inclusive).
SELECT
    session_id,
    date,
    agent,
    agent_version,
    started_at,
    step_count,
    user_message_count,
    end_status
FROM sessions
WHERE date BETWEEN $1 AND $2
ORDER BY started_at DESC NULLS LAST, session_id
