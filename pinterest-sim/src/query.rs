//! Query strings and form bodies, decoded by hand so that every malformed
//! input gets a Pinterest-shaped answer instead of a framework rejection.

use super::errors::ApiError;

/// Decoded `application/x-www-form-urlencoded` pairs, in order.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        Self::parse_bytes(raw.unwrap_or("").as_bytes())
    }

    pub fn parse_bytes(raw: &[u8]) -> Self {
        QueryParams(
            url::form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Refuses names outside `allowed` and repeated names (a form body is
    /// ambiguous with either).
    pub fn expect_only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        for (i, (key, _)) in self.0.iter().enumerate() {
            if !allowed.contains(&key.as_str()) {
                return Err(ApiError::invalid_parameters(format!(
                    "Unknown parameter: {key}"
                )));
            }
            if self.0[..i].iter().any(|(k, _)| k == key) {
                return Err(ApiError::invalid_parameters(format!(
                    "Repeated parameter: {key}"
                )));
            }
        }
        Ok(())
    }

    /// A parameter that must be there and not be empty.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::invalid_parameters(format!(
                "Missing required parameter: {name}"
            ))),
        }
    }
}
