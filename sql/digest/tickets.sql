-- digest tickets: the day's crossing patterns as their tickets (filed, updated or
-- reopened that day; one ticket stands for a type's slices that cross with it),
-- and the tickets that faded that day. Highest rate first.
-- $date: the day.
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
WHERE date = $date AND action IN ('filed', 'updated', 'reopened', 'faded')
ORDER BY action = 'faded', rate DESC, ticket_id
