-- digest proposals: the facets facet discovery proposed on the day (weekly), for
-- `signals facets accept|reject`. $date: the day.
SELECT name, cluster_size, share
FROM facet_proposals
WHERE date = $date
ORDER BY cluster_size DESC, name
