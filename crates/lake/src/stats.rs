//! The normal distribution as SQL functions, registered in every session the lake
//! makes (`signals sql`, the stages, the tests; `notebooks/lake.py` registers the
//! same for Python): `patterns.sql` and `remeasure.sql` call them instead of
//! spelling out the approximations inline.
//!
//! - `normal_sf(z)`: the upper tail P(Z > z) (the survival function).
//! - `normal_isf(p)`: its inverse, the z with P(Z > z) = p, for 0 < p < 1.
//!
//! Both are the Abramowitz & Stegun approximations the SQL used before (26.2.17,
//! absolute error < 7.5e-8; 26.2.23, < 4.5e-4), computed in the same order, so a
//! stage's output is the same to the bit as when the SQL wrote them out.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue, cast::as_float64_array};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// P(Z > z) for a standard normal Z (A&S 26.2.17).
pub fn normal_sf(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.2316419 * z.abs());
    // phi(|z|) * poly(t): the upper tail of |z|.
    let tail = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
        * t
        * (0.319381530
            + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
    if z >= 0.0 { tail } else { 1.0 - tail }
}

/// The z with P(Z > z) = p (A&S 26.2.23); NaN outside 0 < p < 1.
pub fn normal_isf(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let upper = |q: f64| {
        let tt = (-2.0 * q.ln()).sqrt();
        tt - (2.515517 + tt * (0.802853 + tt * 0.010328))
            / (1.0 + tt * (1.432788 + tt * (0.189269 + tt * 0.001308)))
    };
    if p <= 0.5 { upper(p) } else { -upper(1.0 - p) }
}

/// A one-argument float function as a UDF (null in, null out).
fn udf(name: &str, f: fn(f64) -> f64) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Float64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| match args.first() {
            Some(ColumnarValue::Scalar(v)) => match v.cast_to(&DataType::Float64)? {
                ScalarValue::Float64(x) => {
                    Ok(ColumnarValue::Scalar(ScalarValue::Float64(x.map(f))))
                }
                other => Err(DataFusionError::Internal(format!(
                    "{other:?} is not a float"
                ))),
            },
            Some(ColumnarValue::Array(a)) => {
                let a = arrow::compute::cast(a, &DataType::Float64)?;
                let out: Float64Array = as_float64_array(&a)?.unary(f);
                Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
            }
            None => Err(DataFusionError::Internal("one argument expected".into())),
        }),
    )
}

/// The statistics functions, to register in a session.
pub fn udfs() -> Vec<ScalarUDF> {
    vec![udf("normal_sf", normal_sf), udf("normal_isf", normal_isf)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tails_match_the_tables() {
        // Standard normal tables: Q(0) = 0.5, Q(1.96) = 0.0250, Q(-1) = 0.8413.
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_sf(1.96) - 0.024998).abs() < 1e-6);
        assert!((normal_sf(-1.0) - 0.841345).abs() < 1e-6);
        assert!((normal_isf(0.025) - 1.96).abs() < 1e-3);
        assert!((normal_isf(0.975) + 1.96).abs() < 1e-3);
        assert!(normal_isf(0.0).is_nan() && normal_isf(1.5).is_nan());
    }
}
