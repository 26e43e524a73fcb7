-- The cascade judge's agreement (`signals eval --against llm`): the built-in
-- judge against the LLM per friction type, summed over the dates from $from to
-- $to. The counts add up across days; precision, recall and their Wilson 95%
-- intervals are computed from these sums (recall's misses are already weighted
-- by 1/sample_rate in each day's row).
SELECT
    friction_type,
    count(DISTINCT date) AS days,
    sum(judged_sessions) AS judged_sessions,
    sum(sample_sessions) AS sample_sessions,
    sum(agreed) AS agreed,
    sum(builtin_only) AS builtin_only,
    sum(llm_only) AS llm_only
FROM judge_agreement
WHERE date BETWEEN $from AND $to
GROUP BY friction_type
ORDER BY friction_type
