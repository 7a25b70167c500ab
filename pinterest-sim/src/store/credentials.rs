//! OAuth clients and the credentials they obtain: consent requests,
//! authorization codes, cumulative grants, access and refresh tokens.

use std::time::Duration;

use time::OffsetDateTime;

use super::{PendingAuthorization, Store, StoreError};
use crate::config::AppSpec;
use crate::model::App;
use crate::scope::ScopeSet;
use crate::secrets;

pub(super) struct AuthCode {
    app_id: String,
    user_id: u64,
    redirect_uri: String,
    scopes: ScopeSet,
    expires_at: OffsetDateTime,
}

pub(super) struct AccessToken {
    app_id: String,
    user_id: u64,
    scopes: ScopeSet,
    expires_at: OffsetDateTime,
    /// Tokens descending from one authorization share a chain.
    chain: u64,
}

pub(super) struct RefreshToken {
    app_id: String,
    user_id: u64,
    scopes: ScopeSet,
    expires_at: OffsetDateTime,
    chain: u64,
}

/// What a valid bearer token lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub app_id: String,
    pub user_id: u64,
    pub scopes: ScopeSet,
}

/// A fresh token pair, as the token endpoint reports it.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub refresh_token_expires_in: u64,
    pub refresh_token_expires_at: i64,
    pub scopes: ScopeSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

/// The grant (code or refresh token) is unknown, used, expired, revoked, for
/// another client or another redirect URI, or asks for scopes never granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidGrant;

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

/// `now + d`, saturating at the end of time (lifetimes come from configuration).
pub fn after(now: OffsetDateTime, d: Duration) -> OffsetDateTime {
    time::Duration::try_from(d)
        .ok()
        .and_then(|d| now.checked_add(d))
        .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc())
}

impl Store {
    pub fn register_app(&mut self, spec: AppSpec) -> Result<&App, StoreError> {
        let id = match spec.id {
            Some(id) => id,
            None => loop {
                let id = secrets::app_id();
                if !self.apps.contains_key(&id) {
                    break id;
                }
            },
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreError::Invalid(format!("app id {id:?} must be digits")));
        }
        if self.apps.contains_key(&id) {
            return Err(StoreError::Conflict(format!("app {id} already exists")));
        }
        let secret = spec.secret.unwrap_or_else(secrets::app_secret);
        if secret.is_empty() {
            return Err(StoreError::Invalid("secret must not be empty".into()));
        }
        if spec.redirect_uris.is_empty() {
            return Err(StoreError::Invalid(
                "at least one redirect URI is required".into(),
            ));
        }
        for uri in &spec.redirect_uris {
            match url::Url::parse(uri) {
                Ok(u) if u.has_host() && u.fragment().is_none() => {}
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "redirect URI {uri:?} must be an absolute URL without fragment"
                    )));
                }
            }
        }
        let app = App {
            name: spec.name.unwrap_or_else(|| format!("Simulated app {id}")),
            id: id.clone(),
            secret,
            redirect_uris: spec.redirect_uris,
            tier: spec.tier,
            access_token_ttl: spec.access_token_ttl_secs.map(Duration::from_secs),
            refresh_token_ttl: spec.refresh_token_ttl_secs.map(Duration::from_secs),
        };
        Ok(self.apps.entry(id).or_insert(app))
    }

    /// The app whose id and secret these are.
    pub fn authenticate_client(&self, id: &str, secret: &str) -> Option<&App> {
        self.apps
            .get(id)
            .filter(|app| secrets::constant_time_eq(&app.secret, secret))
    }

    /// Remembers a consent form; the returned id goes in the form.
    pub fn begin_authorization(
        &mut self,
        pending: PendingAuthorization,
        now: OffsetDateTime,
    ) -> String {
        if self.pending.len() > 10_000 {
            self.pending.retain(|_, p| p.expires_at > now);
        }
        let id = secrets::consent_request_id();
        self.pending.insert(id.clone(), pending);
        id
    }

    /// Takes a consent form back once; `None` when unknown or expired.
    pub fn take_authorization(
        &mut self,
        id: &str,
        now: OffsetDateTime,
    ) -> Option<PendingAuthorization> {
        self.pending.remove(id).filter(|p| p.expires_at > now)
    }

    /// The user allowed: adds the scopes to the cumulative grant and issues a code.
    pub fn issue_code(
        &mut self,
        app_id: &str,
        user_id: u64,
        redirect_uri: &str,
        scopes: ScopeSet,
        now: OffsetDateTime,
    ) -> String {
        if self.codes.len() > 10_000 {
            self.codes.retain(|_, c| c.expires_at > now);
        }
        let grant = self.grants.entry((app_id.to_owned(), user_id)).or_default();
        *grant = grant.union(scopes);
        let code = secrets::authorization_code();
        self.codes.insert(
            code.clone(),
            AuthCode {
                app_id: app_id.to_owned(),
                user_id,
                redirect_uri: redirect_uri.to_owned(),
                scopes,
                expires_at: after(now, self.lifetimes.code),
            },
        );
        code
    }

    /// Exchanges a code once. A code presented by another client or with another
    /// redirect URI stays usable by its rightful client.
    pub fn exchange_code(
        &mut self,
        app_id: &str,
        code: &str,
        redirect_uri: &str,
        now: OffsetDateTime,
    ) -> Result<IssuedTokens, InvalidGrant> {
        let found = self.codes.get(code).ok_or(InvalidGrant)?;
        if found.app_id != app_id || found.redirect_uri != redirect_uri {
            return Err(InvalidGrant);
        }
        let found = self.codes.remove(code).ok_or(InvalidGrant)?;
        if found.expires_at <= now {
            return Err(InvalidGrant);
        }
        // The echo is cumulative: everything this user ever granted this app.
        let scopes = self
            .grants
            .get(&(found.app_id.clone(), found.user_id))
            .copied()
            .unwrap_or(found.scopes)
            .union(found.scopes);
        let chain = self.new_chain();
        Ok(self.issue_pair(&found.app_id, found.user_id, scopes, chain, now))
    }

    /// Rotates a refresh token: the presented one dies, a new pair is born. The
    /// caller holds the store's write lock, so of concurrent refreshes with one
    /// token exactly one gets here first and the rest find it gone.
    pub fn refresh(
        &mut self,
        app_id: &str,
        refresh_token: &str,
        narrower: Option<ScopeSet>,
        now: OffsetDateTime,
    ) -> Result<IssuedTokens, InvalidGrant> {
        let found = self.refresh_tokens.get(refresh_token).ok_or(InvalidGrant)?;
        if found.app_id != app_id || found.expires_at <= now {
            return Err(InvalidGrant);
        }
        let scopes = match narrower {
            Some(asked) if !found.scopes.contains_all(asked) => return Err(InvalidGrant),
            Some(asked) if !asked.is_empty() => asked,
            _ => found.scopes,
        };
        let found = self
            .refresh_tokens
            .remove(refresh_token)
            .ok_or(InvalidGrant)?;
        let mut issued =
            self.issue_pair(&found.app_id, found.user_id, found.scopes, found.chain, now);
        if scopes != found.scopes
            && let Some(token) = self.access_tokens.get_mut(&issued.access_token)
        {
            token.scopes = scopes;
            issued.scopes = scopes;
        }
        Ok(issued)
    }

    /// Issues a pair with exactly `scopes`, without the browser leg and without
    /// touching the cumulative grant (admin API and tests).
    pub fn mint(
        &mut self,
        app_id: &str,
        user_id: u64,
        scopes: ScopeSet,
        now: OffsetDateTime,
    ) -> IssuedTokens {
        let chain = self.new_chain();
        self.issue_pair(app_id, user_id, scopes, chain, now)
    }

    fn new_chain(&mut self) -> u64 {
        self.next_chain += 1;
        self.next_chain
    }

    fn issue_pair(
        &mut self,
        app_id: &str,
        user_id: u64,
        scopes: ScopeSet,
        chain: u64,
        now: OffsetDateTime,
    ) -> IssuedTokens {
        let app = self.apps.get(app_id);
        let access_ttl = app
            .and_then(|a| a.access_token_ttl)
            .unwrap_or(self.lifetimes.access);
        let refresh_ttl = app
            .and_then(|a| a.refresh_token_ttl)
            .unwrap_or(self.lifetimes.refresh);
        let access_token = secrets::access_token();
        let refresh_token = secrets::refresh_token();
        let refresh_expires_at = after(now, refresh_ttl);
        self.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                app_id: app_id.to_owned(),
                user_id,
                scopes,
                expires_at: after(now, access_ttl),
                chain,
            },
        );
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshToken {
                app_id: app_id.to_owned(),
                user_id,
                scopes,
                expires_at: refresh_expires_at,
                chain,
            },
        );
        IssuedTokens {
            access_token,
            refresh_token,
            expires_in: secs(access_ttl),
            refresh_token_expires_in: secs(refresh_ttl),
            refresh_token_expires_at: refresh_expires_at.unix_timestamp(),
            scopes,
        }
    }

    /// The grant behind a live access token.
    pub fn authenticate_bearer(&self, token: &str, now: OffsetDateTime) -> Option<AccessGrant> {
        let found = self
            .access_tokens
            .get(token)
            .filter(|t| t.expires_at > now)?;
        // A user deleted meanwhile takes their tokens' validity along.
        self.users.get(&found.user_id)?;
        Some(AccessGrant {
            app_id: found.app_id.clone(),
            user_id: found.user_id,
            scopes: found.scopes,
        })
    }

    /// The app a token (live or not) was issued to; the fault injector uses it.
    pub fn app_of_token(&self, token: &str) -> Option<&str> {
        self.access_tokens
            .get(token)
            .map(|t| t.app_id.as_str())
            .or_else(|| self.refresh_tokens.get(token).map(|t| t.app_id.as_str()))
    }

    /// Revokes one token. A refresh token takes its whole chain (every access
    /// token descending from the same authorization) with it. Returns how many died.
    pub fn revoke_token(&mut self, token: &str) -> usize {
        if self.access_tokens.remove(token).is_some() {
            return 1;
        }
        let Some(refresh) = self.refresh_tokens.remove(token) else {
            return 0;
        };
        let before = self.access_tokens.len();
        self.access_tokens.retain(|_, t| t.chain != refresh.chain);
        1 + before - self.access_tokens.len()
    }

    /// The user disconnects the app: every token and the cumulative grant go.
    pub fn revoke_grant(&mut self, app_id: &str, user_id: u64) -> usize {
        let before = self.access_tokens.len() + self.refresh_tokens.len();
        self.access_tokens
            .retain(|_, t| !(t.app_id == app_id && t.user_id == user_id));
        self.refresh_tokens
            .retain(|_, t| !(t.app_id == app_id && t.user_id == user_id));
        self.grants.remove(&(app_id.to_owned(), user_id));
        before - self.access_tokens.len() - self.refresh_tokens.len()
    }

    /// Makes a token expired from `now` on.
    pub fn expire_token(&mut self, token: &str, now: OffsetDateTime) -> Option<TokenKind> {
        if let Some(t) = self.access_tokens.get_mut(token) {
            t.expires_at = now;
            return Some(TokenKind::Access);
        }
        if let Some(t) = self.refresh_tokens.get_mut(token) {
            t.expires_at = now;
            return Some(TokenKind::Refresh);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{TokenLifetimes, UserSpec};
    use crate::scope::Scope;

    fn setup() -> (Store, u64) {
        let mut store = Store::new(TokenLifetimes::default());
        store
            .register_app(AppSpec {
                id: Some("1".into()),
                secret: Some("s".into()),
                redirect_uris: vec!["http://127.0.0.1/cb".into()],
                ..AppSpec::default()
            })
            .unwrap();
        let user = store
            .create_user(
                UserSpec {
                    username: "someone".into(),
                    ..UserSpec::default()
                },
                OffsetDateTime::now_utc(),
            )
            .unwrap();
        (store, user)
    }

    #[test]
    fn code_is_single_use_and_bound_to_redirect() {
        let (mut store, user) = setup();
        let now = OffsetDateTime::now_utc();
        let code = store.issue_code(
            "1",
            user,
            "http://127.0.0.1/cb",
            ScopeSet::of(&[Scope::PinsRead]),
            now,
        );
        assert!(
            store
                .exchange_code("1", &code, "http://127.0.0.1/other", now)
                .is_err()
        );
        assert!(
            store
                .exchange_code("1", &code, "http://127.0.0.1/cb", now)
                .is_ok()
        );
        assert!(
            store
                .exchange_code("1", &code, "http://127.0.0.1/cb", now)
                .is_err()
        );
    }

    #[test]
    fn codes_expire_after_ten_minutes() {
        let (mut store, user) = setup();
        let now = OffsetDateTime::now_utc();
        let code = store.issue_code("1", user, "http://127.0.0.1/cb", ScopeSet::EMPTY, now);
        let later = now + time::Duration::minutes(10);
        assert!(
            store
                .exchange_code("1", &code, "http://127.0.0.1/cb", later)
                .is_err()
        );
    }

    #[test]
    fn refresh_rotates_and_scopes_accumulate() {
        let (mut store, user) = setup();
        let now = OffsetDateTime::now_utc();
        store.issue_code(
            "1",
            user,
            "http://127.0.0.1/cb",
            ScopeSet::of(&[Scope::BoardsRead]),
            now,
        );
        let code = store.issue_code(
            "1",
            user,
            "http://127.0.0.1/cb",
            ScopeSet::of(&[Scope::PinsRead]),
            now,
        );
        let first = store
            .exchange_code("1", &code, "http://127.0.0.1/cb", now)
            .unwrap();
        assert_eq!(first.scopes.to_space_separated(), "boards:read pins:read");
        let second = store.refresh("1", &first.refresh_token, None, now).unwrap();
        assert_ne!(second.refresh_token, first.refresh_token);
        assert!(store.refresh("1", &first.refresh_token, None, now).is_err());
        let narrowed = store
            .refresh(
                "1",
                &second.refresh_token,
                Some(ScopeSet::of(&[Scope::PinsRead])),
                now,
            )
            .unwrap();
        assert_eq!(narrowed.scopes, ScopeSet::of(&[Scope::PinsRead]));
        let too_wide = ScopeSet::of(&[Scope::AdsRead]);
        assert!(
            store
                .refresh("1", &narrowed.refresh_token, Some(too_wide), now)
                .is_err()
        );
    }

    #[test]
    fn revoking_a_refresh_token_kills_its_chain() {
        let (mut store, user) = setup();
        let now = OffsetDateTime::now_utc();
        let pair = store.mint("1", user, ScopeSet::of(&[Scope::PinsRead]), now);
        let other = store.mint("1", user, ScopeSet::of(&[Scope::PinsRead]), now);
        assert_eq!(store.revoke_token(&pair.refresh_token), 2);
        assert!(store.authenticate_bearer(&pair.access_token, now).is_none());
        assert!(
            store
                .authenticate_bearer(&other.access_token, now)
                .is_some()
        );
    }
}
