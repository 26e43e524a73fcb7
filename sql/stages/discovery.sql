-- facet_discovery's input: the analysed sessions of the window that have a
-- summary, each with the existing facet values and friction types that could
-- already explain a theme (`facet=value`, `friction=type`). Numeric facets and
-- the summary itself are not labels. Sessions are sampled deterministically (by
-- a hash of the id) down to $discovery_max_sessions.
--
-- $window_start   first day of the window (YYYY-MM-DD)
-- $date           last day of the window
-- $discovery_max_sessions   most sessions clustered
WITH w AS (
    SELECT session_id, date, facet, value
    FROM session_facets
    WHERE date BETWEEN $window_start AND $date
    UNION ALL
    SELECT DISTINCT session_id, date, 'friction' AS facet, friction_type AS value
    FROM frictions
    WHERE date BETWEEN $window_start AND $date
)
SELECT
    session_id,
    min(date) AS date,
    max(CASE WHEN facet = 'summary' THEN value END) AS summary,
    array_to_string(array_sort(array_agg(DISTINCT CASE
        WHEN facet NOT IN ('summary', 'step_count', 'satisfaction', 'tool_confirmed', 'tool_rejected', 'tool_cancelled')
        THEN facet || '=' || value END)), '|') AS labels
FROM w
GROUP BY session_id
HAVING max(CASE WHEN facet = 'summary' THEN value END) IS NOT NULL
ORDER BY md5(session_id)
LIMIT $discovery_max_sessions
