//! Dynamic client registration (RFC 7591): an assistant registers its name
//! and redirect URIs and gets a client id (and a secret, when it says it can
//! keep one). Everything it sends is checked before anything is stored.

use serde_json::{Map, Value, json};

use super::{OAuthError, SECRET_PREFIX};
use crate::Services;
use crate::api::key;
use crate::db::now_ms;
use crate::db::repo::agent_oauth::{self as rows, ClientRow};
use crate::shared::AgentScope;

/// The largest registration request read.
pub const BODY_MAX: usize = 16 * 1024;
/// Redirect URIs one client may register, and the longest one.
pub const REDIRECT_URIS_MAX: usize = 10;
pub const REDIRECT_URI_LEN_MAX: usize = 2000;
/// The longest client name kept.
pub const NAME_MAX: usize = 100;
/// Registrations nobody has used yet that pinbridge holds from one day; past
/// that new ones wait (a flood of registrations).
pub const UNUSED_PER_DAY_MAX: i64 = 10_000;

/// How clients authenticate at the token endpoint.
pub const AUTH_METHODS: [&str; 3] = ["none", "client_secret_post", "client_secret_basic"];

/// A client just registered: the RFC 7591 §3.2.1 answer (with the secret,
/// shown this once).
#[derive(Clone)]
pub struct RegisteredClient {
    pub client_id: String,
    pub body: Value,
}

/// Never the body: it holds the client secret.
impl std::fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegisteredClient({}, …redacted)", self.client_id)
    }
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(400, "invalid_client_metadata", description)
}

fn redirect_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(400, "invalid_redirect_uri", description)
}

/// Registers a client from the request body; `ip` is the caller's address.
pub async fn register(
    services: &Services,
    body: &[u8],
    ip: Option<&str>,
) -> Result<RegisteredClient, OAuthError> {
    if body.len() > BODY_MAX {
        return Err(metadata_error(format!(
            "The registration request is larger than {BODY_MAX} bytes."
        )));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| metadata_error(format!("The registration request is not JSON: {e}.")))?;
    let Value::Object(request) = value else {
        return Err(metadata_error(
            "The registration request must be a JSON object of client metadata.",
        ));
    };
    let client = Checked::from(&request)?;
    let now = now_ms();
    let unused = rows::count_unused_since(&services.db, now - 24 * 3600 * 1000).await?;
    if unused >= UNUSED_PER_DAY_MAX {
        tracing::warn!("agent client registrations at their daily limit: one was refused");
        return Err(OAuthError::new(
            429,
            "temporarily_unavailable",
            "pinbridge holds as many new client registrations as it may today; try again later.",
        ));
    }
    let client_id = format!("pbc_{}", uuid::Uuid::new_v4().simple());
    let secret = (client.auth_method != "none").then(|| key::generate_prefixed(SECRET_PREFIX));
    let mut answer = client.metadata.clone();
    answer.insert("client_id".into(), client_id.clone().into());
    answer.insert("client_id_issued_at".into(), (now / 1000).into());
    rows::insert_client(
        &services.db,
        &ClientRow {
            id: client_id.clone(),
            name: client.name.clone(),
            redirect_uris: serde_json::to_string(&client.redirect_uris).unwrap_or_default(),
            auth_method: client.auth_method.clone(),
            secret_hash: secret.as_ref().map(|(_, hash)| hash.as_str().to_owned()),
            metadata: Value::Object(client.metadata).to_string(),
            created_at: now,
            registered_ip: ip.map(str::to_owned),
            fetched_at: None,
        },
    )
    .await?;
    if let Some((text, _)) = &secret {
        answer.insert("client_secret".into(), text.expose().into());
        answer.insert("client_secret_expires_at".into(), 0.into());
    }
    Ok(RegisteredClient {
        client_id,
        body: Value::Object(answer),
    })
}

/// A registration request that passed every check, and the metadata kept.
struct Checked {
    name: String,
    redirect_uris: Vec<String>,
    auth_method: String,
    metadata: Map<String, Value>,
}

impl Checked {
    fn from(request: &Map<String, Value>) -> Result<Self, OAuthError> {
        let redirect_uris = redirect_uris(request.get("redirect_uris"))?;
        let auth_method = match request.get("token_endpoint_auth_method") {
            // RFC 7591 §2: the default is client_secret_basic.
            None | Some(Value::Null) => "client_secret_basic".to_owned(),
            Some(Value::String(m)) if AUTH_METHODS.contains(&m.as_str()) => m.clone(),
            Some(other) => {
                return Err(metadata_error(format!(
                    "token_endpoint_auth_method {} is not supported: use one of {}.",
                    short(other),
                    AUTH_METHODS.join(", ")
                )));
            }
        };
        let grant_types = string_list(request, "grant_types", &["authorization_code"])?;
        if let Some(unknown) = grant_types
            .iter()
            .find(|g| !["authorization_code", "refresh_token"].contains(&g.as_str()))
        {
            return Err(metadata_error(format!(
                "Grant type \u{201c}{}\u{201d} is not supported: pinbridge issues tokens for authorization_code and refresh_token.",
                unknown.chars().take(100).collect::<String>()
            )));
        }
        if !grant_types.iter().any(|g| g == "authorization_code") {
            return Err(metadata_error(
                "grant_types must include authorization_code: it is how an end user lets an assistant in.",
            ));
        }
        let response_types = string_list(request, "response_types", &["code"])?;
        if response_types.iter().any(|r| r != "code") {
            return Err(metadata_error(
                "Only the response type \u{201c}code\u{201d} is supported.",
            ));
        }
        let name = match request.get("client_name") {
            None | Some(Value::Null) => "An unnamed assistant".to_owned(),
            Some(Value::String(name)) => {
                let name = name.trim();
                if name.is_empty() || name.chars().count() > NAME_MAX {
                    return Err(metadata_error(format!(
                        "client_name must be 1 to {NAME_MAX} characters."
                    )));
                }
                if name.chars().any(char::is_control) {
                    return Err(metadata_error(
                        "client_name must not contain control characters.",
                    ));
                }
                name.to_owned()
            }
            Some(other) => {
                return Err(metadata_error(format!(
                    "client_name must be a string, not {}.",
                    short(other)
                )));
            }
        };
        let scope = match request.get("scope") {
            None | Some(Value::Null) => None,
            Some(Value::String(scope)) => {
                if AgentScope::parse_list(scope).is_none() {
                    return Err(metadata_error(format!(
                        "Unknown scope in \u{201c}{}\u{201d}: pinbridge grants {}.",
                        scope.chars().take(100).collect::<String>(),
                        AgentScope::join(&AgentScope::ALL)
                    )));
                }
                Some(scope.clone())
            }
            Some(other) => {
                return Err(metadata_error(format!(
                    "scope must be a space-separated string, not {}.",
                    short(other)
                )));
            }
        };
        for field in ["client_uri", "logo_uri", "tos_uri", "policy_uri"] {
            if let Some(v) = request.get(field).filter(|v| !v.is_null()) {
                let ok = v.as_str().is_some_and(|u| {
                    u.len() <= REDIRECT_URI_LEN_MAX
                        && url::Url::parse(u)
                            .is_ok_and(|u| u.scheme() == "https" || u.scheme() == "http")
                });
                if !ok {
                    return Err(metadata_error(format!("{field} must be an http(s) URL.")));
                }
            }
        }
        // What is kept and answered: the fields pinbridge understood.
        let mut metadata = Map::new();
        metadata.insert("client_name".into(), name.clone().into());
        metadata.insert("redirect_uris".into(), json!(redirect_uris));
        metadata.insert("grant_types".into(), json!(grant_types));
        metadata.insert("response_types".into(), json!(response_types));
        metadata.insert(
            "token_endpoint_auth_method".into(),
            auth_method.clone().into(),
        );
        if let Some(scope) = scope {
            metadata.insert("scope".into(), scope.into());
        }
        for field in [
            "client_uri",
            "logo_uri",
            "tos_uri",
            "policy_uri",
            "software_id",
            "software_version",
        ] {
            if let Some(Value::String(v)) = request.get(field) {
                metadata.insert(
                    field.into(),
                    v.chars()
                        .take(REDIRECT_URI_LEN_MAX)
                        .collect::<String>()
                        .into(),
                );
            }
        }
        Ok(Self {
            name,
            redirect_uris,
            auth_method,
            metadata,
        })
    }
}

/// A JSON value in a message, cut short.
fn short(value: &Value) -> String {
    value.to_string().chars().take(60).collect()
}

fn string_list(
    request: &Map<String, Value>,
    field: &str,
    default: &[&str],
) -> Result<Vec<String>, OAuthError> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(default.iter().map(|s| (*s).to_owned()).collect()),
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 10 => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| metadata_error(format!("{field} must be an array of strings.")))
            })
            .collect(),
        Some(_) => Err(metadata_error(format!(
            "{field} must be a non-empty array of at most 10 strings."
        ))),
    }
}

fn redirect_uris(value: Option<&Value>) -> Result<Vec<String>, OAuthError> {
    let Some(Value::Array(items)) = value else {
        return Err(redirect_error(
            "redirect_uris is required: an array of the URIs the end user returns to.",
        ));
    };
    if items.is_empty() || items.len() > REDIRECT_URIS_MAX {
        return Err(redirect_error(format!(
            "redirect_uris must hold 1 to {REDIRECT_URIS_MAX} URIs."
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Some(text) = item.as_str() else {
            return Err(redirect_error("redirect_uris must be an array of strings."));
        };
        check_redirect_uri(text)?;
        if !out.iter().any(|u| u == text) {
            out.push(text.to_owned());
        }
    }
    Ok(out)
}

/// Whether the URL's host is this machine: 127.0.0.0/8, [::1] or localhost.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A redirect URI pinbridge will send codes to: https, or http on a loopback
/// address (the MCP specification's rule), absolute, without a fragment or
/// credentials.
pub fn check_redirect_uri(text: &str) -> Result<(), OAuthError> {
    let shown: String = text.chars().take(100).collect();
    if text.len() > REDIRECT_URI_LEN_MAX {
        return Err(redirect_error(format!(
            "A redirect URI may be at most {REDIRECT_URI_LEN_MAX} characters."
        )));
    }
    let url = url::Url::parse(text).map_err(|e| {
        redirect_error(format!(
            "\u{201c}{shown}\u{201d} is not an absolute URI: {e}."
        ))
    })?;
    if url.fragment().is_some() {
        return Err(redirect_error(format!(
            "\u{201c}{shown}\u{201d} has a fragment (#…): a redirect URI must not."
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(redirect_error(format!(
            "\u{201c}{shown}\u{201d} holds credentials: a redirect URI must not."
        )));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err(redirect_error(format!(
            "\u{201c}{shown}\u{201d} is not allowed: a redirect URI must use https, or http on a loopback address (127.0.0.1, [::1] or localhost)."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_only() {
        for ok in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://localhost:8080/cb",
            "http://[::1]:9000/cb?x=1",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://assistant.example/cb",
            "javascript:alert(1)",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "https://a.example/cb#frag",
            "https://user:pw@a.example/cb",
            "/relative/cb",
            "http://127.0.0.1.evil.example/cb",
            "data:text/html,hi",
        ] {
            let e = check_redirect_uri(bad).unwrap_err();
            assert_eq!(e.error, "invalid_redirect_uri", "{bad}");
        }
        assert!(check_redirect_uri(&format!("https://a.example/{}", "x".repeat(2000))).is_err());
    }

    fn checked(v: Value) -> Result<Checked, OAuthError> {
        Checked::from(v.as_object().unwrap())
    }

    #[test]
    fn metadata_is_checked_field_by_field() {
        let ok = checked(json!({
            "client_name": "Claude",
            "redirect_uris": ["https://claude.ai/cb", "https://claude.ai/cb"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "extra": {"ignored": true}
        }))
        .unwrap();
        assert_eq!(ok.name, "Claude");
        assert_eq!(ok.redirect_uris, vec!["https://claude.ai/cb"]);
        assert_eq!(ok.auth_method, "none");
        assert!(!ok.metadata.contains_key("extra"));
        // RFC 7591's defaults.
        let default = checked(json!({"redirect_uris": ["https://a.example/cb"]})).unwrap();
        assert_eq!(default.auth_method, "client_secret_basic");
        assert_eq!(
            default.metadata["grant_types"],
            json!(["authorization_code"])
        );

        let refused = |v: Value, code: &str, says: &str| {
            let e = checked(v.clone())
                .err()
                .unwrap_or_else(|| panic!("accepted {v}"));
            assert_eq!(e.error, code, "{v}");
            assert!(e.description.contains(says), "{v}: {}", e.description);
        };
        refused(json!({}), "invalid_redirect_uri", "required");
        refused(
            json!({"redirect_uris": []}),
            "invalid_redirect_uri",
            "1 to 10",
        );
        refused(
            json!({"redirect_uris": "https://a.example/cb"}),
            "invalid_redirect_uri",
            "required",
        );
        refused(
            json!({"redirect_uris": [7]}),
            "invalid_redirect_uri",
            "strings",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
            "client_credentials",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["implicit"]}),
            "invalid_client_metadata",
            "implicit",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["refresh_token"]}),
            "invalid_client_metadata",
            "must include authorization_code",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
            "invalid_client_metadata",
            "code",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
            "private_key_jwt",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "client_name": "x".repeat(101)}),
            "invalid_client_metadata",
            "client_name",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "client_name": "a\u{0}b"}),
            "invalid_client_metadata",
            "control",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "scope": "pinterest:admin"}),
            "invalid_client_metadata",
            "pinterest:admin",
        );
        refused(
            json!({"redirect_uris": ["https://a.example/cb"], "logo_uri": "javascript:x"}),
            "invalid_client_metadata",
            "logo_uri",
        );
    }
}
