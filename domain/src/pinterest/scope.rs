//! Pinterest OAuth scopes: the catalogue the portal offers (the seed's table),
//! grouped as Pinterest's developer portal groups them, and sets of them.

use std::collections::BTreeSet;
use std::fmt;

/// One scope of the seed's table. The declaration order is the catalogue's
/// order, which is also how sets are stored and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    UserAccountsRead,
    BoardsRead,
    BoardsWrite,
    BoardsReadSecret,
    BoardsWriteSecret,
    PinsRead,
    PinsWrite,
    PinsReadSecret,
    PinsWriteSecret,
    AdsRead,
    AdsWrite,
    CatalogsRead,
    CatalogsWrite,
    BillingRead,
    BillingWrite,
    BizAccessRead,
    BizAccessWrite,
}

/// The sections the scope list is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeGroup {
    Account,
    Boards,
    Pins,
    Ads,
    Catalogs,
    Billing,
    BusinessAccess,
}

impl ScopeGroup {
    pub const ALL: [ScopeGroup; 7] = [
        ScopeGroup::Account,
        ScopeGroup::Boards,
        ScopeGroup::Pins,
        ScopeGroup::Ads,
        ScopeGroup::Catalogs,
        ScopeGroup::Billing,
        ScopeGroup::BusinessAccess,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ScopeGroup::Account => "Account",
            ScopeGroup::Boards => "Boards",
            ScopeGroup::Pins => "Pins",
            ScopeGroup::Ads => "Ads",
            ScopeGroup::Catalogs => "Catalogs",
            ScopeGroup::Billing => "Billing",
            ScopeGroup::BusinessAccess => "Business access",
        }
    }

    pub fn scopes(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| s.group() == self)
    }
}

impl Scope {
    pub const ALL: [Scope; 17] = [
        Scope::UserAccountsRead,
        Scope::BoardsRead,
        Scope::BoardsWrite,
        Scope::BoardsReadSecret,
        Scope::BoardsWriteSecret,
        Scope::PinsRead,
        Scope::PinsWrite,
        Scope::PinsReadSecret,
        Scope::PinsWriteSecret,
        Scope::AdsRead,
        Scope::AdsWrite,
        Scope::CatalogsRead,
        Scope::CatalogsWrite,
        Scope::BillingRead,
        Scope::BillingWrite,
        Scope::BizAccessRead,
        Scope::BizAccessWrite,
    ];

    /// What every configuration includes: the seed's "minimum required scopes".
    /// Connections are checked with `GET /v5/user_account`, and boards and pins
    /// are what the integration is for.
    pub const MINIMUM: [Scope; 3] = [Scope::UserAccountsRead, Scope::BoardsRead, Scope::PinsRead];

    /// Pinterest's name for the scope.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::UserAccountsRead => "user_accounts:read",
            Scope::BoardsRead => "boards:read",
            Scope::BoardsWrite => "boards:write",
            Scope::BoardsReadSecret => "boards:read_secret",
            Scope::BoardsWriteSecret => "boards:write_secret",
            Scope::PinsRead => "pins:read",
            Scope::PinsWrite => "pins:write",
            Scope::PinsReadSecret => "pins:read_secret",
            Scope::PinsWriteSecret => "pins:write_secret",
            Scope::AdsRead => "ads:read",
            Scope::AdsWrite => "ads:write",
            Scope::CatalogsRead => "catalogs:read",
            Scope::CatalogsWrite => "catalogs:write",
            Scope::BillingRead => "billing:read",
            Scope::BillingWrite => "billing:write",
            Scope::BizAccessRead => "biz_access:read",
            Scope::BizAccessWrite => "biz_access:write",
        }
    }

    /// The seed's description, as Pinterest words it.
    pub fn description(self) -> &'static str {
        match self {
            Scope::UserAccountsRead => "See user account information",
            Scope::BoardsRead => "See public boards and group boards",
            Scope::BoardsWrite => "Create, update, or delete public boards",
            Scope::BoardsReadSecret => "See secret boards",
            Scope::BoardsWriteSecret => "Create, update, or delete secret boards",
            Scope::PinsRead => "See public pins",
            Scope::PinsWrite => "Create, update, or delete public pins",
            Scope::PinsReadSecret => "See secret pins",
            Scope::PinsWriteSecret => "Create, update, or delete secret pins",
            Scope::AdsRead => "See advertising data (ads, ad groups, campaigns)",
            Scope::AdsWrite => "Create, update, or delete ads",
            Scope::CatalogsRead => "See catalog data",
            Scope::CatalogsWrite => "Create, update, or delete catalogs",
            Scope::BillingRead => "See billing data",
            Scope::BillingWrite => "Create, update, or delete billing data",
            Scope::BizAccessRead => "See business access data",
            Scope::BizAccessWrite => "Create, update, or delete business access data",
        }
    }

    pub fn group(self) -> ScopeGroup {
        match self {
            Scope::UserAccountsRead => ScopeGroup::Account,
            Scope::BoardsRead
            | Scope::BoardsWrite
            | Scope::BoardsReadSecret
            | Scope::BoardsWriteSecret => ScopeGroup::Boards,
            Scope::PinsRead | Scope::PinsWrite | Scope::PinsReadSecret | Scope::PinsWriteSecret => {
                ScopeGroup::Pins
            }
            Scope::AdsRead | Scope::AdsWrite => ScopeGroup::Ads,
            Scope::CatalogsRead | Scope::CatalogsWrite => ScopeGroup::Catalogs,
            Scope::BillingRead | Scope::BillingWrite => ScopeGroup::Billing,
            Scope::BizAccessRead | Scope::BizAccessWrite => ScopeGroup::BusinessAccess,
        }
    }

    pub fn is_minimum(self) -> bool {
        Self::MINIMUM.contains(&self)
    }

    /// Write and secret scopes work only when the Pinterest app has been granted
    /// the matching access; asking for them otherwise fails at consent.
    pub fn needs_app_access(self) -> bool {
        let name = self.as_str();
        name.ends_with(":write") || name.ends_with("_secret")
    }

    pub fn parse(name: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused scope list, worded to show next to the scopes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("“{shown}” is not a Pinterest scope pinbridge offers; choose from the list.")]
    Unknown { shown: String },
    #[error(
        "{missing} must stay selected: pinbridge needs user_accounts:read, boards:read and pins:read to connect accounts and check their health."
    )]
    MissingMinimum { missing: String },
}

/// Longest part of an unknown scope quoted back in a message.
const SHOWN_MAX: usize = 40;

/// A set of scopes: no repeats, always in catalogue order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// The scopes a form sent: each must be in the catalogue and the minimum
    /// must be there. Repeats are harmless and dropped.
    pub fn parse_selection<S: AsRef<str>>(names: &[S]) -> Result<ScopeSet, ScopeError> {
        let mut set = BTreeSet::new();
        for name in names {
            let name = name.as_ref().trim();
            let scope =
                Scope::parse(name).ok_or_else(|| ScopeError::Unknown { shown: shown(name) })?;
            set.insert(scope);
        }
        let missing: Vec<&str> = Scope::MINIMUM
            .iter()
            .filter(|s| !set.contains(s))
            .map(|s| s.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(ScopeError::MissingMinimum {
                missing: missing.join(", "),
            });
        }
        Ok(ScopeSet(set))
    }

    /// The set as stored: names separated by single spaces.
    pub fn to_stored(&self) -> String {
        self.names().collect::<Vec<_>>().join(" ")
    }

    /// Reads a stored set. The database is pinbridge's own, so a name it does
    /// not know (say, written by a newer version) is skipped rather than fatal.
    pub fn from_stored(text: &str) -> ScopeSet {
        ScopeSet(text.split_whitespace().filter_map(Scope::parse).collect())
    }

    /// The scopes Pinterest says it granted: separated by commas or spaces.
    /// Names pinbridge does not know are left out (they cannot be required).
    pub fn from_granted(text: &str) -> ScopeSet {
        ScopeSet(
            text.split(|c: char| c == ',' || c.is_whitespace())
                .filter_map(|name| Scope::parse(name.trim()))
                .collect(),
        )
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.iter().map(Scope::as_str)
    }

    /// Scopes in `self` and not in `other`.
    pub fn without(&self, other: &ScopeSet) -> Vec<Scope> {
        self.0.difference(&other.0).copied().collect()
    }

    /// The scopes as Pinterest's authorize URL wants them: comma-separated.
    pub fn to_authorize_param(&self) -> String {
        self.names().collect::<Vec<_>>().join(",")
    }
}

/// A value typed by someone, cut short and stripped of control characters so
/// it can be quoted in a message.
pub(crate) fn shown(name: &str) -> String {
    let mut out: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(SHOWN_MAX)
        .collect();
    if name.chars().count() > SHOWN_MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: &ScopeSet) -> Vec<&'static str> {
        set.names().collect()
    }

    #[test]
    fn the_catalogue_is_the_seeds_table_with_unique_names_and_every_group_used() {
        assert_eq!(Scope::ALL.len(), 17);
        let unique: BTreeSet<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(unique.len(), 17);
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            assert!(!scope.description().is_empty());
        }
        for group in ScopeGroup::ALL {
            assert!(group.scopes().count() > 0, "{} is empty", group.label());
        }
        let grouped: usize = ScopeGroup::ALL.iter().map(|g| g.scopes().count()).sum();
        assert_eq!(grouped, 17);
        assert_eq!(
            Scope::BoardsWriteSecret.description(),
            "Create, update, or delete secret boards"
        );
    }

    #[test]
    fn write_and_secret_scopes_need_app_access_and_reads_do_not() {
        assert!(Scope::PinsWrite.needs_app_access());
        assert!(Scope::BoardsReadSecret.needs_app_access());
        assert!(!Scope::PinsRead.needs_app_access());
        assert!(!Scope::AdsRead.needs_app_access());
    }

    #[test]
    fn a_selection_must_hold_the_minimum_and_only_known_scopes() {
        let set = ScopeSet::parse_selection(&[
            "pins:write",
            "boards:read",
            "pins:read",
            "user_accounts:read",
            "pins:write",
        ])
        .unwrap();
        assert_eq!(
            names(&set),
            [
                "user_accounts:read",
                "boards:read",
                "pins:read",
                "pins:write"
            ]
        );
        assert_eq!(
            ScopeSet::parse_selection(&["boards:read", "pins:read"]),
            Err(ScopeError::MissingMinimum {
                missing: "user_accounts:read".into()
            })
        );
        let unknown = ScopeSet::parse_selection(&[
            "user_accounts:read",
            "boards:read",
            "pins:read",
            "<script>alert(1)</script>",
        ])
        .unwrap_err();
        assert_eq!(
            unknown,
            ScopeError::Unknown {
                shown: "<script>alert(1)</script>".into()
            }
        );
        // msot:write is in Pinterest's spec but not in the seed's table.
        assert!(
            ScopeSet::parse_selection(&[
                "user_accounts:read",
                "boards:read",
                "pins:read",
                "msot:write"
            ])
            .is_err()
        );
        let long = "x".repeat(10_000);
        let ScopeError::Unknown { shown } = ScopeSet::parse_selection(&[long]).unwrap_err() else {
            panic!("unknown scope expected");
        };
        assert_eq!(shown.chars().count(), SHOWN_MAX + 1);
    }

    #[test]
    fn stored_form_round_trips_and_authorize_param_is_comma_separated() {
        let set =
            ScopeSet::parse_selection(&["pins:read", "boards:read", "user_accounts:read"]).unwrap();
        assert_eq!(set.to_stored(), "user_accounts:read boards:read pins:read");
        assert_eq!(ScopeSet::from_stored(&set.to_stored()), set);
        assert_eq!(
            set.to_authorize_param(),
            "user_accounts:read,boards:read,pins:read"
        );
        let wider = ScopeSet::from_stored("user_accounts:read boards:read pins:read ads:read");
        assert_eq!(wider.without(&set), vec![Scope::AdsRead]);
        assert!(set.without(&wider).is_empty());
    }
}
