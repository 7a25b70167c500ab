//! The closed sets of values that storage and the wire both carry, one enum
//! each: stored by name (`sqlx`), sent by the same name (`serde`), and parsed
//! only into one of their variants. Built for the browser too.

#[macro_use]
mod closed_set;
mod agent;
mod api;
mod audit;
mod health;
mod pinterest;
mod probe;
mod role;
mod webhook;

pub use agent::ToolOutcome;
pub use api::{AgentScope, ApiPermission};
pub use audit::AuditAction;
pub use health::Health;
pub use pinterest::{CheckOutcome, PinterestApi};
pub use probe::{ProbeOutcome, Trigger};
pub use role::Role;
pub use webhook::{DeliveryStatus, WebhookEventType};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every closed set: each name parses back to its value, serde sends the
    /// same name, and an unknown name is refused, never defaulted.
    macro_rules! round_trips {
        ($($set:ty),+) => {$(
            let mut names = std::collections::BTreeSet::new();
            for value in <$set>::ALL {
                assert_eq!(<$set>::parse(value.as_str()), Some(value));
                assert_eq!(value.to_string(), value.as_str());
                let json = serde_json::to_string(&value).unwrap();
                assert_eq!(json, format!("\"{}\"", value.as_str()));
                assert_eq!(serde_json::from_str::<$set>(&json).unwrap(), value);
                assert!(names.insert(value.as_str()), "{} twice", value.as_str());
            }
            assert_eq!(<$set>::parse("unknown"), None);
            assert_eq!(<$set>::parse(&<$set>::ALL[0].as_str().to_uppercase()), None);
            let refused = serde_json::from_str::<$set>("\"unknown\"").unwrap_err();
            assert!(refused.to_string().contains("unknown variant"), "{refused}");
        )+};
    }

    #[test]
    fn every_closed_set_round_trips_by_name_and_refuses_others() {
        round_trips!(
            ApiPermission,
            AgentScope,
            AuditAction,
            Health,
            Role,
            PinterestApi,
            CheckOutcome,
            ProbeOutcome,
            Trigger,
            ToolOutcome,
            WebhookEventType,
            DeliveryStatus
        );
    }

    #[test]
    fn the_names_are_the_ones_storage_has_always_used() {
        let names = |all: &[&str]| all.join(" ");
        assert_eq!(
            names(&Health::ALL.iter().map(|h| h.as_str()).collect::<Vec<_>>()),
            "active degraded needs_reauth insufficient_scope revoked"
        );
        assert_eq!(
            names(&Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
            "owner admin viewer"
        );
        assert_eq!(
            names(
                &ProbeOutcome::ALL
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
            ),
            "ok unauthorized missing_scope transient skipped"
        );
    }

    #[cfg(feature = "server")]
    #[tokio::test]
    async fn storage_decodes_known_names_and_refuses_others() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let health: Health = sqlx::query_scalar("select 'needs_reauth'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(health, Health::NeedsReauth);
        let bound: String = sqlx::query_scalar("select $1")
            .bind(Role::Admin)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(bound, "admin");
        let refused = sqlx::query_scalar::<_, Health>("select 'broken'")
            .fetch_one(&pool)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("\"broken\" is not a Health"),
            "{refused}"
        );
    }
}
