-- crossed: the day's friction patterns that cross the threshold — each files or
-- updates a ticket (`tickets` stage). $date: the day.
-- When a type crosses on `all`, its slices that cross the same day are the same
-- change seen in parts (a regression shows in every language it touches): the one
-- ticket for `all` stands for them, and its body lists them.
SELECT
    friction_type,
    slice_kind,
    slice_value,
    sessions,
    affected,
    rate,
    baseline_rate,
    p_value,
    q_value,
    high,
    medium,
    low
FROM friction_patterns
WHERE date = $date
  AND crosses_threshold
  AND (slice_kind = 'all' OR friction_type NOT IN (
      SELECT friction_type FROM friction_patterns
      WHERE date = $date AND slice_kind = 'all' AND crosses_threshold))
ORDER BY friction_type, slice_kind, slice_value
