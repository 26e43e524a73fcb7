-- digest verdicts: the deployments whose after window completed on the day, and
-- their verdict per friction type (`friction_before_after`; a fixed horizon, so
-- this is the day the verdict is final). Changes first, then by version and type.
-- $date: the day.
SELECT
    version,
    deployed_on,
    ticket_id,
    friction_type,
    before_rate,
    after_rate,
    adj_change,
    ci_low,
    ci_high,
    q_value,
    verdict
FROM friction_before_after
WHERE date = $date AND window_complete AND after_to = $date
ORDER BY verdict NOT IN ('improved', 'regressed'), version, friction_type
