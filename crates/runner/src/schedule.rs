//! `signals schedule`: run a pipeline on its cron expression, catching up missed days.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use croner::Cron;

use crate::state::{RunState, RunStatus};
use crate::{Error, Result};

/// The parsed schedule of a pipeline.
pub fn cron(expr: &str) -> Result<Cron> {
    expr.parse::<Cron>()
        .map_err(|e| Error::Usage(format!("schedule {expr:?} is not a cron expression: {e}")))
}

/// When the schedule next fires after `now`, and the date that firing runs (the
/// previous day).
pub fn next_firing(c: &Cron, now: DateTime<Utc>) -> Result<(DateTime<Utc>, NaiveDate)> {
    let at = c
        .find_next_occurrence(&now, false)
        .map_err(|e| Error::Usage(format!("schedule never fires: {e}")))?;
    Ok((at, at.date_naive() - Duration::days(1)))
}

/// Dates to catch up at `now`: the days from `catchup_days` ago up to the last
/// date whose firing has passed, that have no succeeded run.
pub fn due_dates(
    c: &Cron,
    now: DateTime<Utc>,
    catchup_days: u32,
    states: &[RunState],
) -> Result<Vec<NaiveDate>> {
    let last = c
        .find_previous_occurrence(&now, true)
        .map(|at| at.date_naive() - Duration::days(1))
        .ok();
    let Some(last) = last else {
        return Ok(Vec::new());
    };
    let first = last - Duration::days(i64::from(catchup_days.max(1)) - 1);
    Ok(first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| {
            !states
                .iter()
                .any(|s| s.date == *d && s.status == RunStatus::Succeeded)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn catches_up_missed_days_and_knows_the_next_firing() {
        let c = cron("0 2 * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap();
        // Before 02:00 the last firing was on the 23rd, for the 22nd.
        let due = due_dates(&c, now, 3, &[]).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(due, vec![d("2026-11-20"), d("2026-11-21"), d("2026-11-22")]);
        let (at, date) = next_firing(&c, now).unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap());
        assert_eq!(date, d("2026-11-23"));
        assert!(cron("every day").is_err());
    }
}
