-- citations: the abstracted citations of a pattern's moments on a day, most
-- frequent first (at most 5 go into a ticket). Citations are written by the judge
-- as abstractions — never a quote, a file name, code or personal data.
-- $date, $friction_type, $slice_kind, $slice_value: the pattern.
SELECT
    f.citation,
    count(*) AS moments
FROM frictions f
JOIN analysed_sessions a ON a.date = f.date AND a.session_id = f.session_id
LEFT JOIN sessions s ON s.date = f.date AND s.session_id = f.session_id
WHERE f.date = $date
  AND f.friction_type = $friction_type
  AND (
      $slice_kind = 'all'
      OR ($slice_kind = 'agent_version' AND coalesce(a.agent_version, 'unknown') = $slice_value)
      OR ($slice_kind = 'model' AND coalesce(s.model, 'unknown') = $slice_value)
      OR (f.session_id IN (
          SELECT session_id FROM session_facets
          WHERE date = $date AND facet = $slice_kind AND value = $slice_value
      ))
  )
GROUP BY f.citation
ORDER BY moments DESC, f.citation
LIMIT 5
