-- filter: the sessions of a day worth analysing — those with at least
-- `min_steps` agentic steps (tool calls). Output: table `analysed_sessions`.
-- $date: the date (YYYY-MM-DD); $min_steps: the threshold (default 30).
SELECT
    session_id,
    step_count,
    user_message_count,
    agent_version
FROM sessions
WHERE date = $date
  AND step_count >= $min_steps
