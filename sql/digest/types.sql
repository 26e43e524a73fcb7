-- digest types: each friction type's rate on the day against its baseline (the
-- `friction_patterns` row of the whole day, slice `all`), largest rise first.
-- $date: the day.
SELECT
    p.friction_type,
    p.affected,
    p.sessions,
    p.rate,
    p.baseline_rate,
    p.q_value,
    p.crosses_threshold
FROM friction_patterns p
JOIN friction_types t ON t.friction_type = p.friction_type
WHERE p.date = $date AND p.slice_kind = 'all'
ORDER BY p.rate - coalesce(p.baseline_rate, 0) DESC, t.ord
