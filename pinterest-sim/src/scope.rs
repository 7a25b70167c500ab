//! Pinterest OAuth scopes and sets of them.
//!
//! The authorize URL carries scopes comma-separated; the token endpoint echoes them
//! space-separated. Both forms parse here and nowhere else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One of the 19 scopes `components.securitySchemes.pinterest_oauth2` declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    AdsRead,
    AdsWrite,
    BillingRead,
    BillingWrite,
    BizAccessRead,
    BizAccessWrite,
    BoardsRead,
    BoardsReadSecret,
    BoardsWrite,
    BoardsWriteSecret,
    CatalogsRead,
    CatalogsWrite,
    MsotWrite,
    PinsRead,
    PinsReadSecret,
    PinsWrite,
    PinsWriteSecret,
    UserAccountsRead,
    UserAccountsWrite,
}

impl Scope {
    /// Every scope, in the order the spec lists them (also the echo order).
    pub const ALL: [Scope; 19] = [
        Scope::AdsRead,
        Scope::AdsWrite,
        Scope::BillingRead,
        Scope::BillingWrite,
        Scope::BizAccessRead,
        Scope::BizAccessWrite,
        Scope::BoardsRead,
        Scope::BoardsReadSecret,
        Scope::BoardsWrite,
        Scope::BoardsWriteSecret,
        Scope::CatalogsRead,
        Scope::CatalogsWrite,
        Scope::MsotWrite,
        Scope::PinsRead,
        Scope::PinsReadSecret,
        Scope::PinsWrite,
        Scope::PinsWriteSecret,
        Scope::UserAccountsRead,
        Scope::UserAccountsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AdsRead => "ads:read",
            Scope::AdsWrite => "ads:write",
            Scope::BillingRead => "billing:read",
            Scope::BillingWrite => "billing:write",
            Scope::BizAccessRead => "biz_access:read",
            Scope::BizAccessWrite => "biz_access:write",
            Scope::BoardsRead => "boards:read",
            Scope::BoardsReadSecret => "boards:read_secret",
            Scope::BoardsWrite => "boards:write",
            Scope::BoardsWriteSecret => "boards:write_secret",
            Scope::CatalogsRead => "catalogs:read",
            Scope::CatalogsWrite => "catalogs:write",
            Scope::MsotWrite => "msot:write",
            Scope::PinsRead => "pins:read",
            Scope::PinsReadSecret => "pins:read_secret",
            Scope::PinsWrite => "pins:write",
            Scope::PinsWriteSecret => "pins:write_secret",
            Scope::UserAccountsRead => "user_accounts:read",
            Scope::UserAccountsWrite => "user_accounts:write",
        }
    }

    /// What the consent page tells the user (Pinterest's own wording from the spec).
    pub fn description(self) -> &'static str {
        match self {
            Scope::AdsRead => {
                "See all of your advertising data, including ads, ad groups, campaigns etc."
            }
            Scope::AdsWrite => "Create, update, or delete ads, ad groups, campaigns etc.",
            Scope::BillingRead => "See all of your billing data, billing profile, etc.",
            Scope::BillingWrite => "Create, update, or delete billing data, billing profiles, etc.",
            Scope::BizAccessRead => "See business access data",
            Scope::BizAccessWrite => "Create, update, or delete business access data",
            Scope::BoardsRead => "See your public boards, including group boards you join",
            Scope::BoardsReadSecret => "See your secret boards",
            Scope::BoardsWrite => "Create, update, or delete your public boards",
            Scope::BoardsWriteSecret => "Create, update, or delete your secret boards",
            Scope::CatalogsRead => "See all of your catalogs data",
            Scope::CatalogsWrite => "Create, update, or delete your catalogs data",
            Scope::MsotWrite => "Create measurement source of truth events",
            Scope::PinsRead => "See your public Pins",
            Scope::PinsReadSecret => "See your secret Pins",
            Scope::PinsWrite => "Create, update, or delete your public Pins",
            Scope::PinsWriteSecret => "Create, update, or delete your secret Pins",
            Scope::UserAccountsRead => "See your user accounts and followers",
            Scope::UserAccountsWrite => "Update your user accounts and followers",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name Pinterest does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// A set of scopes; small and `Copy` so tokens can carry it cheaply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u32);

impl ScopeSet {
    pub const EMPTY: ScopeSet = ScopeSet(0);

    pub fn of(scopes: &[Scope]) -> Self {
        scopes.iter().fold(Self::EMPTY, |set, s| set.with(*s))
    }

    pub fn with(self, scope: Scope) -> Self {
        ScopeSet(self.0 | scope.bit())
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn contains_all(self, other: ScopeSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: ScopeSet) -> Self {
        ScopeSet(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The authorize URL's form: comma-separated, nothing else (Pinterest reads
    /// `boards:read pins:read` as one unknown scope, and so do we).
    pub fn parse_comma_separated(raw: &str) -> Result<Self, UnknownScope> {
        raw.split(',')
            .filter(|s| !s.is_empty())
            .try_fold(Self::EMPTY, |set, s| Ok(set.with(s.parse()?)))
    }

    /// Lenient form for the token endpoint's optional `scope`: commas and/or spaces.
    pub fn parse_lenient(raw: &str) -> Result<Self, UnknownScope> {
        raw.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .try_fold(Self::EMPTY, |set, s| Ok(set.with(s.parse()?)))
    }

    /// The token response's form: space-separated.
    pub fn to_space_separated(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Scope::as_str))
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    /// Accepts a list of names or one string separated by commas and/or spaces.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let joined = match Raw::deserialize(deserializer)? {
            Raw::One(s) => s,
            Raw::Many(v) => v.join(","),
        };
        ScopeSet::parse_lenient(&joined).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_scopes_are_comma_separated_only() {
        let set = ScopeSet::parse_comma_separated("boards:read,pins:read").unwrap();
        assert!(set.contains(Scope::BoardsRead) && set.contains(Scope::PinsRead));
        assert!(ScopeSet::parse_comma_separated("boards:read pins:read").is_err());
        assert!(ScopeSet::parse_comma_separated("boards:reed").is_err());
    }

    #[test]
    fn echo_is_space_separated_in_spec_order() {
        let set = ScopeSet::of(&[Scope::UserAccountsRead, Scope::BoardsRead, Scope::PinsRead]);
        assert_eq!(
            set.to_space_separated(),
            "boards:read pins:read user_accounts:read"
        );
        assert_eq!(
            ScopeSet::parse_lenient(&set.to_space_separated()).unwrap(),
            set
        );
    }

    #[test]
    fn every_scope_round_trips() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
    }
}
