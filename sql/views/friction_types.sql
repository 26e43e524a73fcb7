-- friction_types: the seven friction types of the spec (docs/judges.md), one row each, in spec order (`ord`): what the stages cross join to give every type a row, rate 0 included.
CREATE VIEW friction_types AS
SELECT friction_type, ord FROM (VALUES
    ('abandoned_tool', 1),
    ('rephrasing_cascade', 2),
    ('context_churn', 3),
    ('error_event', 4),
    ('tone_escalation', 5),
    ('backtracking', 6),
    ('platform_confusion', 7)
) AS t(friction_type, ord)
