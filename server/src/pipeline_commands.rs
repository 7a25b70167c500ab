//! `pinbridge env diff` and `pinbridge env promote`: the drift view and
//! promotion from the shell, for people (text) and scripts (`--json`).
//!
//! `promote` is a dry run unless `--apply`: it prints the plan and changes
//! nothing. With `--from-version` / `--to-version` (from a dry run's output) an
//! applied promotion is refused if either side changed since that dry run, as
//! the portal refuses a stale view. Nothing printed ever holds a secret.

use std::fmt::Write as _;

use domain::Services;
use domain::accounts::RequestMeta;
use domain::accounts::audit::AuditActor;
use domain::pipeline::{self, Drift, Newer, PipelineError, Plan, PromoteRequest};
use serde_json::json;

use crate::admin::{self, AdminError, Answer};
use crate::config::{Config, EnvCommand, EnvPairArgs, EnvPromoteArgs};

/// How the CLI appears as the actor in the audit log.
const ACTOR_LABEL: &str = "cli";

pub async fn run(config: &Config, command: &EnvCommand) -> Result<Answer, AdminError> {
    let services = admin::open(config).await?;
    let result = match command {
        EnvCommand::Diff(args) => diff(&services, args).await,
        EnvCommand::Promote(args) => promote(&services, args).await,
    };
    services.db.close().await;
    result
}

fn refused(e: PipelineError) -> AdminError {
    match e {
        PipelineError::Db(e) => AdminError::Refused(format!("database error: {e}")),
        other => AdminError::Refused(other.to_string()),
    }
}

async fn diff(services: &Services, args: &EnvPairArgs) -> Result<Answer, AdminError> {
    let (ws, from, to) = pipeline::find_by_names(services, &args.workspace, &args.from, &args.to)
        .await
        .map_err(refused)?;
    let drift = pipeline::diff_in(services, &ws, &from.id, &to.id)
        .await
        .map_err(refused)?;
    if args.json {
        let value = json!({
            "from": drift.from,
            "to": drift.to,
            "differences": drift.differences().count(),
            "items": drift.rows,
        });
        return Ok(Answer::ok(format!("{value:#}\n")));
    }
    Ok(Answer::ok(drift_text(&drift)))
}

fn drift_text(drift: &Drift) -> String {
    let (a, b) = (&drift.from.name, &drift.to.name);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{a} (version {}) → {b} (version {})",
        drift.from.version, drift.to.version
    );
    let differences: Vec<_> = drift.differences().collect();
    let equal = drift.rows.len() - differences.len();
    if differences.is_empty() {
        let _ = writeln!(out, "No differences ({equal} items equal).");
        return out;
    }
    let _ = writeln!(
        out,
        "{} differences ({equal} items equal):",
        differences.len()
    );
    let width = a.chars().count().max(b.chars().count());
    for row in differences {
        let _ = writeln!(
            out,
            "\n  {} · {}   [{}]",
            row.section.label(),
            row.label,
            row.key
        );
        for (name, side) in [(a, &row.from), (b, &row.to)] {
            let value = side.as_ref().map_or("(not set)", |s| s.value.as_str());
            let _ = writeln!(out, "    {name:<width$}  {value}");
        }
        if let Some(newer) = row.newer {
            let (name, side) = match newer {
                Newer::To => (b, row.to.as_ref()),
                Newer::From | Newer::Same => (a, row.from.as_ref().or(row.to.as_ref())),
            };
            if let Some(side) = side {
                let _ = writeln!(
                    out,
                    "    newer in {name}: changed by {} at {}",
                    side.changed_by,
                    domain::db::rfc3339(side.changed_at)
                );
            }
        }
        match &row.not_copyable {
            Some(why) => {
                let _ = writeln!(out, "    not copied: {why}");
            }
            None => {
                let _ = writeln!(out, "    copy with: --item '{}'", row.key);
            }
        }
    }
    out
}

async fn promote(services: &Services, args: &EnvPromoteArgs) -> Result<Answer, AdminError> {
    let pair = &args.pair;
    let (ws, from, to) = pipeline::find_by_names(services, &pair.workspace, &pair.from, &pair.to)
        .await
        .map_err(refused)?;
    let items = if args.all {
        pipeline::diff_in(services, &ws, &from.id, &to.id)
            .await
            .map_err(refused)?
            .rows
            .iter()
            .filter(|r| r.copyable())
            .map(|r| r.key.clone())
            .collect()
    } else {
        args.items.clone()
    };
    if items.is_empty() {
        return Err(AdminError::Refused(
            "nothing to copy: name differences with --item KEY (see `pinbridge env diff`), or use --all"
                .into(),
        ));
    }
    let plan = pipeline::plan(services, &ws, &from.id, &to.id, &items)
        .await
        .map_err(refused)?;
    if !args.apply {
        return Ok(Answer::ok(if pair.json {
            format!("{:#}\n", json!({ "applied": false, "plan": plan }))
        } else {
            let mut out = plan_text(&plan);
            out.push_str("\nDry run: nothing was changed. Run again with --apply to write it");
            let _ = writeln!(
                out,
                " (add --from-version {} --to-version {} to refuse if either side changes meanwhile).",
                plan.from.version, plan.to.version
            );
            out
        }));
    }
    let request = PromoteRequest {
        from: from.id.clone(),
        to: to.id.clone(),
        items,
        from_version: args
            .from_version
            .clone()
            .unwrap_or(plan.from.version.clone()),
        to_version: args.to_version.clone().unwrap_or(plan.to.version.clone()),
        confirm: None,
    };
    let by = AuditActor {
        operator_id: None,
        label: ACTOR_LABEL.to_owned(),
    };
    let promoted = pipeline::promote_in(services, &ws, by, request, &RequestMeta::default())
        .await
        .map_err(refused)?;
    Ok(Answer::ok(if pair.json {
        format!(
            "{:#}\n",
            json!({ "applied": true, "plan": promoted.plan, "to_version": promoted.to_version })
        )
    } else {
        let mut out = plan_text(&promoted.plan);
        let _ = writeln!(
            out,
            "\nPromoted {} change(s) to {}.",
            promoted.plan.changes.len(),
            promoted.plan.to.name
        );
        out
    }))
}

fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let to = &plan.to.name;
    let _ = writeln!(
        out,
        "Promote {} → {}: {} change(s)",
        plan.from.name,
        to,
        plan.changes.len()
    );
    for c in &plan.changes {
        let before = c.before.as_deref().unwrap_or("(not set)");
        let after = c.after.as_deref().unwrap_or("(removed)");
        let _ = writeln!(
            out,
            "  {} · {}: {before} → {after}",
            c.section.label(),
            c.label
        );
    }
    if plan.secrets_needed.is_empty() {
        let _ = writeln!(out, "Secrets: none copied, none newly needed in {to}.");
    } else {
        let _ = writeln!(out, "Secrets {to} still needs (never copied):");
        for s in &plan.secrets_needed {
            let _ = writeln!(out, "  - {s}");
        }
    }
    out
}
