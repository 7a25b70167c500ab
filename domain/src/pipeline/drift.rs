//! The drift view: two environments' snapshots compared item by item.

use super::model::{Drift, EnvironmentRef, Newer, PipelineError, Row, Section};
use super::snapshot::{self, Snapshot};
use crate::Services;
use crate::accounts::{Actor, EnvironmentId, WorkspaceId};
use crate::db::now_ms;
use crate::db::repo::environments::{self, EnvironmentRow};

/// Compares `from` with `to`, two environments of the actor's workspace.
/// Every member may look (nothing secret is shown), at what their role may
/// see elsewhere: webhook endpoints only for owners and admins. The versions
/// cover everything, so a promotion from a partial view is still checked.
pub async fn diff(
    services: &Services,
    actor: &Actor,
    from: &EnvironmentId,
    to: &EnvironmentId,
) -> Result<Drift, PipelineError> {
    let mut drift = diff_in(services, actor.workspace_id(), from, to).await?;
    if !actor.role().can_configure() {
        drift.rows.retain(|r| r.section != Section::Webhooks);
        drift.hidden.push(Section::Webhooks);
    }
    Ok(drift)
}

/// [`diff`] for a caller already known to belong to `workspace_id` (the CLI).
pub async fn diff_in(
    services: &Services,
    workspace_id: &WorkspaceId,
    from: &EnvironmentId,
    to: &EnvironmentId,
) -> Result<Drift, PipelineError> {
    Ok(Pair::read(services, workspace_id, from, to).await?.drift())
}

/// Two environments and their snapshots, read in one transaction so both
/// sides are of one moment.
pub(super) struct Pair {
    pub from: EnvironmentRow,
    pub a: Snapshot,
    pub to: EnvironmentRow,
    pub b: Snapshot,
}

impl Pair {
    /// Read on their own: refused for one environment twice.
    pub async fn read(
        services: &Services,
        workspace_id: &WorkspaceId,
        from: &EnvironmentId,
        to: &EnvironmentId,
    ) -> Result<Self, PipelineError> {
        if from == to {
            return Err(PipelineError::SameEnvironment);
        }
        let mut tx = services.db.begin().await?;
        let pair = Self::read_tx(&mut tx, services, workspace_id, from, to).await?;
        drop(tx);
        Ok(pair)
    }

    pub async fn read_tx(
        tx: &mut crate::db::tx::Tx,
        services: &Services,
        workspace_id: &WorkspaceId,
        from: &EnvironmentId,
        to: &EnvironmentId,
    ) -> Result<Self, PipelineError> {
        let (from, to) = pair_tx(tx, workspace_id, from, to).await?;
        let now = now_ms();
        let a = Snapshot::read_tx(tx, &services.keys, &from, now).await?;
        let b = Snapshot::read_tx(tx, &services.keys, &to, now).await?;
        Ok(Self { from, a, to, b })
    }

    pub fn drift(&self) -> Drift {
        compare(&self.from, &self.a, &self.to, &self.b)
    }

    /// Refuses unless both sides are still at the versions a view was drawn at.
    pub fn check_versions(&self, from: &str, to: &str) -> Result<(), PipelineError> {
        if self.a.version() != from {
            return Err(PipelineError::Stale(self.from.name.clone()));
        }
        if self.b.version() != to {
            return Err(PipelineError::Stale(self.to.name.clone()));
        }
        Ok(())
    }
}

/// Both environments, each of `workspace_id` (another workspace's id is
/// answered as no such environment).
pub(super) async fn pair_tx(
    tx: &mut crate::db::tx::Tx,
    workspace_id: &WorkspaceId,
    from: &EnvironmentId,
    to: &EnvironmentId,
) -> Result<(EnvironmentRow, EnvironmentRow), PipelineError> {
    let from = environments::find_tx(tx, workspace_id, from)
        .await?
        .ok_or(PipelineError::NotFound)?;
    let to = environments::find_tx(tx, workspace_id, to)
        .await?
        .ok_or(PipelineError::NotFound)?;
    Ok((from, to))
}

pub(super) fn compare(
    from_env: &EnvironmentRow,
    a: &Snapshot,
    to_env: &EnvironmentRow,
    b: &Snapshot,
) -> Drift {
    let mut keys: Vec<&String> = a.items.keys().chain(b.items.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut rows: Vec<Row> = keys
        .into_iter()
        .filter_map(|key| {
            let x = a.items.get(key);
            let y = b.items.get(key);
            let any = x.or(y)?;
            let equal = match (x, y) {
                (Some(x), Some(y)) => x.side.value == y.side.value,
                _ => false,
            };
            let newer = match (x, y) {
                _ if equal => None,
                (Some(x), Some(y)) => Some(match x.side.changed_at.cmp(&y.side.changed_at) {
                    std::cmp::Ordering::Greater => Newer::From,
                    std::cmp::Ordering::Less => Newer::To,
                    std::cmp::Ordering::Equal => Newer::Same,
                }),
                (Some(_), None) => Some(Newer::From),
                (None, Some(_)) => Some(Newer::To),
                (None, None) => None,
            };
            let not_copyable = if equal {
                None
            } else {
                snapshot::why_not_copyable(key, x, y, a, b, &from_env.name, &to_env.name)
            };
            Some(Row {
                key: key.clone(),
                section: any.section,
                label: any.label.clone(),
                from: x.map(|i| i.side.clone()),
                to: y.map(|i| i.side.clone()),
                equal,
                newer,
                not_copyable,
            })
        })
        .collect();
    // Sections in order, the Pinterest fields in the settings page's order,
    // the rest by what people read (origin, URL, key name).
    rows.sort_by(|p, q| {
        let place = |r: &Row| {
            let order = a
                .items
                .get(&r.key)
                .or_else(|| b.items.get(&r.key))
                .map_or(0, |i| i.order);
            (r.section, order, r.label.clone())
        };
        place(p).cmp(&place(q))
    });
    Drift {
        from: EnvironmentRef {
            id: from_env.id.clone(),
            name: from_env.name.clone(),
            version: a.version(),
        },
        to: EnvironmentRef {
            id: to_env.id.clone(),
            name: to_env.name.clone(),
            version: b.version(),
        },
        rows,
        hidden: Vec::new(),
    }
}

/// Two environments of the workspace named `workspace`, each by its name (in
/// any letter case) or its address segment: how the CLI names them.
pub async fn find_by_names(
    services: &Services,
    workspace: &str,
    from: &str,
    to: &str,
) -> Result<(WorkspaceId, EnvironmentRow, EnvironmentRow), PipelineError> {
    let name = crate::accounts::WorkspaceName::parse(workspace)
        .map_err(|e| PipelineError::Refused(format!("--workspace: {e}")))?;
    let ws = crate::accounts::workspaces::find_by_name(&services.db, &name)
        .await?
        .ok_or_else(|| PipelineError::Refused(format!("no workspace is named \"{workspace}\"")))?;
    let all = environments::list(&services.db, &ws.id).await?;
    let find = |flag: &str, wanted: &str| {
        all.iter()
            .find(|e| {
                e.name.to_lowercase() == wanted.trim().to_lowercase() || e.slug == wanted.trim()
            })
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
                PipelineError::Refused(format!(
                    "{flag}: workspace \"{}\" has no environment named \"{wanted}\" (it has: {})",
                    ws.name,
                    names.join(", ")
                ))
            })
    };
    let from = find("--from", from)?;
    let to = find("--to", to)?;
    Ok((ws.id, from, to))
}
