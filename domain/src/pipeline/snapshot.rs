//! One environment's integration configuration as items: what the drift view
//! compares and a promotion copies.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::model::{PipelineError, Section, Side};
use crate::crypto::{KeyRing, SecretString};
use crate::db::repo::agent_sign_in::{self, SignInRow};
use crate::db::repo::environments::EnvironmentRow;
use crate::db::repo::pinterest_settings::{self, PinterestSettingsRow};
use crate::db::repo::pipeline::{self as rows, EndpointConfigRow, KeyConfigRow};
use crate::db::tx::Tx;
use crate::pinterest::ScopeSet;
use crate::shared::{ApiPermission, WebhookEventType};

pub(super) const APP_ID: &str = "pinterest.app_id";
pub(super) const APP_SECRET: &str = "pinterest.secret";
pub(super) const API: &str = "pinterest.api";
pub(super) const SCOPES: &str = "pinterest.scopes";
pub(super) const ENABLED: &str = "pinterest.enabled";
pub(super) const ORIGIN: &str = "return_origin:";
pub(super) const WEBHOOK: &str = "webhook:";
pub(super) const API_KEY: &str = "api_key:";
pub(super) const ISSUER: &str = "agent_sign_in.issuer";
pub(super) const SIGN_IN_CLIENT: &str = "agent_sign_in.client_id";
pub(super) const USER_CLAIM: &str = "agent_sign_in.user_claim";
pub(super) const SIGN_IN_SECRET: &str = "agent_sign_in.secret";

/// What an item holds for a promotion to copy.
#[derive(Clone, Debug)]
pub(super) enum Payload {
    /// A field of the Pinterest settings or the sign-in settings (read from
    /// the snapshot's row when copied).
    Field,
    Origin,
    Endpoint(EndpointConfigRow),
    Key(KeyConfigRow),
}

#[derive(Clone, Debug)]
pub(super) struct Item {
    pub section: Section,
    /// The item's place within its section (the Pinterest fields' order).
    pub order: usize,
    pub label: String,
    pub side: Side,
    pub payload: Payload,
}

/// One environment's configuration, read in one transaction.
#[derive(Debug)]
pub(super) struct Snapshot {
    pub items: BTreeMap<String, Item>,
    pub pinterest: Option<PinterestSettingsRow>,
    pub sign_in: Option<SignInRow>,
    /// Key names that more than one usable key has.
    pub duplicate_key_names: BTreeSet<String>,
}

/// A secret as the drift view shows it: its keyed fingerprint
/// ([`KeyRing::fingerprint`]), which says whether two environments hold the
/// same secret and cannot be tested against guesses without the key ring.
pub fn fingerprint(keys: &KeyRing, secret: &SecretString) -> String {
    format!("fingerprint {}", keys.fingerprint(secret.expose()))
}

/// A webhook endpoint's key: its URL's hash, since a URL may carry a token
/// in its query and keys are shown, printed and audited.
pub(super) fn webhook_key(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    format!("{WEBHOOK}{}", &hex::encode(digest)[..16])
}

impl Snapshot {
    pub async fn read_tx(
        tx: &mut Tx,
        keys: &KeyRing,
        env: &EnvironmentRow,
        now: i64,
    ) -> Result<Self, PipelineError> {
        let ws = &env.workspace_id;
        let mut snap = Snapshot {
            items: BTreeMap::new(),
            pinterest: pinterest_settings::find_tx(tx, ws, &env.id).await?,
            sign_in: agent_sign_in::find_tx(tx, &env.id)
                .await?
                .filter(|r| &r.workspace_id == ws),
            duplicate_key_names: BTreeSet::new(),
        };
        snap.add_pinterest(keys)?;
        snap.add_sign_in(keys)?;
        for o in rows::origins_tx(tx, ws, &env.id).await? {
            let side = Side {
                value: "allowed".to_owned(),
                changed_at: o.added_at,
                changed_by: o.added_by,
            };
            snap.put(
                format!("{ORIGIN}{}", o.origin),
                Section::ReturnOrigins,
                0,
                o.origin.clone(),
                side,
                Payload::Origin,
            );
        }
        for e in rows::endpoints_tx(tx, ws, &env.id).await? {
            let key = webhook_key(&e.url);
            if snap.items.contains_key(&key) {
                // Two endpoints with one URL: the oldest stands for both.
                continue;
            }
            let side = Side {
                value: endpoint_value(&e),
                changed_at: e.updated_at,
                changed_by: e.updated_by.clone().unwrap_or_else(|| e.created_by.clone()),
            };
            let label = crate::webhooks::target::redacted(&e.url);
            snap.put(key, Section::Webhooks, 0, label, side, Payload::Endpoint(e));
        }
        for k in rows::keys_tx(tx, ws, &env.id, now).await? {
            let key = format!("{API_KEY}{}", k.name);
            if snap.items.contains_key(&key) {
                snap.duplicate_key_names.insert(k.name.clone());
                continue;
            }
            let side = Side {
                value: key_value(&k),
                changed_at: k.created_at,
                changed_by: k.created_by.clone(),
            };
            snap.put(
                key,
                Section::ApiKeys,
                0,
                k.name.clone(),
                side,
                Payload::Key(k),
            );
        }
        Ok(snap)
    }

    fn put(
        &mut self,
        key: String,
        section: Section,
        order: usize,
        label: String,
        side: Side,
        payload: Payload,
    ) {
        self.items.insert(
            key,
            Item {
                section,
                order,
                label,
                side,
                payload,
            },
        );
    }

    fn add_pinterest(&mut self, keys: &KeyRing) -> Result<(), PipelineError> {
        let Some(p) = self.pinterest.clone() else {
            return Ok(());
        };
        let secret = crate::pinterest::settings::open_secret(keys, &p)?;
        let at = |value: String| Side {
            value,
            changed_at: p.updated_at,
            changed_by: p.updated_by.clone(),
        };
        let scopes = ScopeSet::from_stored(&p.scopes).to_stored();
        self.put(
            APP_ID.into(),
            Section::Pinterest,
            0,
            "App id".into(),
            at(p.client_id.clone()),
            Payload::Field,
        );
        let secret_side = Side {
            value: format!("{} (…{})", fingerprint(keys, &secret), p.secret_last4),
            changed_at: p.secret_set_at,
            changed_by: p.secret_set_by.clone(),
        };
        self.put(
            APP_SECRET.into(),
            Section::Pinterest,
            1,
            "App secret key".into(),
            secret_side,
            Payload::Field,
        );
        self.put(
            API.into(),
            Section::Pinterest,
            2,
            "API".into(),
            at(p.api.as_str().to_owned()),
            Payload::Field,
        );
        self.put(
            SCOPES.into(),
            Section::Pinterest,
            3,
            "Scopes".into(),
            at(scopes),
            Payload::Field,
        );
        let enabled = if p.enabled { "enabled" } else { "disabled" };
        self.put(
            ENABLED.into(),
            Section::Pinterest,
            4,
            "Integration".into(),
            at(enabled.to_owned()),
            Payload::Field,
        );
        Ok(())
    }

    fn add_sign_in(&mut self, keys: &KeyRing) -> Result<(), PipelineError> {
        let Some(s) = self.sign_in.clone() else {
            return Ok(());
        };
        let secret = crate::agent::sign_in::open_secret(keys, &s)
            .map_err(|e| PipelineError::Refused(e.to_string()))?;
        let at = |value: String| Side {
            value,
            changed_at: s.updated_at,
            changed_by: s.updated_by.clone(),
        };
        self.put(
            ISSUER.into(),
            Section::AgentSignIn,
            0,
            "Issuer".into(),
            at(s.issuer.clone()),
            Payload::Field,
        );
        self.put(
            SIGN_IN_CLIENT.into(),
            Section::AgentSignIn,
            1,
            "Client id".into(),
            at(s.client_id.clone()),
            Payload::Field,
        );
        self.put(
            USER_CLAIM.into(),
            Section::AgentSignIn,
            2,
            "End user id claim".into(),
            at(s.user_claim.clone()),
            Payload::Field,
        );
        self.put(
            SIGN_IN_SECRET.into(),
            Section::AgentSignIn,
            3,
            "Client secret".into(),
            at(fingerprint(keys, &secret)),
            Payload::Field,
        );
        Ok(())
    }

    /// A hash of every item's key and value: the snapshot's version.
    pub fn version(&self) -> String {
        let mut h = Sha256::new();
        for (key, item) in &self.items {
            h.update(key.as_bytes());
            h.update([0x1f]);
            h.update(item.side.value.as_bytes());
            h.update([0x1e]);
        }
        hex::encode(h.finalize())[..16].to_owned()
    }
}

fn endpoint_value(e: &EndpointConfigRow) -> String {
    let types: Vec<&str> = WebhookEventType::split(&e.event_types)
        .into_iter()
        .map(WebhookEventType::as_str)
        .collect();
    let state = if e.enabled { "on" } else { "off" };
    let mut value = format!("{state}; events: {}", types.join(", "));
    if !e.description.is_empty() {
        value.push_str(&format!("; \u{201c}{}\u{201d}", e.description));
    }
    value
}

fn key_value(k: &KeyConfigRow) -> String {
    let permissions: Vec<&str> = ApiPermission::parse_list(&k.permissions)
        .unwrap_or_default()
        .into_iter()
        .map(ApiPermission::as_str)
        .collect();
    let mut value = format!("{}; {} requests/min", permissions.join(" "), k.rate_limit);
    if let Some(user) = &k.end_user_id {
        value.push_str(&format!("; end user {user}"));
    }
    value
}

/// Why `key` cannot be copied from `a` (named `from`) to `b` (named `to`);
/// `None` when it can.
pub(super) fn why_not_copyable(
    key: &str,
    x: Option<&Item>,
    y: Option<&Item>,
    a: &Snapshot,
    b: &Snapshot,
    from: &str,
    to: &str,
) -> Option<String> {
    if key == APP_SECRET || key == SIGN_IN_SECRET {
        return Some(format!(
            "secrets are never copied; each environment keeps its own (enter {to}'s on its own page)."
        ));
    }
    if key.starts_with("pinterest.") {
        if a.pinterest.is_none() {
            return Some(format!(
                "{from} has no Pinterest app; a promotion never removes {to}'s."
            ));
        }
        if b.pinterest.is_none() {
            return Some(format!(
                "set up Pinterest in {to} first: its App secret key is entered there, never copied."
            ));
        }
        return None;
    }
    if key.starts_with("agent_sign_in.") {
        if a.sign_in.is_none() {
            return Some(format!(
                "{from} has no sign-in provider; a promotion never removes {to}'s."
            ));
        }
        if b.sign_in.is_none() {
            return Some(format!(
                "set up sign-in in {to} first (Agents page): its client secret is entered there, never copied."
            ));
        }
        return None;
    }
    if key.starts_with(WEBHOOK) && x.is_none() {
        return Some(format!(
            "a promotion adds and updates endpoints but never deletes one: delete it on {to}'s Webhooks page if it should go."
        ));
    }
    if let Some(name) = key.strip_prefix(API_KEY) {
        if a.duplicate_key_names.contains(name) || b.duplicate_key_names.contains(name) {
            return Some(
                "several keys of one environment have this name: rename them to compare.".into(),
            );
        }
        return match (x, y) {
            (
                Some(Item {
                    payload: Payload::Key(k),
                    ..
                }),
                Some(Item {
                    payload: Payload::Key(t),
                    ..
                }),
            ) if k.end_user_id != t.end_user_id => Some(
                "the two keys act for different end users: change it on the API keys pages.".into(),
            ),
            (Some(_), None) => Some(format!(
                "a key is shown once, when it is created: create it on {to}'s API keys page with these permissions."
            )),
            (None, Some(_)) => Some(format!(
                "only {to} has this key: revoke it on {to}'s API keys page if it should go."
            )),
            _ => None,
        };
    }
    None
}

/// Whether an item is a webhook endpoint (whose copy gets a secret of its own).
pub(super) fn is_endpoint(key: &str) -> bool {
    key.starts_with(WEBHOOK)
}
