-- filter: the sessions worth analysing on a day — those with at least
-- `min_steps` agentic steps (tool calls).
-- $1: the date (YYYY-MM-DD); $2: min_steps (default 30).
SELECT session_id
FROM sessions
WHERE date = $1
  AND step_count >= $2
