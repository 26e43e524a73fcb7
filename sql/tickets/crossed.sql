-- crossed: the day's friction patterns that cross the threshold — each files or
-- updates a ticket (`tickets` stage). $date: the day.
SELECT
    friction_type,
    slice_kind,
    slice_value,
    sessions,
    affected,
    rate,
    baseline_rate,
    p_value,
    high,
    medium,
    low
FROM friction_patterns
WHERE date = $date
  AND crosses_threshold
ORDER BY friction_type, slice_kind, slice_value
