-- alerts: the day's crossing patterns whose rate reached the alert threshold, as
-- their tickets (the `tickets` stage ran first). The cooldown per ticket is the
-- `alerts` stage's (it keeps what it sent in the lake's `_notify/` ledger).
-- $date: the day; $alert_rate: the threshold (share of analysed sessions).
SELECT
    ticket_id,
    title,
    friction_type,
    slice_kind,
    slice_value,
    action,
    trend,
    days_seen,
    affected,
    sessions,
    rate,
    baseline_rate,
    q_value,
    external_ref,
    pull_request
FROM tickets
WHERE date = $date
  AND action IN ('filed', 'updated', 'reopened')
  AND rate >= $alert_rate
ORDER BY rate DESC, ticket_id
