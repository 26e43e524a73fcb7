//! The cascade judge: a free screen (the built-in judge) reads every session,
//! the LLM reads the sessions it flags plus a uniform random calibration sample
//! of the rest, and the LLM's labels win where present. The sample is what makes
//! the screen's misses measurable: `judge_agreement` gives, per day and friction
//! type, the screen's precision and recall against the LLM with Wilson 95%
//! intervals.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use signals_judge::delight::Delight;
use signals_judge::{Facet, FrictionType, Moment, Session};
use signals_lake::schema;

use crate::LlmPass;
use crate::config::Cascade;

/// What the screen found on a date's sessions, and which sessions go to the LLM.
#[derive(Debug, Clone, Default)]
pub struct Screened {
    /// The screen's friction moments per session (every selected session).
    pub moments: BTreeMap<String, Vec<Moment>>,
    /// The screen's facets per session (when asked for: the facet pass).
    pub facets: BTreeMap<String, Vec<Facet>>,
    /// The screen's delights per session (when asked for: the delight pass).
    pub delights: BTreeMap<String, Vec<Delight>>,
    /// Sessions with at least one moment.
    pub flagged: BTreeSet<String>,
    /// Unflagged sessions drawn for calibration.
    pub sampled: BTreeSet<String>,
    /// The share drawn.
    pub sample: f64,
    /// The screen's name (the `judge` column of its rows).
    pub name: String,
    /// The screen's version.
    pub version: String,
}

impl Screened {
    /// The sessions the LLM judges: flagged or sampled.
    pub fn chosen(&self) -> impl Iterator<Item = &String> {
        self.flagged.union(&self.sampled)
    }
}

/// A uniform draw in [0, 1) that depends only on the session id: the same
/// session is in or out of the sample on every run (idempotent per date), and
/// ids carry no order the draw could follow.
pub fn draw(session: &str) -> f64 {
    // FNV-1a, then a splitmix64 finaliser to spread similar ids.
    let mut h = signals_lake::fnv1a(session);
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Run the screen over `sessions` and draw the calibration sample; for the facet
/// and delight passes keep the screen's facets or delights too (the sessions the
/// LLM does not judge get them).
pub fn screen(c: &Cascade, sessions: &BTreeMap<String, Session>, pass: LlmPass) -> Screened {
    let mut out = Screened {
        sample: c.sample,
        name: c.screen.name().to_string(),
        version: c.screen.version().to_string(),
        ..Screened::default()
    };
    for (id, s) in sessions {
        let ms = c.screen.friction(s);
        if ms.is_empty() {
            if draw(id) < c.sample {
                out.sampled.insert(id.clone());
            }
        } else {
            out.flagged.insert(id.clone());
        }
        out.moments.insert(id.clone(), ms);
        match pass {
            LlmPass::Facets => {
                out.facets.insert(id.clone(), c.screen.facets(s));
            }
            LlmPass::Delight => {
                out.delights.insert(id.clone(), c.screen.delights(s));
            }
            LlmPass::Friction => {}
        }
    }
    out
}

/// The Wilson 95% score interval of `x` successes in `n` trials (weighted counts
/// allowed); `None` when `n` is 0.
pub fn wilson(x: f64, n: f64) -> Option<(f64, f64, f64)> {
    if n <= 0.0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let p = (x / n).clamp(0.0, 1.0);
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At p = 0 or 1 the bounds meet p exactly; rounding must not leave p outside.
    Some((
        p,
        (centre - half).clamp(0.0, p),
        (centre + half).clamp(p, 1.0),
    ))
}

/// One friction type's agreement counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Agreement {
    /// Both found it.
    pub agreed: i64,
    /// Only the screen found it.
    pub builtin_only: i64,
    /// Only the LLM found it, sampled sessions weighted by 1/sample.
    pub llm_only: f64,
}

impl Agreement {
    /// Precision and its interval.
    pub fn precision(&self) -> Option<(f64, f64, f64)> {
        wilson(self.agreed as f64, (self.agreed + self.builtin_only) as f64)
    }
    /// Recall and its interval.
    pub fn recall(&self) -> Option<(f64, f64, f64)> {
        wilson(self.agreed as f64, self.agreed as f64 + self.llm_only)
    }
}

/// The screen's agreement with the LLM per friction type, over the sessions the
/// LLM judged (`llm`: session -> the types it found).
pub fn agreement(
    sc: &Screened,
    llm: &BTreeMap<String, BTreeSet<FrictionType>>,
) -> BTreeMap<FrictionType, Agreement> {
    let mut out: BTreeMap<FrictionType, Agreement> = FrictionType::ALL
        .iter()
        .map(|t| (*t, Agreement::default()))
        .collect();
    for (id, found) in llm {
        let screen: BTreeSet<FrictionType> = sc
            .moments
            .get(id)
            .into_iter()
            .flatten()
            .map(|m| m.friction_type)
            .collect();
        // Every flagged session is judged; an unflagged one stands for 1/sample.
        let weight = if sc.flagged.contains(id) {
            1.0
        } else if sc.sample > 0.0 {
            1.0 / sc.sample
        } else {
            1.0
        };
        for t in FrictionType::ALL {
            let a = out.get_mut(&t).expect("every type");
            match (screen.contains(&t), found.contains(&t)) {
                (true, true) => a.agreed += 1,
                (true, false) => a.builtin_only += 1,
                (false, true) => a.llm_only += weight,
                (false, false) => {}
            }
        }
    }
    out
}

/// The date's `judge_agreement` rows.
pub fn agreement_batch(
    sc: &Screened,
    llm: &BTreeMap<String, BTreeSet<FrictionType>>,
    judge: &str,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let by_type = agreement(sc, llm);
    let judged = llm.len() as i64;
    let sampled = llm.keys().filter(|id| sc.sampled.contains(*id)).count() as i64;
    let n = by_type.len();
    let strs = |v: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let ints = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
    let floats = |v: Vec<Option<f64>>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
    let p: Vec<_> = by_type.values().map(Agreement::precision).collect();
    let r: Vec<_> = by_type.values().map(Agreement::recall).collect();
    let part = |v: &[Option<(f64, f64, f64)>], i: usize| -> Vec<Option<f64>> {
        v.iter().map(|x| x.map(|t| [t.0, t.1, t.2][i])).collect()
    };
    RecordBatch::try_new(
        schema::judge_agreement().file_schema(),
        vec![
            strs(by_type.keys().map(|t| t.id().to_string()).collect()),
            ints(vec![judged; n]),
            ints(vec![sampled; n]),
            Arc::new(Float64Array::from(vec![sc.sample; n])),
            ints(by_type.values().map(|a| a.agreed).collect()),
            ints(by_type.values().map(|a| a.builtin_only).collect()),
            Arc::new(Float64Array::from(
                by_type.values().map(|a| a.llm_only).collect::<Vec<_>>(),
            )),
            floats(part(&p, 0)),
            floats(part(&p, 1)),
            floats(part(&p, 2)),
            floats(part(&r, 0)),
            floats(part(&r, 1)),
            floats(part(&r, 2)),
            strs(vec![format!("{} {}", sc.name, sc.version); n]),
            strs(vec![judge.to_string(); n]),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use signals_judge::Severity;

    #[test]
    fn the_draw_is_uniform_and_stable() {
        let n = 20_000;
        let hits = (0..n)
            .filter(|i| draw(&format!("sess-{i:05}")) < 0.1)
            .count();
        // 10% of 20,000: 2,000 with a standard deviation of about 42.
        assert!((1_850..=2_150).contains(&hits), "{hits}");
        assert_eq!(draw("abc"), draw("abc"));
        assert!((0.0..1.0).contains(&draw("")));
    }

    #[test]
    fn wilson_matches_a_worked_example() {
        // 8 of 10: the Wilson 95% interval is 0.490 .. 0.943.
        let (p, lo, hi) = wilson(8.0, 10.0).unwrap();
        assert!((p - 0.8).abs() < 1e-12);
        assert!((lo - 0.4902).abs() < 1e-3, "{lo}");
        assert!((hi - 0.9433).abs() < 1e-3, "{hi}");
        let (_, lo, hi) = wilson(0.0, 5.0).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4 && hi < 0.5, "{hi}");
        assert_eq!(wilson(0.0, 0.0), None);
    }

    fn m(t: FrictionType) -> Moment {
        Moment::new(t, Severity::Low, 0, 0, String::new(), 0.5)
    }

    #[test]
    fn misses_in_the_sample_count_for_the_sessions_they_stand_for() {
        use FrictionType::*;
        let mut sc = Screened {
            sample: 0.25,
            ..Screened::default()
        };
        sc.moments.insert("a".into(), vec![m(ErrorEvent)]);
        sc.moments
            .insert("b".into(), vec![m(ErrorEvent), m(Backtracking)]);
        sc.moments.insert("c".into(), vec![]);
        sc.flagged.extend(["a".to_string(), "b".to_string()]);
        sc.sampled.insert("c".into());
        let llm = BTreeMap::from([
            ("a".to_string(), BTreeSet::from([ErrorEvent])),
            (
                "b".to_string(),
                BTreeSet::from([ErrorEvent, RephrasingCascade]),
            ),
            ("c".to_string(), BTreeSet::from([RephrasingCascade])),
        ]);
        let a = agreement(&sc, &llm);
        assert_eq!(
            a[&ErrorEvent],
            Agreement {
                agreed: 2,
                builtin_only: 0,
                llm_only: 0.0
            }
        );
        assert_eq!(a[&Backtracking].builtin_only, 1);
        assert_eq!(a[&Backtracking].precision().unwrap().0, 0.0);
        // b's miss counts once, c's (sampled at 25%) four times.
        assert_eq!(a[&RephrasingCascade].llm_only, 5.0);
        assert_eq!(a[&RephrasingCascade].recall().unwrap().0, 0.0);
        assert_eq!(a[&ContextChurn].precision(), None);
        let batch = agreement_batch(&sc, &llm, "openai:m").unwrap();
        assert_eq!(batch.num_rows(), 7);
    }
}
