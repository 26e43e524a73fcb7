-- show: one session's events in order, for `signals sessions show ID`.
-- $1: session id; $2: the session's date (prunes every other partition).
SELECT
    seq,
    ts,
    kind,
    tool,
    status,
    coalesce(text, message, output, path, args, attrs) AS body,
    error_type,
    source_format,
    source_file,
    source_line
FROM events
WHERE date = $2
  AND session_id = $1
ORDER BY seq
