//! A run's parameters: the pipeline's `[params]` with `--param` overrides and `date`.

use std::collections::BTreeMap;

use datafusion::scalar::ScalarValue;

/// A pipeline parameter value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Param {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// String.
    Str(String),
}

impl Param {
    /// As a DataFusion literal for binding.
    pub fn scalar(&self) -> ScalarValue {
        match self {
            Param::Int(i) => ScalarValue::from(*i),
            Param::Float(f) => ScalarValue::from(*f),
            Param::Bool(b) => ScalarValue::from(*b),
            Param::Str(s) => ScalarValue::from(s.as_str()),
        }
    }

    /// Parse `text` as a value of the same type as `self` (for `--param k=v`);
    /// the error says what was expected.
    pub fn parse_like(&self, name: &str, text: &str) -> Result<Param, String> {
        let bad = |t: &str| format!("--param {name}={text}: expected {t}");
        Ok(match self {
            Param::Int(_) => Param::Int(text.parse().map_err(|_| bad("an integer"))?),
            Param::Float(_) => Param::Float(text.parse().map_err(|_| bad("a number"))?),
            Param::Bool(_) => Param::Bool(text.parse().map_err(|_| bad("true or false"))?),
            Param::Str(_) => Param::Str(text.to_string()),
        })
    }
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Int(i) => write!(f, "{i}"),
            Param::Float(x) => write!(f, "{x}"),
            Param::Bool(b) => write!(f, "{b}"),
            Param::Str(s) => f.write_str(s),
        }
    }
}

/// A run's parameters by name.
pub type Params = BTreeMap<String, Param>;

/// Typed reads of [`Params`], each with the default a stage uses when the
/// pipeline does not declare the parameter.
pub trait ParamsExt {
    /// An integer parameter, or `default` when absent or not an integer.
    fn int(&self, name: &str, default: i64) -> i64;
    /// A number (an integer is widened), or `default`.
    fn float(&self, name: &str, default: f64) -> f64;
    /// A parameter as text, or `default` when absent.
    fn text(&self, name: &str, default: &str) -> String;
    /// The parameter as text when present.
    fn get_text(&self, name: &str) -> Option<String>;
}

impl ParamsExt for Params {
    fn int(&self, name: &str, default: i64) -> i64 {
        match self.get(name) {
            Some(Param::Int(i)) => *i,
            _ => default,
        }
    }

    fn float(&self, name: &str, default: f64) -> f64 {
        match self.get(name) {
            Some(Param::Float(x)) => *x,
            Some(Param::Int(i)) => *i as f64,
            _ => default,
        }
    }

    fn text(&self, name: &str, default: &str) -> String {
        self.get(name)
            .map_or(default.to_string(), |v| v.to_string())
    }

    fn get_text(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.to_string())
    }
}
