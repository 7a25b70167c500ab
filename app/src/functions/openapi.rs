//! Reads an OpenAPI 3 document (as JSON) into the API reference page's view
//! model: every operation with its parameters, request body and answers,
//! local `$ref`s resolved, schemas as outlines a person can read, and a `curl`
//! example against this pinbridge. Nothing is fetched: the page is plain HTML.

use serde_json::{Map, Value};

use crate::models::{
    ApiDocumentView, OperationView, ParameterView, ProblemTypeView, RequestBodyView, ResponseView,
    SchemaNode, curl_command,
};

/// Path item keys that are operations, in the order the specification lists them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Schemas nest at most this deep in an outline (and in an example body).
const DEPTH_MAX: u32 = 8;
/// `$ref`s followed one after another at most (a longer chain is a loop).
const REF_CHAIN_MAX: u32 = 16;

/// Where the document's requests go: `public_url` and the path of its first
/// server (`/v1` of `"servers": [{"url": "/v1"}]` or of a full URL), if any.
pub fn base_url(doc: &Value, public_url: &str) -> String {
    let server = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("");
    let path = if server.starts_with('/') {
        server.to_owned()
    } else {
        url::Url::parse(server)
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    };
    format!(
        "{}{}",
        public_url.trim_end_matches('/'),
        path.trim_end_matches('/')
    )
}

/// The document as the reference page shows it; requests go to `base_url`.
pub fn read(doc: &Value, base_url: &str) -> ApiDocumentView {
    // Outlined through a reference, so the outline is titled with its name.
    let problem = json_ref("Problem");
    let reader = Reader { root: doc };
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    ApiDocumentView {
        title: text("/info/title").unwrap_or_else(|| "API".to_owned()),
        version: text("/info/version").unwrap_or_default(),
        description: text("/info/description").filter(|d| !d.trim().is_empty()),
        operations: reader.operations(base_url),
        problem: doc
            .pointer("/components/schemas/Problem")
            .map(|_| reader.outline(&problem, None, true)),
        problem_types: problem_types(doc),
    }
}

fn json_ref(schema: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{schema}") })
}

/// The root extension `x-problem-types`: `[{type, title, status, description}]`.
fn problem_types(doc: &Value) -> Vec<ProblemTypeView> {
    let Some(list) = doc.get("x-problem-types").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            Some(ProblemTypeView {
                type_uri: p.get("type")?.as_str()?.to_owned(),
                title: str_of(p, "title").unwrap_or_default(),
                status: p.get("status").and_then(Value::as_i64),
                description: str_of(p, "description"),
            })
        })
        .collect()
}

fn str_of(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The last segment of a `$ref`: `Connection` of `#/components/schemas/Connection`.
fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

struct Reader<'a> {
    root: &'a Value,
}

impl<'a> Reader<'a> {
    /// `value`, or what its `$ref` (a local one, `#/…`) points to, and the
    /// name of the last reference followed.
    fn resolve(&self, mut value: &'a Value) -> (&'a Value, Option<&'a str>) {
        let mut name = None;
        for _ in 0..REF_CHAIN_MAX {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return (value, name);
            };
            let Some(target) = reference
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer))
            else {
                // Not in this document: shown by its name, without details.
                return (&Value::Null, Some(ref_name(reference)));
            };
            name = Some(ref_name(reference));
            value = target;
        }
        (&Value::Null, name)
    }

    fn operations(&self, base_url: &str) -> Vec<OperationView> {
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut anchors = Vec::new();
        for (path, item) in paths {
            let (item, _) = self.resolve(item);
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let mut view = self.operation(path, method, item, op, base_url);
                    view.anchor = unique(&mut anchors, view.anchor);
                    out.push(view);
                }
            }
        }
        // Grouped by tag, in the order the document's `tags` lists them.
        let declared: Vec<&str> = self
            .root
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.get("name")?.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let mut seen: Vec<String> = Vec::new();
        for op in &out {
            if let Some(tag) = &op.tag
                && !declared.contains(&tag.as_str())
                && !seen.contains(tag)
            {
                seen.push(tag.clone());
            }
        }
        let rank = |tag: &Option<String>| match tag {
            Some(t) => declared
                .iter()
                .position(|d| d == t)
                .or_else(|| seen.iter().position(|s| s == t).map(|i| declared.len() + i))
                .unwrap_or(usize::MAX - 1),
            None => usize::MAX,
        };
        out.sort_by_key(|op| rank(&op.tag));
        out
    }

    fn operation(
        &self,
        path: &str,
        method: &str,
        item: &'a Value,
        op: &'a Value,
        base_url: &str,
    ) -> OperationView {
        let parameters = self.parameters(item, op);
        let request_body = self.request_body(op);
        // An explicit `"security": []` means no key is needed; else the document's default.
        let security = op.get("security").or_else(|| self.root.get("security"));
        let authorized = security
            .and_then(Value::as_array)
            .is_none_or(|s| !s.is_empty());
        let query: Vec<String> = parameters
            .iter()
            .filter(|p| p.location == "query" && p.required)
            .map(|p| format!("{0}={{{0}}}", p.name))
            .collect();
        let url = if query.is_empty() {
            format!("{base_url}{path}")
        } else {
            format!("{base_url}{path}?{}", query.join("&"))
        };
        let body = self.example_body(op);
        let anchor = str_of(op, "operationId").unwrap_or_else(|| format!("{method}-{path}"));
        OperationView {
            anchor: anchor_of(&anchor),
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            summary: str_of(op, "summary"),
            description: str_of(op, "description"),
            tag: op
                .get("tags")
                .and_then(|t| t.get(0))
                .and_then(Value::as_str)
                .map(str::to_owned),
            deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
            authorized,
            parameters,
            request_body,
            responses: self.responses(op),
            curl: curl_command(method, &url, authorized, body.as_deref()),
        }
    }

    /// The path item's parameters and the operation's, which replace those of
    /// the same name and place.
    fn parameters(&self, item: &'a Value, op: &'a Value) -> Vec<ParameterView> {
        let list = |v: &'a Value| {
            v.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| self.resolve(p).0)
                .filter(|p| p.is_object())
        };
        let key = |p: &Value| (str_of(p, "name"), str_of(p, "in"));
        let own: Vec<&Value> = list(op).collect();
        let mut all: Vec<&Value> = list(item)
            .filter(|p| !own.iter().any(|o| key(o) == key(p)))
            .collect();
        all.extend(own);
        all.into_iter()
            .map(|p| {
                let location = str_of(p, "in").unwrap_or_default();
                ParameterView {
                    name: str_of(p, "name").unwrap_or_default(),
                    required: location == "path"
                        || p.get("required").and_then(Value::as_bool) == Some(true),
                    location,
                    schema_type: p
                        .get("schema")
                        .map_or_else(|| "string".to_owned(), |s| self.type_text(s, 0)),
                    description: str_of(p, "description"),
                }
            })
            .collect()
    }

    /// The content of a request body or an answer: JSON if offered, else the first.
    fn content(&self, holder: &'a Value) -> Option<(&'a str, &'a Value)> {
        let content = holder.get("content")?.as_object()?;
        content
            .iter()
            .find(|(kind, _)| kind.contains("json"))
            .or_else(|| content.iter().next())
            .map(|(kind, media)| (kind.as_str(), media))
    }

    fn request_body(&self, op: &'a Value) -> Option<RequestBodyView> {
        let (body, _) = self.resolve(op.get("requestBody")?);
        let (content_type, media) = self.content(body)?;
        let required = body.get("required").and_then(Value::as_bool) == Some(true);
        let mut schema = self.outline(media.get("schema")?, None, required);
        if schema.description.is_none() {
            schema.description = str_of(body, "description");
        }
        Some(RequestBodyView {
            content_type: content_type.to_owned(),
            required,
            schema,
        })
    }

    fn responses(&self, op: &'a Value) -> Vec<ResponseView> {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out: Vec<ResponseView> = responses
            .iter()
            .map(|(status, response)| {
                let (response, _) = self.resolve(response);
                let content = self.content(response);
                let schema = content
                    .and_then(|(_, media)| media.get("schema"))
                    .map(|s| match self.resolve(s) {
                        (_, Some(name)) => name.to_owned(),
                        _ => self.type_text(s, 0),
                    });
                let content_type = content.map(|(kind, _)| kind.to_owned());
                ResponseView {
                    status: status.clone(),
                    description: str_of(response, "description"),
                    problem: content_type
                        .as_deref()
                        .is_some_and(|k| k.contains("problem+json"))
                        || schema.as_deref() == Some("Problem"),
                    content_type,
                    schema,
                }
            })
            .collect();
        // 200 before 404 before `default`, whichever order the document keeps.
        out.sort_by_key(|r| {
            let code = r.status.replace(['X', 'x'], "0");
            code.parse::<u32>().unwrap_or(u32::MAX)
        });
        out
    }

    /// A readable type: `string (date-time)`, `array of object (Pin)`,
    /// `"active" | "revoked"`, `integer | null`, `object (Connection)`.
    fn type_text(&self, schema: &'a Value, depth: u32) -> String {
        let (s, name) = self.resolve(schema);
        if depth > DEPTH_MAX {
            return name.unwrap_or("…").to_owned();
        }
        let base = self.base_type(s, depth);
        match name {
            Some(name) if base == "object" || base == "any" => format!("object ({name})"),
            Some(name) => format!("{base} ({name})"),
            None => base,
        }
    }

    fn base_type(&self, s: &'a Value, depth: u32) -> String {
        if let Some(value) = s.get("const") {
            return value.to_string();
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(" | ");
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(variants) = s.get(key).and_then(Value::as_array) {
                return variants
                    .iter()
                    .map(|v| self.type_text(v, depth + 1))
                    .collect::<Vec<_>>()
                    .join(" | ");
            }
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            let mut text = match parts.as_slice() {
                [one] => self.type_text(one, depth + 1),
                _ => "object".to_owned(),
            };
            if s.get("nullable").and_then(Value::as_bool) == Some(true) {
                text.push_str(" | null");
            }
            return text;
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ if s.get("properties").is_some() => vec!["object"],
            _ => Vec::new(),
        };
        if types.is_empty() {
            return "any".to_owned();
        }
        let mut texts: Vec<String> = types
            .into_iter()
            .map(|t| match t {
                "array" => format!(
                    "array of {}",
                    s.get("items")
                        .map_or_else(|| "any".to_owned(), |i| self.type_text(i, depth + 1))
                ),
                "object" => match s.get("additionalProperties") {
                    Some(extra @ Value::Object(_)) if s.get("properties").is_none() => {
                        format!("map of {}", self.type_text(extra, depth + 1))
                    }
                    _ => "object".to_owned(),
                },
                other => match s.get("format").and_then(Value::as_str) {
                    Some(format) => format!("{other} ({format})"),
                    None => other.to_owned(),
                },
            })
            .collect();
        if s.get("nullable").and_then(Value::as_bool) == Some(true) {
            texts.push("null".to_owned());
        }
        texts.join(" | ")
    }

    /// `schema` with its fields, for a request body or the problem body.
    fn outline(&self, schema: &'a Value, name: Option<String>, required: bool) -> SchemaNode {
        let (resolved, _) = self.resolve(schema);
        SchemaNode {
            name,
            type_text: self.type_text(schema, 0),
            required,
            description: str_of(resolved, "description"),
            children: self.children(schema, 0, &mut Vec::new()),
        }
    }

    /// The fields of an object (of the items of an array, of the parts of an
    /// `allOf`, of the alternatives of a `oneOf`). A schema met again inside
    /// itself is named, not expanded again.
    fn children(&self, schema: &'a Value, depth: u32, seen: &mut Vec<&'a str>) -> Vec<SchemaNode> {
        let (s, name) = self.resolve(schema);
        if depth > DEPTH_MAX || name.is_some_and(|n| seen.contains(&n)) {
            return Vec::new();
        }
        if let Some(name) = name {
            seen.push(name);
        }
        let mut out = Vec::new();
        if let Some(properties) = s.get("properties").and_then(Value::as_object) {
            out.extend(self.properties(s, properties, depth, seen));
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            for part in parts {
                out.extend(self.children(part, depth, seen));
            }
        }
        for key in ["oneOf", "anyOf"] {
            let variants: Vec<&Value> = s
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| self.resolve(v).0.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            match variants.as_slice() {
                [] => {}
                [one] => out.extend(self.children(one, depth, seen)),
                many => out.extend(many.iter().map(|v| SchemaNode {
                    name: None,
                    type_text: format!("one of: {}", self.type_text(v, depth + 1)),
                    required: false,
                    description: str_of(self.resolve(v).0, "description"),
                    children: self.children(v, depth + 1, seen),
                })),
            }
        }
        if let Some(items) = s.get("items") {
            out.extend(self.children(items, depth, seen));
        }
        if let Some(extra @ Value::Object(_)) = s.get("additionalProperties")
            && s.get("properties").is_none()
        {
            out.extend(self.children(extra, depth, seen));
        }
        if name.is_some() {
            seen.pop();
        }
        out
    }

    fn properties(
        &self,
        s: &'a Value,
        properties: &'a Map<String, Value>,
        depth: u32,
        seen: &mut Vec<&'a str>,
    ) -> Vec<SchemaNode> {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Required fields first, as `required` lists them; then the others in
        // the document's order (or by name, as the JSON reader keeps them).
        let mut properties: Vec<(&String, &'a Value)> = properties.iter().collect();
        properties
            .sort_by_key(|(key, _)| required.iter().position(|r| r == key).unwrap_or(usize::MAX));
        properties
            .into_iter()
            .map(|(key, property)| SchemaNode {
                name: Some(key.clone()),
                type_text: self.type_text(property, depth + 1),
                required: required.contains(&key.as_str()),
                description: str_of(property, "description")
                    .or_else(|| str_of(self.resolve(property).0, "description")),
                children: self.children(property, depth + 1, seen),
            })
            .collect()
    }

    /// A JSON body for the example: the document's example if it has one,
    /// else one made from the schema.
    fn example_body(&self, op: &'a Value) -> Option<String> {
        let (body, _) = self.resolve(op.get("requestBody")?);
        let (_, media) = self.content(body)?;
        let example = match media.get("example") {
            Some(example) => example.clone(),
            None => self.example(media.get("schema")?, 0),
        };
        serde_json::to_string(&example).ok()
    }

    fn example(&self, schema: &'a Value, depth: u32) -> Value {
        let (s, _) = self.resolve(schema);
        if depth > DEPTH_MAX {
            return Value::Null;
        }
        for key in ["example", "default", "const"] {
            if let Some(v) = s.get(key) {
                return v.clone();
            }
        }
        if let Some(first) = s.get("examples").and_then(|e| e.get(0)) {
            return first.clone();
        }
        if let Some(first) = s.get("enum").and_then(|e| e.get(0)) {
            return first.clone();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(variants) = s.get(key).and_then(Value::as_array) {
                let first = variants.iter().find(|v| {
                    self.resolve(v).0.get("type").and_then(Value::as_str) != Some("null")
                });
                return first.map_or(Value::Null, |v| self.example(v, depth + 1));
            }
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in parts {
                match self.example(part, depth + 1) {
                    Value::Object(fields) => merged.extend(fields),
                    other if parts.len() == 1 => return other,
                    _ => {}
                }
            }
            return Value::Object(merged);
        }
        let kind = match s.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if s.get("properties").is_some() => "object",
            _ => "",
        };
        match kind {
            "object" => {
                let Some(properties) = s.get("properties").and_then(Value::as_object) else {
                    return Value::Object(Map::new());
                };
                let required: Vec<&str> = s
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                // The required fields show what a call needs; with none, all of them.
                properties
                    .iter()
                    .filter(|(k, _)| required.is_empty() || required.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), self.example(v, depth + 1)))
                    .collect::<Map<_, _>>()
                    .into()
            }
            "array" => Value::Array(
                s.get("items")
                    .map(|i| vec![self.example(i, depth + 1)])
                    .unwrap_or_default(),
            ),
            "string" => match s.get("format").and_then(Value::as_str) {
                Some("date-time") => "2026-01-01T00:00:00Z".into(),
                Some("uri" | "url") => "https://example.com".into(),
                Some("email") => "person@example.com".into(),
                _ => "string".into(),
            },
            "integer" | "number" => 0.into(),
            "boolean" => false.into(),
            _ => Value::Null,
        }
    }
}

/// An element id: letters, digits, `-` and `_` only, prefixed so it cannot
/// clash with the page's own ids.
fn anchor_of(text: &str) -> String {
    let mut out = String::from("op-");
    let mut dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn unique(taken: &mut Vec<String>, anchor: String) -> String {
    let mut candidate = anchor.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{anchor}-{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

#[cfg(test)]
/// A small document shaped like pinbridge's: refs to schemas, parameters,
/// request bodies and answers; nullable and recursive schemas; problem types.
pub(crate) fn fixture() -> Value {
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "pinbridge API", "version": "1.2.3", "description": "Connections and tokens."},
        "servers": [{"url": "/v1"}],
        "security": [{"api_key": []}],
        "tags": [{"name": "connections"}, {"name": "meta"}],
        "x-problem-types": [
            {"type": "https://pinbridge.dev/problems/not-found", "title": "Not found", "status": 404,
             "description": "No such connection in this key's environment."},
            {"type": "https://pinbridge.dev/problems/rate-limited", "title": "Too many requests", "status": 429}
        ],
        "paths": {
            "/health": {
                "get": {"operationId": "health", "tags": ["meta"], "summary": "Is it up?", "security": [],
                        "responses": {"200": {"description": "Up."}}}
            },
            "/connections": {
                "get": {
                    "operationId": "list_connections", "tags": ["connections"],
                    "summary": "List connections",
                    "parameters": [
                        {"$ref": "#/components/parameters/Limit"},
                        {"name": "state", "in": "query", "required": true,
                         "schema": {"$ref": "#/components/schemas/Health"}, "description": "Only this state."}
                    ],
                    "responses": {
                        "200": {"description": "A page.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ConnectionPage"}}}},
                        "default": {"$ref": "#/components/responses/Problem"}
                    }
                }
            },
            "/connections/{connection_id}/access-token": {
                "parameters": [
                    {"name": "connection_id", "in": "path", "schema": {"type": "string", "format": "uuid"}}
                ],
                "post": {
                    "operationId": "access_token", "tags": ["connections"],
                    "summary": "Get an access token",
                    "requestBody": {"$ref": "#/components/requestBodies/TokenRequest"},
                    "responses": {
                        "404": {"$ref": "#/components/responses/Problem"},
                        "200": {"description": "The token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}}
                    }
                }
            }
        },
        "components": {
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "format": "int32", "maximum": 100}}
            },
            "requestBodies": {
                "TokenRequest": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenRequest"}}}}
            },
            "responses": {
                "Problem": {"description": "A problem.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            },
            "schemas": {
                "Health": {"type": "string", "enum": ["active", "revoked"]},
                "TokenRequest": {
                    "type": "object", "required": ["min_valid_secs"],
                    "properties": {
                        "min_valid_secs": {"type": "integer", "description": "Seconds it must stay valid.", "example": 300},
                        "note": {"type": ["string", "null"]}
                    }
                },
                "Token": {
                    "type": "object", "required": ["access_token"],
                    "properties": {
                        "access_token": {"type": "string"},
                        "expires_at": {"type": "string", "format": "date-time", "nullable": true}
                    }
                },
                "Connection": {
                    "type": "object", "required": ["id", "state"],
                    "properties": {
                        "id": {"type": "string"},
                        "state": {"$ref": "#/components/schemas/Health"},
                        "previous": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Connection"}],
                                     "description": "The connection this one replaced."}
                    }
                },
                "ConnectionPage": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Connection"}},
                        "next_cursor": {"type": "string", "nullable": true}
                    }
                },
                "Problem": {
                    "type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status"],
                    "properties": {
                        "type": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op<'a>(doc: &'a ApiDocumentView, id: &str) -> &'a OperationView {
        doc.operations
            .iter()
            .find(|o| o.anchor == format!("op-{id}"))
            .unwrap_or_else(|| panic!("no {id} in {:#?}", doc.operations))
    }

    #[test]
    fn the_base_url_follows_the_documents_server_path() {
        let doc = fixture();
        assert_eq!(
            base_url(&doc, "https://pb.example/"),
            "https://pb.example/v1"
        );
        let absolute = json!({"servers": [{"url": "https://elsewhere.example/v1/"}]});
        assert_eq!(
            base_url(&absolute, "https://pb.example"),
            "https://pb.example/v1"
        );
        assert_eq!(
            base_url(&json!({}), "https://pb.example"),
            "https://pb.example"
        );
    }

    #[test]
    fn every_operation_is_read_grouped_by_tag() {
        let doc = read(&fixture(), "https://pb.example/v1");
        assert_eq!(doc.title, "pinbridge API");
        assert_eq!(doc.version, "1.2.3");
        let listed: Vec<(&str, &str)> = doc
            .operations
            .iter()
            .map(|o| (o.method.as_str(), o.path.as_str()))
            .collect();
        assert_eq!(listed.len(), 3, "{listed:?}");
        for expected in [
            ("GET", "/connections"),
            ("POST", "/connections/{connection_id}/access-token"),
        ] {
            assert!(listed[..2].contains(&expected), "{listed:?}");
        }
        assert_eq!(listed[2], ("GET", "/health"), "the meta tag comes last");
    }

    #[test]
    fn parameters_are_resolved_and_merged_with_the_path_items() {
        let doc = read(&fixture(), "https://pb.example/v1");
        let list = op(&doc, "list_connections");
        assert_eq!(
            list.parameters,
            vec![
                ParameterView {
                    name: "limit".into(),
                    location: "query".into(),
                    required: false,
                    schema_type: "integer (int32)".into(),
                    description: None,
                },
                ParameterView {
                    name: "state".into(),
                    location: "query".into(),
                    required: true,
                    schema_type: "\"active\" | \"revoked\" (Health)".into(),
                    description: Some("Only this state.".into()),
                },
            ]
        );
        let token = op(&doc, "access_token");
        assert_eq!(token.parameters.len(), 1);
        assert_eq!(token.parameters[0].name, "connection_id");
        assert!(token.parameters[0].required, "path parameters always are");
        assert_eq!(token.parameters[0].schema_type, "string (uuid)");
    }

    #[test]
    fn request_bodies_and_answers_resolve_their_refs() {
        let doc = read(&fixture(), "https://pb.example/v1");
        let token = op(&doc, "access_token");
        let body = token.request_body.as_ref().expect("a body");
        assert_eq!(body.content_type, "application/json");
        assert!(body.required);
        assert_eq!(body.schema.type_text, "object (TokenRequest)");
        let fields: Vec<(&str, &str, bool)> = body
            .schema
            .children
            .iter()
            .map(|c| (c.name.as_deref().unwrap(), c.type_text.as_str(), c.required))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("min_valid_secs", "integer", true),
                ("note", "string | null", false)
            ]
        );
        assert_eq!(
            body.schema.children[0].description.as_deref(),
            Some("Seconds it must stay valid.")
        );
        let statuses: Vec<&str> = token.responses.iter().map(|r| r.status.as_str()).collect();
        assert_eq!(statuses, ["200", "404"], "sorted by status");
        assert_eq!(token.responses[0].schema.as_deref(), Some("Token"));
        assert!(!token.responses[0].problem);
        assert_eq!(token.responses[1].schema.as_deref(), Some("Problem"));
        assert_eq!(
            token.responses[1].description.as_deref(),
            Some("A problem.")
        );
        assert_eq!(
            token.responses[1].content_type.as_deref(),
            Some("application/problem+json")
        );
        assert!(token.responses[1].problem);
        let list = op(&doc, "list_connections");
        assert_eq!(list.responses.last().unwrap().status, "default");
    }

    #[test]
    fn nested_and_recursive_schemas_are_outlined_once() {
        let doc = fixture();
        let page_ref = json_ref("ConnectionPage");
        let reader = Reader { root: &doc };
        let page = reader.outline(&page_ref, None, true);
        assert_eq!(page.type_text, "object (ConnectionPage)");
        let items = &page.children[0];
        assert_eq!(items.name.as_deref(), Some("items"));
        assert_eq!(items.type_text, "array of object (Connection)");
        let names: Vec<&str> = items
            .children
            .iter()
            .filter_map(|c| c.name.as_deref())
            .collect();
        assert_eq!(names, ["id", "state", "previous"]);
        let previous = &items.children[2];
        assert_eq!(previous.type_text, "null | object (Connection)");
        assert_eq!(
            previous.description.as_deref(),
            Some("The connection this one replaced.")
        );
        assert!(previous.children.is_empty(), "not expanded inside itself");
        assert_eq!(page.children[1].type_text, "string | null");
    }

    #[test]
    fn curl_examples_use_the_base_url_the_key_and_a_body() {
        let doc = read(&fixture(), "https://pb.example/v1");
        assert_eq!(
            op(&doc, "access_token").curl,
            "curl -X POST \"https://pb.example/v1/connections/{connection_id}/access-token\" \\\n  \
             -H \"Authorization: Bearer $PINBRIDGE_API_KEY\" \\\n  \
             -H \"Content-Type: application/json\" \\\n  \
             -d '{\"min_valid_secs\":300}'"
        );
        assert_eq!(
            op(&doc, "list_connections").curl,
            "curl \"https://pb.example/v1/connections?state={state}\" \\\n  \
             -H \"Authorization: Bearer $PINBRIDGE_API_KEY\""
        );
        assert_eq!(
            op(&doc, "health").curl,
            "curl \"https://pb.example/v1/health\"",
            "`security: []` needs no key"
        );
    }

    #[test]
    fn problems_and_their_types_are_listed() {
        let doc = read(&fixture(), "https://pb.example/v1");
        let problem = doc.problem.expect("the Problem schema");
        assert_eq!(
            problem.description.as_deref(),
            Some("RFC 9457 problem details.")
        );
        let required: Vec<&str> = problem
            .children
            .iter()
            .filter(|c| c.required)
            .filter_map(|c| c.name.as_deref())
            .collect();
        assert_eq!(required, ["type", "title", "status"]);
        assert_eq!(doc.problem_types.len(), 2);
        assert_eq!(doc.problem_types[0].status, Some(404));
        assert_eq!(doc.problem_types[1].title, "Too many requests");
        assert_eq!(doc.problem_types[1].description, None);
        // Without the extension or the schema, nothing is made up.
        let bare = read(&json!({"paths": {}}), "https://pb.example");
        assert!(bare.problem.is_none() && bare.problem_types.is_empty());
        assert!(bare.operations.is_empty());
    }

    #[test]
    fn broken_and_looping_refs_do_not_hang() {
        let doc = json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "other.json#/Thing"}}}}}
            }}},
            "components": {"schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"$ref": "#/components/schemas/A"}
            }}
        });
        let read = read(&doc, "https://pb.example");
        let op = &read.operations[0];
        assert_eq!(op.anchor, "op-post-x");
        assert_eq!(op.responses[0].schema.as_deref(), Some("Thing"));
        assert!(op.request_body.as_ref().unwrap().schema.children.is_empty());
    }

    #[test]
    fn anchors_are_safe_and_unique() {
        assert_eq!(anchor_of("get-/connections/{id}"), "op-get-connections-id");
        let mut taken = Vec::new();
        assert_eq!(unique(&mut taken, "op-a".into()), "op-a");
        assert_eq!(unique(&mut taken, "op-a".into()), "op-a-2");
    }
}
