-- session_facets_wide: one row per analysed session with the core facets as
-- columns (the long table `session_facets` stays the source of truth; facets
-- added later appear there first and can be pivoted the same way).
CREATE VIEW session_facets_wide AS
SELECT
  session_id,
  date,
  string_agg(CASE WHEN facet = 'language' THEN value END, ',' ORDER BY value) AS languages,
  string_agg(CASE WHEN facet = 'framework' THEN value END, ',' ORDER BY value) AS frameworks,
  max(CASE WHEN facet = 'intent' THEN value END) AS intent,
  max(CASE WHEN facet = 'outcome' THEN value END) AS outcome,
  max(CASE WHEN facet = 'outcome' THEN source END) AS outcome_source,
  max(CASE WHEN facet = 'step_count' THEN CAST(value AS BIGINT) END) AS step_count,
  max(CASE WHEN facet = 'tool_confirmed' THEN CAST(value AS BIGINT) END) AS tool_confirmed,
  max(CASE WHEN facet = 'tool_rejected' THEN CAST(value AS BIGINT) END) AS tool_rejected,
  max(CASE WHEN facet = 'tool_cancelled' THEN CAST(value AS BIGINT) END) AS tool_cancelled,
  max(CASE WHEN facet = 'satisfaction' THEN CAST(value AS BIGINT) END) AS satisfaction,
  max(judge) AS judge
FROM session_facets
GROUP BY session_id, date
