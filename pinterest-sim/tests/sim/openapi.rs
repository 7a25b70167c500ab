//! A small OpenAPI 3.0 validator for the simulator's fidelity tests: it loads
//! Pinterest's `openapi.json` and checks a response's status and body against
//! the operation that declares it.
//!
//! Supported: `$ref` into the document, `type`, `nullable`, `enum`,
//! `properties`, `required`, `additionalProperties`, `items`, `allOf`, `anyOf`,
//! `oneOf`, `discriminator.mapping`, `pattern`, `format: date-time`,
//! `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`.
//! Strict mode also reports properties no schema in play declares, so a typo
//! in the simulator's output cannot hide behind Pinterest's open objects.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use regex::Regex;
use serde_json::Value;

pub struct Spec {
    doc: Value,
    patterns: RefCell<HashMap<String, Regex>>,
}

/// Where a response was found in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    /// Under its own status code.
    Exactly,
    /// Only under `default`.
    ByDefault,
}

impl Spec {
    /// Pinterest's `openapi.json`, vendored in `pinterest-sim/openapi/` (MIT).
    pub fn load() -> Spec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let doc: Value = serde_json::from_str(&text).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.0.3", "unexpected OpenAPI version");
        Spec {
            doc,
            patterns: RefCell::new(HashMap::new()),
        }
    }

    pub fn schema(&self, name: &str) -> &Value {
        let schema = &self.doc["components"]["schemas"][name];
        assert!(!schema.is_null(), "no schema {name}");
        schema
    }

    pub fn operation(&self, method: &str, template: &str) -> &Value {
        let op = &self.doc["paths"][template][method.to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "the spec has no operation {method} {template}"
        );
        op
    }

    /// The scopes an operation's `pinterest_oauth2` security requirement lists.
    pub fn required_scopes(&self, method: &str, template: &str) -> Vec<String> {
        let op = self.operation(method, template);
        op["security"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|req| req.get("pinterest_oauth2"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                return schema;
            };
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("external $ref {reference} not supported"));
            schema = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        panic!("$ref cycle");
    }

    /// Checks one response; returns how the status is declared, or every problem found.
    /// `extra_allowed` names properties tolerated at the top level of the body
    /// beyond the schema (e.g. the token endpoint's `status`).
    pub fn check_response(
        &self,
        method: &str,
        template: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        extra_allowed: &[&str],
    ) -> Result<Declared, Vec<String>> {
        let op = self.operation(method, template);
        let responses = &op["responses"];
        let (response, declared) = match responses.get(status.to_string()) {
            Some(r) => (r, Declared::Exactly),
            None => match responses.get("default") {
                Some(r) => (r, Declared::ByDefault),
                None => {
                    return Err(vec![format!(
                        "{method} {template}: status {status} is not declared"
                    )]);
                }
            },
        };
        let response = self.resolve(response);
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return if body.is_empty() {
                Ok(declared)
            } else {
                Err(vec![format!(
                    "{method} {template} {status}: the spec declares no body but {} bytes came",
                    body.len()
                )])
            };
        };
        let Some(media) = content.get("application/json") else {
            return Err(vec![format!(
                "{method} {template} {status}: no application/json content declared"
            )]);
        };
        let mut errors = Vec::new();
        match content_type {
            Some(ct)
                if ct
                    .split(';')
                    .next()
                    .is_some_and(|e| e.trim() == "application/json") => {}
            other => errors.push(format!("content-type {other:?} is not application/json")),
        }
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                errors.push(format!(
                    "body is not JSON: {e}: {}",
                    String::from_utf8_lossy(body)
                ));
                return Err(errors);
            }
        };
        let schema = &media["schema"];
        self.validate_into(&value, schema, "$", true, extra_allowed, &mut errors);
        if errors.is_empty() {
            Ok(declared)
        } else {
            Err(errors)
        }
    }

    /// Validates `value` against a schema (strictly); every problem found.
    pub fn validate(&self, value: &Value, schema: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.validate_into(value, schema, "$", true, &[], &mut errors);
        errors
    }

    fn validate_into(
        &self,
        value: &Value,
        schema: &Value,
        at: &str,
        strict: bool,
        extra_allowed: &[&str],
        errors: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        if value.is_null() {
            let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
            if !nullable && !is_unconstrained(schema) {
                errors.push(format!("{at}: null but not nullable"));
            }
            return;
        }
        if let Some(ty) = schema.get("type").and_then(Value::as_str) {
            let ok = match ty {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                other => panic!("unknown type {other} in spec"),
            };
            if !ok {
                errors.push(format!("{at}: expected {ty}, got {value}"));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
        match value {
            Value::String(s) => self.check_string(s, schema, at, errors),
            Value::Number(n) => {
                if let (Some(min), Some(x)) =
                    (schema.get("minimum").and_then(Value::as_f64), n.as_f64())
                    && x < min
                {
                    errors.push(format!("{at}: {x} < minimum {min}"));
                }
                if let (Some(max), Some(x)) =
                    (schema.get("maximum").and_then(Value::as_f64), n.as_f64())
                    && x > max
                {
                    errors.push(format!("{at}: {x} > maximum {max}"));
                }
            }
            Value::Array(items) => {
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    errors.push(format!("{at}: fewer than {min} items"));
                }
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                    && (items.len() as u64) > max
                {
                    errors.push(format!("{at}: more than {max} items"));
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.validate_into(
                            item,
                            item_schema,
                            &format!("{at}[{i}]"),
                            true,
                            &[],
                            errors,
                        );
                    }
                }
            }
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                if let Some(required) = schema.get("required").and_then(Value::as_array) {
                    for name in required.iter().filter_map(Value::as_str) {
                        if !map.contains_key(name) {
                            errors.push(format!("{at}: missing required property {name:?}"));
                        }
                    }
                }
                for (key, v) in map {
                    let declared = properties.and_then(|p| p.get(key));
                    match (declared, schema.get("additionalProperties")) {
                        (Some(prop_schema), _) => {
                            self.validate_into(
                                v,
                                prop_schema,
                                &format!("{at}.{key}"),
                                true,
                                &[],
                                errors,
                            );
                        }
                        (None, Some(Value::Bool(false))) => {
                            errors.push(format!("{at}: additional property {key:?} not allowed"));
                        }
                        (None, Some(extra @ Value::Object(_))) => {
                            self.validate_into(v, extra, &format!("{at}.{key}"), true, &[], errors);
                        }
                        _ => {}
                    }
                }
                if strict {
                    let mut names = BTreeSet::new();
                    let mut open = false;
                    self.declared_properties(schema, value, &mut names, &mut open);
                    if !open {
                        for key in map.keys() {
                            if !names.contains(key.as_str())
                                && !extra_allowed.contains(&key.as_str())
                            {
                                errors.push(format!(
                                    "{at}: property {key:?} is declared by no schema"
                                ));
                            }
                        }
                    }
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            for branch in branches {
                self.validate_into(value, branch, at, false, &[], errors);
            }
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let any = branches.iter().any(|b| {
                let mut e = Vec::new();
                self.validate_into(value, b, at, false, &[], &mut e);
                e.is_empty()
            });
            if !any {
                errors.push(format!("{at}: matches none of anyOf"));
            }
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let matching = branches
                .iter()
                .filter(|b| {
                    let mut e = Vec::new();
                    self.validate_into(value, b, at, false, &[], &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!(
                    "{at}: matches {matching} branches of oneOf, expected exactly 1"
                ));
            }
        }
        if let Some(target) = self.discriminated(schema, value) {
            self.validate_into(value, target, at, false, &[], errors);
        }
    }

    /// The schema a `discriminator.mapping` picks for `value`, if any.
    fn discriminated<'a>(&'a self, schema: &'a Value, value: &Value) -> Option<&'a Value> {
        let discriminator = schema.get("discriminator")?;
        let property = discriminator.get("propertyName")?.as_str()?;
        let tag = value.get(property)?.as_str()?;
        let reference = discriminator.get("mapping")?.get(tag)?.as_str()?;
        let pointer = reference.strip_prefix('#')?;
        self.doc.pointer(pointer)
    }

    /// Every property name the schema (and everything it composes) declares;
    /// `open` turns true when some object schema declares none (free-form).
    fn declared_properties(
        &self,
        schema: &Value,
        value: &Value,
        names: &mut BTreeSet<String>,
        open: &mut bool,
    ) {
        let schema = self.resolve(schema);
        let mut declares_any = false;
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            declares_any = true;
            names.extend(props.keys().cloned());
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                declares_any = true;
                for branch in branches {
                    self.declared_properties(branch, value, names, open);
                }
            }
        }
        if let Some(target) = self.discriminated(schema, value) {
            self.declared_properties(target, value, names, open);
        }
        if !declares_any && schema.get("additionalProperties") != Some(&Value::Bool(false)) {
            *open = true;
        }
    }

    fn check_string(&self, s: &str, schema: &Value, at: &str, errors: &mut Vec<String>) {
        let chars = s.chars().count() as u64;
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            errors.push(format!("{at}: longer than maxLength {max}"));
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            errors.push(format!("{at}: shorter than minLength {min}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let mut cache = self.patterns.borrow_mut();
            let regex = cache.entry(pattern.to_owned()).or_insert_with(|| {
                Regex::new(pattern).unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"))
            });
            if !regex.is_match(s) {
                errors.push(format!("{at}: {s:?} does not match {pattern}"));
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("date-time") && !is_date_time(s) {
            errors.push(format!("{at}: {s:?} is not an ISO 8601 date-time"));
        }
    }
}

/// A schema that allows anything (`{}` or only annotations).
fn is_unconstrained(schema: &Value) -> bool {
    const CONSTRAINTS: [&str; 7] = [
        "type",
        "enum",
        "properties",
        "allOf",
        "anyOf",
        "oneOf",
        "items",
    ];
    schema
        .as_object()
        .is_none_or(|o| !CONSTRAINTS.iter().any(|k| o.contains_key(*k)))
}

/// `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`: ISO 8601 as Pinterest writes it
/// (often without offset), and RFC 3339.
pub fn is_date_time(s: &str) -> bool {
    static SHAPE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let shape = SHAPE.get_or_init(|| {
        Regex::new(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
            .unwrap()
    });
    let Some(c) = shape.captures(s) else {
        return false;
    };
    let n = |i: usize| c[i].parse::<u32>().unwrap_or(99);
    (1..=12).contains(&n(2)) && (1..=31).contains(&n(3)) && n(4) < 24 && n(5) < 60 && n(6) < 61
}

#[cfg(test)]
mod self_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validator_rejects_what_it_should() {
        let spec = Spec::load();
        let pin = spec.schema("Pin");
        assert!(spec.validate(&json!({"id": "123"}), pin).is_empty());
        assert!(
            !spec.validate(&json!({"id": "12a"}), pin).is_empty(),
            "pattern"
        );
        assert!(
            !spec.validate(&json!({"title": "x"}), pin).is_empty(),
            "required"
        );
        assert!(
            !spec
                .validate(&json!({"id": "1", "titel": "x"}), pin)
                .is_empty(),
            "strict"
        );
        assert!(
            !spec
                .validate(&json!({"id": "1", "created_at": "yesterday"}), pin)
                .is_empty(),
            "date-time"
        );
        assert!(
            !spec
                .validate(&json!({"id": "1", "board_owner": {"username": 3}}), pin)
                .is_empty(),
            "nested"
        );
        assert!(
            !spec
                .validate(&json!({"id": "1", "media": {"media_type": "gif"}}), pin)
                .is_empty(),
            "oneOf"
        );
        assert!(
            spec.validate(&json!({"id": "1", "media": {"media_type": "image"}}), pin)
                .is_empty()
        );
        assert!(
            !spec
                .validate(&json!({"id": "1", "creative_type": "NOPE"}), pin)
                .is_empty(),
            "enum via allOf"
        );
        assert!(
            spec.validate(&json!({"id": "1", "creative_type": null}), pin)
                .is_empty(),
            "nullable allOf"
        );
        assert!(
            !spec
                .validate(
                    &json!({"id": "1", "name": "b", "privacy": "HIDDEN"}),
                    spec.schema("Board")
                )
                .is_empty()
        );
        let token = spec.schema("OauthAccessTokenResponse");
        let refresh = json!({"access_token": "a", "token_type": "bearer", "expires_in": 1, "scope": "",
            "response_type": "refresh_token"});
        assert!(
            !spec.validate(&refresh, token).is_empty(),
            "discriminator requires refresh_token"
        );
        assert!(is_date_time("2024-01-01T20:10:40") && is_date_time("2024-01-01T20:10:40.5Z"));
        assert!(!is_date_time("2024-13-01T20:10:40") && !is_date_time("2024-01-01 20:10:40"));
    }
}
