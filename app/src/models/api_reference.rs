//! What the API reference page shows, as sent to the browser: pinbridge's
//! OpenAPI document read for people, and `curl` examples.

use serde::{Deserialize, Serialize};

use super::{API_KEY_VARIABLE, EnvironmentView};

/// A `curl` command for one request to pinbridge's API, one option per line.
pub fn curl_command(method: &str, url: &str, authorized: bool, body: Option<&str>) -> String {
    let mut lines = vec![if method.eq_ignore_ascii_case("GET") {
        format!("curl \"{url}\"")
    } else {
        format!("curl -X {} \"{url}\"", method.to_ascii_uppercase())
    }];
    if authorized {
        lines.push(format!("-H \"Authorization: Bearer {API_KEY_VARIABLE}\""));
    }
    if let Some(body) = body {
        lines.push("-H \"Content-Type: application/json\"".to_owned());
        // Single quotes keep the shell away from the JSON; a quote inside is closed and reopened.
        lines.push(format!("-d '{}'", body.replace('\'', r"'\''")));
    }
    lines.join(" \\\n  ")
}

/// The API reference: every operation of the document the server serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiReferenceView {
    pub environment: EnvironmentView,
    /// Requests go here (`{public_url}` and the document's server path).
    pub base_url: String,
    /// `None` when this server has no document to show.
    pub document: Option<ApiDocumentView>,
}

/// An OpenAPI document, read for people.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiDocumentView {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    /// In the document's order of paths, then methods.
    pub operations: Vec<OperationView>,
    /// `components.schemas.Problem`: the body of every error answer.
    pub problem: Option<SchemaNode>,
    /// The document's `x-problem-types`: each error's `type` and what it means.
    pub problem_types: Vec<ProblemTypeView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    /// The element id the contents link to.
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub tag: Option<String>,
    pub deprecated: bool,
    /// Needs an API key (`security` is not empty).
    pub authorized: bool,
    pub parameters: Vec<ParameterView>,
    pub request_body: Option<RequestBodyView>,
    pub responses: Vec<ResponseView>,
    pub curl: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterView {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    pub schema_type: String,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestBodyView {
    pub content_type: String,
    pub required: bool,
    pub schema: SchemaNode,
}

/// One value of a schema and, for objects and arrays of objects, its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaNode {
    /// The property name (`None` for the top and for alternatives).
    pub name: Option<String>,
    /// `string (date-time)`, `array of object (Connection)`, `"a" | "b"`…
    pub type_text: String,
    pub required: bool,
    pub description: Option<String>,
    pub children: Vec<SchemaNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseView {
    /// `200`, `4XX`, `default`.
    pub status: String,
    pub description: Option<String>,
    pub content_type: Option<String>,
    /// The schema's name (or type, when it has none).
    pub schema: Option<String>,
    /// An `application/problem+json` answer.
    pub problem: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemTypeView {
    pub type_uri: String,
    pub title: String,
    pub status: Option<i64>,
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_commands_quote_and_authorize() {
        assert_eq!(
            curl_command("get", "https://pb.example/v1/connections", true, None),
            "curl \"https://pb.example/v1/connections\" \\\n  -H \"Authorization: Bearer $PINBRIDGE_API_KEY\""
        );
        assert_eq!(
            curl_command(
                "POST",
                "https://pb.example/v1/x",
                false,
                Some(r#"{"a":"it's"}"#)
            ),
            "curl -X POST \"https://pb.example/v1/x\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{\"a\":\"it'\\''s\"}'"
        );
    }
}
