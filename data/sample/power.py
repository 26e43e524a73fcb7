#!/usr/bin/env python3
"""The power calculation behind the shipped sample (data/sessions).

The sample has to tell the loop's story with the shipped defaults: a release
(1.5.0) makes rephrasing cascades more common, the `patterns` stage files a
ticket for it, the next release (1.6.0) fixes it, and `remeasure` says
`improved` once its after window is complete; nothing else gets a verdict.

This script asks, for a number of sessions per day, how likely each step is
under the generator's model (crates/generate/src/lib.rs) and the pipeline's
statistics (sql/stages/patterns.sql, sql/stages/remeasure.sql), with normal
approximations, and prints the smallest size that gets the ticket with >= 90%
and the verdict with >= 99% probability. Standard library only:

    python3 data/sample/power.py
"""

from statistics import NormalDist

N = NormalDist()

# The generator: share of long sessions (>= 30 steps: the ones the filter
# keeps), rephrasing's base rate in long sessions (BASE_RATES 0.10 x 1.4), the
# share of a day's sessions already on the new version (the rest lag one
# version), and the built-in judge's recall of generated cascades (docs/judges.md).
LONG_SHARE = 0.8
BASE = 0.10 * 1.4
ADOPTION = 0.8
RECALL = 0.9
DAYS_PER_VERSION = 7  # 3 versions over 21 days: both windows of 1.6.0 complete

# The planted effects: 1.5.0 multiplies the rate by REGRESSION; 1.6.0 by FIX on top.
REGRESSION = 3.0
FIX = 0.2

# The pipeline's defaults (pipelines/daily.toml).
BASELINE_DAYS = 7
MAX_Q = 0.05
# A day's family of pattern tests: 7 types x (all, 3 agent versions, 4 models,
# ~8 languages, ~5 intents) that have a baseline; most of them null.
DAY_TESTS = 7 * 20
# The ticket's pattern is the first of the day's p-values; BH lets it cross when
# p <= MAX_Q * rank / m with rank 1 at worst (its other slices only help).
TICKET_ALPHA = MAX_Q / DAY_TESTS
# A deployment's seven types are one family; the fix is the strongest of them.
VERDICT_ALPHA = MAX_Q / 7


def arcsine_power(p1, n1, p0, n0, alpha):
    """Power of the patterns stage's one-sided test on Anscombe's arcsine scale."""
    from math import asin, sqrt

    shift = 2 * (asin(sqrt(p1)) - asin(sqrt(p0))) / sqrt(1 / (n1 + 0.5) + 1 / (n0 + 0.5))
    return 1 - N.cdf(N.inv_cdf(1 - alpha) - shift)


def z_test_power(p1, n1, p0, n0, alpha, two_sided):
    """Power of the pooled two-proportion z-test of p1 (n1) against p0 (n0)."""
    pooled = (p1 * n1 + p0 * n0) / (n1 + n0)
    se0 = (pooled * (1 - pooled) * (1 / n1 + 1 / n0)) ** 0.5
    se1 = (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) ** 0.5
    crit = N.inv_cdf(1 - alpha / (2 if two_sided else 1))
    return 1 - N.cdf((crit * se0 - abs(p1 - p0)) / se1)


def story(per_day):
    analysed = per_day * LONG_SHARE
    base = BASE * RECALL
    high = base * REGRESSION
    fixed = high * FIX
    # The ticket: the first three days of 1.5.0, each against the trailing
    # 7 days (which take in the elevated days before it).
    miss = 1.0
    for k in range(3):
        today = ADOPTION * high + (1 - ADOPTION) * base
        baseline = ((BASELINE_DAYS - k) * base + k * today) / BASELINE_DAYS
        p = arcsine_power(today, analysed, baseline, analysed * BASELINE_DAYS, TICKET_ALPHA)
        miss *= 1 - p
    ticket = 1 - miss
    # The verdict on 1.6.0: before, the week on 1.5.0 (and its stragglers on
    # 1.4.2), none on 1.6.0; after, the week's sessions on 1.6.0. (The stratified
    # CMH test has about the power of the pooled test when the mix stays.)
    before_rate = ADOPTION * high + (1 - ADOPTION) * base
    n_before = analysed * DAYS_PER_VERSION
    n_after = analysed * DAYS_PER_VERSION * ADOPTION
    verdict = z_test_power(fixed, n_after, before_rate, n_before, VERDICT_ALPHA, True)
    return ticket, verdict, before_rate, fixed


def main():
    print(f"rephrasing in analysed sessions: {BASE * RECALL:.3f}, x{REGRESSION} on 1.5.0, x{FIX} more on 1.6.0")
    print("sessions/day  P(ticket)  P(improved)")
    chosen = None
    for per_day in range(20, 201, 10):
        ticket, verdict, _, _ = story(per_day)
        print(f"{per_day:>12}  {ticket:9.3f}  {verdict:11.4f}")
        if chosen is None and ticket >= 0.9 and verdict >= 0.99:
            chosen = per_day
    ticket, verdict, before, after = story(chosen)
    print(
        f"\nsmallest size: {chosen} sessions/day x {3 * DAYS_PER_VERSION} days = {chosen * 3 * DAYS_PER_VERSION} sessions"
        f" (ticket {ticket:.3f}, improved {verdict:.4f}; before {before:.3f} -> after {after:.3f})"
    )
    # A false verdict: each of the two deployments' six unchanged types, at the
    # BH level the planted type leaves them (about MAX_Q * 2 / 7 each).
    false_any = 1 - (1 - MAX_Q * 2 / 7) ** (2 * 6)
    print(f"chance of some verdict from nothing on one seed: about {false_any:.2f}")


if __name__ == "__main__":
    main()
