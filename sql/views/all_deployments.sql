-- all_deployments: every deployment the re-measurement compares around, one row per
-- version: those recorded with `signals deploy record` (source `recorded`, with the
-- linked ticket), and each agent_version's first day in `sessions` (source
-- `inferred`; versions already there on the first day of data are not deployments,
-- and a recorded version is not inferred again). deployed_on is YYYY-MM-DD (UTC).
CREATE VIEW all_deployments AS
WITH seen AS (
    SELECT agent_version AS version, min(date) AS first_day
    FROM sessions
    WHERE agent_version IS NOT NULL
    GROUP BY agent_version
),
-- The first day of data, next to each version (a window, not a second scan of
-- `sessions` in a subquery).
firsts AS (
    SELECT version, first_day, min(first_day) OVER () AS data_start FROM seen
)
SELECT version, date AS deployed_on, deployed_at, 'recorded' AS source, ticket_id, note
FROM deployments
UNION ALL
SELECT s.version, s.first_day, s.first_day || 'T00:00:00Z', 'inferred', CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM firsts s
LEFT JOIN deployments d ON d.version = s.version
WHERE d.version IS NULL AND s.first_day > s.data_start
