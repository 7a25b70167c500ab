//! Domain values as the wire models pages receive: one conversion per value,
//! shared by every server function that sends it.

use domain::accounts::environments::EnvironmentRow;
use domain::agent::{Tool, ToolCallRow};
use domain::api::keys::{ApiKeyRow, CallsRow};
use domain::connections::dashboard::{self, AttentionRow, Day, HourRow};
use domain::connections::portal::Counts;
use domain::connections::portal::{ConnectionRow, ProbeRow};
use domain::pinterest::settings::PinterestSettings;
use domain::pinterest::{Scope, ScopeGroup};
use domain::shared::{ApiPermission, Health, WebhookEventType};
use domain::webhooks::endpoints::{DeliveryRow, EndpointSummary};

use crate::models::{
    ApiCallsView, ApiKeyView, ConnectionCounts, ConnectionRowView, CredentialCheckView,
    EnvironmentView, IntegrationState, KeyState, PinterestSettingsView, ProbeView, ScopeGroupView,
    ScopeOptionView, ToolAccess, ToolCallView, ToolView, visible_key,
};
use crate::models::{AttentionView, DayView, HourView, LatencyView};
use crate::models::{DeliveryView, EndpointView};

pub fn environment_view(row: EnvironmentRow) -> EnvironmentView {
    EnvironmentView {
        id: row.id.to_string(),
        name: row.name,
        slug: row.slug,
        created_at: row.created_at,
    }
}

pub fn counts_view(counts: &Counts) -> ConnectionCounts {
    ConnectionCounts {
        by_state: Health::ALL
            .into_iter()
            .map(|h| (h, counts.get(&h).copied().unwrap_or(0)))
            .collect(),
    }
}

pub fn row_view(row: &ConnectionRow) -> ConnectionRowView {
    ConnectionRowView {
        id: row.id.to_string(),
        end_user_id: row.end_user_id.clone(),
        display_name: row.display_name.clone(),
        username: row.account_username.clone(),
        account_type: row.account_type.clone(),
        state: row.health,
        reason: row.health_reason.clone(),
        since: row.health_since,
        last_probe_at: row.last_probe_at,
        account_changed: row.account_mismatch.is_some(),
    }
}

pub fn probe_view(p: &ProbeRow) -> ProbeView {
    ProbeView {
        at: p.checked_at,
        trigger: p.trigger,
        outcome: p.outcome,
        latency_ms: p.latency_ms,
        http_status: p.http_status,
        error_code: p.error_code,
        error_message: p.error_message.clone(),
        username: p.account_username.clone(),
        account_changed: p.account_changed,
    }
}

pub fn settings_view(s: PinterestSettings) -> PinterestSettingsView {
    PinterestSettingsView {
        client_id: s.client_id.as_str().to_owned(),
        secret_fingerprint: s.secret.fingerprint,
        secret_set_by: s.secret.set_by,
        secret_set_at: s.secret.set_at,
        scopes: s.scopes.names().map(str::to_owned).collect(),
        api: s.api,
        enabled: s.enabled,
        version: s.version,
        updated_by: s.updated_by,
        updated_at: s.updated_at,
        last_check: s.last_check.map(|c| CredentialCheckView {
            outcome: c.outcome,
            at: c.at,
            by: c.by,
            http_status: c.http_status,
            latency_ms: c.latency_ms,
            summary: c.summary,
            message: c.message,
        }),
    }
}

/// The scope catalogue in its groups, marked with what is selected: the
/// stored set, or the minimum before anything is stored.
pub fn scope_groups(stored: Option<&PinterestSettings>) -> Vec<ScopeGroupView> {
    let selected = |scope: Scope| match stored {
        Some(s) => s.scopes.contains(scope) || scope.is_minimum(),
        None => scope.is_minimum(),
    };
    ScopeGroup::ALL
        .into_iter()
        .map(|group| ScopeGroupView {
            label: group.label().to_owned(),
            scopes: group
                .scopes()
                .map(|scope| ScopeOptionView {
                    name: scope.as_str().to_owned(),
                    description: scope.description().to_owned(),
                    minimum: scope.is_minimum(),
                    needs_app_access: scope.needs_app_access(),
                    selected: selected(scope),
                })
                .collect(),
        })
        .collect()
}

/// The Integrations card's state for an environment's settings.
pub fn integration_state(stored: Option<&PinterestSettings>) -> IntegrationState {
    match stored {
        None => IntegrationState::NotConfigured,
        Some(s) if !s.enabled => IntegrationState::Disabled,
        Some(s) => IntegrationState::Configured {
            check: s.last_check.as_ref().map(|c| c.outcome),
        },
    }
}

/// A key as listed, in its state at `now`.
pub fn api_key_view(row: &ApiKeyRow, now: i64) -> ApiKeyView {
    let state = match (row.revoked_at, row.expires_at) {
        (Some(at), _) => KeyState::Revoked {
            at,
            by: row.revoked_by.clone().unwrap_or_default(),
        },
        (None, Some(at)) if at <= now => KeyState::Expired {
            at,
            rotated: row.replaced_by.is_some(),
        },
        (None, until) if row.replaced_by.is_some() => KeyState::Retiring {
            until: until.unwrap_or(now),
        },
        _ => KeyState::Active,
    };
    ApiKeyView {
        id: row.id.to_string(),
        name: row.name.clone(),
        prefix: row.prefix.clone(),
        last_four: row.last_four.clone(),
        permissions: ApiPermission::parse_list(&row.permissions).unwrap_or_default(),
        rate_limit: row.rate_limit,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        request_count: row.request_count,
        state,
        rotated: row.replaced_by.is_some(),
        end_user_id: row.end_user_id.clone(),
    }
}

pub fn api_calls_view(row: &CallsRow) -> ApiCallsView {
    ApiCallsView {
        key_id: row.key_id.to_string(),
        name: row.name.clone(),
        visible: visible_key(&row.prefix, &row.last_four),
        token_calls: row.token_calls,
        proxy_calls: row.proxy_calls,
        tool_calls: row.tool_calls,
        last_at: row.last_at,
    }
}

/// A tool of the catalogue, with what its hints say it may do.
pub fn tool_view(tool: Tool) -> ToolView {
    let hints = tool.hints();
    let access = if hints.read_only {
        ToolAccess::Reads
    } else if hints.destructive {
        ToolAccess::Destructive
    } else {
        ToolAccess::Changes
    };
    ToolView {
        name: tool.name().to_owned(),
        title: tool.title().to_owned(),
        access,
    }
}

pub fn tool_call_view(row: &ToolCallRow) -> ToolCallView {
    ToolCallView {
        tool: row.tool.clone(),
        outcome: row.outcome,
        latency_ms: row.latency_ms,
        at: row.at,
        key_id: row.key_id.to_string(),
        key_name: row.key_name.clone(),
        key_visible: visible_key(&row.key_prefix, &row.key_last_four),
        connection_id: row.connection_id.as_ref().map(ToString::to_string),
        end_user_id: row.end_user_id.clone(),
    }
}

pub fn endpoint_view(e: &EndpointSummary) -> EndpointView {
    let row = &e.row;
    EndpointView {
        id: row.id.to_string(),
        url: row.url.clone(),
        description: row.description.clone(),
        event_types: WebhookEventType::split(&row.event_types),
        enabled: row.enabled,
        disabled_reason: row.disabled_reason.clone(),
        flagged_at: row.flagged_at,
        flag_reason: row.flag_reason.clone(),
        // Once it has passed, the old secret signs nothing: not worth saying.
        previous_secret_until: row
            .previous_secret_until
            .filter(|until| *until > domain::db::now_ms()),
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        pending: e.pending,
        failed: e.failed,
    }
}

pub fn delivery_view(row: &DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: row.id.to_string(),
        event_id: row.event_id.to_string(),
        event_type: row.event_type,
        connection_id: row.connection_id.as_ref().map(ToString::to_string),
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_attempt_at: row.last_attempt_at,
        last_status: row.last_status,
        last_error: row.last_error.clone(),
        last_latency_ms: row.last_latency_ms,
        response_excerpt: row.response_excerpt.clone(),
        created_at: row.created_at,
    }
}

pub fn day_view(d: &Day) -> DayView {
    DayView {
        day: d.day,
        counts: d.counts.map(|c| ConnectionCounts {
            by_state: Health::ALL.into_iter().map(|h| (h, c.get(h))).collect(),
        }),
        account_changed: d.counts.map_or(0, |c| c.account_changed),
        counted_at: d.counts.map(|c| c.taken_at),
    }
}

pub fn hour_view(h: &HourRow) -> HourView {
    HourView {
        hour: h.hour,
        refreshes_ok: h.refreshes_ok,
        refreshes_failed: h.refreshes_failed,
        probes_ok: h.probes_ok,
        probes_unauthorized: h.probes_unauthorized,
        probes_missing_scope: h.probes_missing_scope,
        probes_transient: h.probes_transient,
        probes_skipped: h.probes_skipped,
        latency: dashboard::latency(h).map(|l| LatencyView {
            calls: l.calls,
            average_ms: l.average_ms,
            p95_ms: l.p95_ms,
            max_ms: l.max_ms,
        }),
        api_ok: h.api_ok,
        api_failed: h.api_failed,
        tools_ok: h.tools_ok,
        tools_failed: h.tools_failed,
    }
}

pub fn attention_view(row: &AttentionRow) -> AttentionView {
    AttentionView {
        id: row.id.to_string(),
        end_user_id: row.end_user_id.clone(),
        display_name: row.display_name.clone(),
        username: row.account_username.clone(),
        state: row.health,
        reason: row.health_reason.clone(),
        since: row.health_since,
        account_changed: row.account_mismatch.is_some(),
    }
}

pub fn branding_view(
    workspace_name: String,
    branding: domain::branding::Branding,
    can_edit: bool,
) -> crate::models::BrandingView {
    crate::models::BrandingView {
        workspace_name,
        display_name: branding.display_name.unwrap_or_default(),
        accent_color: branding.accent.map(|a| a.to_string()).unwrap_or_default(),
        support_url: branding.support_url.unwrap_or_default(),
        privacy_url: branding.privacy_url.unwrap_or_default(),
        logo: branding.logo.map(|l| crate::models::LogoView {
            url: l.path(),
            width: l.width,
            height: l.height,
        }),
        can_edit,
        updated: branding.updated_by.zip(branding.updated_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::accounts::{ApiKeyId, EnvironmentId, WorkspaceId};

    fn key() -> ApiKeyRow {
        ApiKeyRow {
            id: ApiKeyId::generate(),
            workspace_id: WorkspaceId::generate(),
            environment_id: EnvironmentId::generate(),
            name: "Backend".into(),
            prefix: "pinbridge_dev_".into(),
            last_four: "a1B2".into(),
            permissions: "connections:read tokens".into(),
            rate_limit: 600,
            created_by: "Ada".into(),
            created_at: 1_000,
            expires_at: None,
            revoked_at: None,
            revoked_by: None,
            replaced_by: None,
            last_used_at: None,
            request_count: 0,
            end_user_id: None,
        }
    }

    #[test]
    fn a_keys_state_follows_revocation_expiry_and_rotation() {
        let now = 10_000;
        let active = api_key_view(&key(), now);
        assert_eq!(active.state, KeyState::Active);
        assert_eq!(
            active.permissions,
            [ApiPermission::ConnectionsRead, ApiPermission::Tokens]
        );
        assert_eq!(active.visible(), "pinbridge_dev_\u{2026}a1B2");
        assert!(!active.rotated);
        assert_eq!(active.end_user_id, None);
        let bound = ApiKeyRow {
            end_user_id: Some("alice".into()),
            ..key()
        };
        assert_eq!(
            api_key_view(&bound, now).end_user_id.as_deref(),
            Some("alice")
        );

        let later = ApiKeyRow {
            expires_at: Some(now + 1),
            ..key()
        };
        assert_eq!(api_key_view(&later, now).state, KeyState::Active);

        let retiring = ApiKeyRow {
            expires_at: Some(now + 3_600_000),
            replaced_by: Some(ApiKeyId::generate()),
            ..key()
        };
        let view = api_key_view(&retiring, now);
        assert_eq!(
            view.state,
            KeyState::Retiring {
                until: now + 3_600_000
            }
        );
        assert!(view.state.usable() && view.rotated);

        let rotated_out = ApiKeyRow {
            expires_at: Some(now),
            ..retiring.clone()
        };
        assert_eq!(
            api_key_view(&rotated_out, now).state,
            KeyState::Expired {
                at: now,
                rotated: true
            }
        );

        let revoked = ApiKeyRow {
            expires_at: Some(now - 5),
            revoked_at: Some(now - 10),
            revoked_by: Some("Grace".into()),
            ..key()
        };
        let view = api_key_view(&revoked, now);
        assert_eq!(
            view.state,
            KeyState::Revoked {
                at: now - 10,
                by: "Grace".into()
            },
            "revoked wins over expired"
        );
        assert!(!view.state.usable());
    }

    #[test]
    fn tools_are_read_only_changing_or_destructive_by_their_hints() {
        let access = |name: &str| {
            let tool = Tool::ALL.into_iter().find(|t| t.name() == name).unwrap();
            tool_view(tool).access
        };
        assert_eq!(access("list_connections"), ToolAccess::Reads);
        assert_eq!(access("search_pins"), ToolAccess::Reads);
        assert_eq!(access("create_pin"), ToolAccess::Changes);
        assert_eq!(access("delete_board"), ToolAccess::Destructive);
        assert!(
            Tool::ALL
                .into_iter()
                .all(|t| !tool_view(t).title.is_empty())
        );
    }
}
