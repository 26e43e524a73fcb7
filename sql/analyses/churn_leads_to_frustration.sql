-- churn_leads_to_frustration: is context churn a leading indicator of frustration?
-- The seed's first finding, computed on your own sessions (all analysed dates).
--
-- Method. Per analysed session, the first moment of `context_churn` and of
-- `tone_escalation` (`frictions`), placed in time by their first events
-- (`events.ts`). Sessions with churn are "exposed". Frustration "after churn"
-- is tone escalation that starts after the churn started; for sessions without
-- churn, any tone escalation counts.
--   relative risk RR = P(tone after churn | churn) / P(tone | no churn),
--   95% interval exp(ln RR +- 1.96 sqrt(1/a - 1/n1 + 1/c - 1/n0))  (Katz),
-- a and c the sessions with (later) tone among the n1 with and n0 without churn.
-- `minutes_before` is the median time from the churn's first event to the tone
-- escalation's first event, over sessions where churn came first.
-- Read with care: sessions are not randomised; churn and frustration can share a
-- cause (a hard task). RR > 1 says churn marks sessions worth watching, not that
-- churn causes the frustration.
WITH firsts AS (
    SELECT f.session_id, f.friction_type, min(e.ts) AS at, min(f.first_seq) AS seq
    FROM frictions f
    JOIN events e ON e.session_id = f.session_id AND e.seq = f.first_seq
    WHERE f.friction_type IN ('context_churn', 'tone_escalation')
    GROUP BY f.session_id, f.friction_type
),
per_session AS (
    SELECT
        a.session_id,
        c.at AS churn_at,
        c.seq AS churn_seq,
        t.at AS tone_at,
        t.seq AS tone_seq
    FROM analysed_sessions a
    LEFT JOIN firsts c ON c.session_id = a.session_id AND c.friction_type = 'context_churn'
    LEFT JOIN firsts t ON t.session_id = a.session_id AND t.friction_type = 'tone_escalation'
),
counts AS (
    SELECT
        count(*) AS sessions,
        count(*) FILTER (WHERE churn_seq IS NOT NULL) AS with_churn,
        count(*) FILTER (WHERE churn_seq IS NOT NULL AND tone_seq > churn_seq) AS churn_then_tone,
        count(*) FILTER (WHERE churn_seq IS NOT NULL AND tone_seq < churn_seq) AS tone_then_churn,
        count(*) FILTER (WHERE churn_seq IS NULL) AS without_churn,
        count(*) FILTER (WHERE churn_seq IS NULL AND tone_seq IS NOT NULL) AS tone_without_churn,
        median(CAST(date_part('epoch', tone_at) - date_part('epoch', churn_at) AS DOUBLE) / 60.0)
            FILTER (WHERE tone_seq > churn_seq) AS minutes_before
    FROM per_session
),
rates AS (
    SELECT
        *,
        CAST(churn_then_tone AS DOUBLE) / nullif(with_churn, 0) AS p_tone_after_churn,
        CAST(tone_without_churn AS DOUBLE) / nullif(without_churn, 0) AS p_tone_without_churn
    FROM counts
)
SELECT
    sessions,
    with_churn,
    churn_then_tone,
    tone_then_churn,
    round(minutes_before, 1) AS minutes_before,
    round(p_tone_after_churn, 4) AS p_tone_after_churn,
    round(p_tone_without_churn, 4) AS p_tone_without_churn,
    round(p_tone_after_churn / p_tone_without_churn, 2) AS relative_risk,
    CASE WHEN churn_then_tone > 0 AND tone_without_churn > 0 THEN round(exp(ln(p_tone_after_churn / p_tone_without_churn)
        - 1.959964 * sqrt(1.0 / churn_then_tone - 1.0 / with_churn + 1.0 / tone_without_churn - 1.0 / without_churn)), 2) END AS rr_low,
    CASE WHEN churn_then_tone > 0 AND tone_without_churn > 0 THEN round(exp(ln(p_tone_after_churn / p_tone_without_churn)
        + 1.959964 * sqrt(1.0 / churn_then_tone - 1.0 / with_churn + 1.0 / tone_without_churn - 1.0 / without_churn)), 2) END AS rr_high
FROM rates;
