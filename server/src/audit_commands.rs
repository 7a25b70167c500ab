//! `pinbridge audit verify`: every workspace's audit hash chain (or one
//! workspace's) checked from its first record by [`domain::accounts::audit_chain`],
//! reported one line per workspace, or as JSON for scripts. The exit code
//! says whether every chain is whole (0) or one is broken (1), so a cron job
//! or a monitoring check needs only the code.

use std::fmt::Write as _;

use domain::accounts::audit_chain::{self, ChainBreak, ChainReport};
use domain::accounts::{WorkspaceName, workspaces};
use domain::db::Db;
use serde_json::{Value, json};

use crate::admin::{self, AdminError, Answer};
use crate::config::{AuditCommand, Config};

/// Runs an `audit` subcommand.
pub async fn run(config: &Config, command: &AuditCommand) -> Result<Answer, AdminError> {
    match command {
        AuditCommand::Verify { workspace, json } => {
            verify(config, workspace.as_deref(), *json).await
        }
    }
}

/// `pinbridge audit verify`. The name is parsed before the database is
/// opened, so a typing mistake touches nothing.
async fn verify(
    config: &Config,
    workspace: Option<&str>,
    json: bool,
) -> Result<Answer, AdminError> {
    let name = workspace.map(WorkspaceName::parse).transpose()?;
    let services = admin::open(config).await?;
    let result = reports(&services.db, name.as_ref()).await;
    services.db.close().await;
    let reports = result?;
    let stdout = if json {
        format!("{:#}\n", json_of(&reports))
    } else {
        text_of(&reports)
    };
    let whole = reports.iter().all(ChainReport::is_whole);
    Ok(Answer {
        stdout,
        code: if whole { 0 } else { 1 },
    })
}

/// The reports of the workspace named `name` (in any letter case), or of every workspace.
async fn reports(db: &Db, name: Option<&WorkspaceName>) -> Result<Vec<ChainReport>, AdminError> {
    let id = match name {
        Some(name) => {
            let row = workspaces::find_by_name(db, name).await?.ok_or_else(|| {
                AdminError::Refused(format!(
                    "--workspace: no workspace is named \"{name}\"; check the name (letter case does not matter), or leave --workspace out to check every workspace"
                ))
            })?;
            Some(row.id)
        }
        None => None,
    };
    Ok(audit_chain::verify(db, id.as_ref()).await?)
}

/// One line per workspace: "Acme: 1234 records, chain whole", or where and
/// how its chain is broken.
fn text_of(reports: &[ChainReport]) -> String {
    if reports.is_empty() {
        return "No workspace yet: there is no audit log to check.\n".to_owned();
    }
    let mut out = String::new();
    for report in reports {
        let _ = match &report.first_break {
            None => writeln!(
                out,
                "{}: {} record{}, chain whole",
                report.workspace,
                report.records,
                if report.records == 1 { "" } else { "s" }
            ),
            Some(found) => writeln!(out, "{}: {}", report.workspace, broken(found)),
        };
    }
    out
}

/// "chain broken at record 17 (id …): the record at 17 was edited (…)".
fn broken(found: &ChainBreak) -> String {
    let mut out = "chain broken".to_owned();
    if let Some(seq) = found.seq {
        let _ = write!(out, " at record {seq}");
    }
    if let Some(id) = &found.record_id {
        let _ = write!(out, " (id {id})");
    }
    let _ = write!(out, ": {found}");
    out
}

/// For scripts: an array with one object per workspace.
fn json_of(reports: &[ChainReport]) -> Value {
    Value::Array(
        reports
            .iter()
            .map(|r| {
                json!({
                    "workspace": r.workspace,
                    "workspace_id": r.workspace_id,
                    "records": r.records,
                    "whole": r.is_whole(),
                    "break": r.first_break.as_ref().map(|b| json!({
                        "seq": b.seq,
                        "record_id": b.record_id,
                        "kind": b.kind.name(),
                        "message": b.to_string(),
                    })),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::accounts::WorkspaceId;
    use domain::accounts::audit_chain::BreakKind;

    fn report(name: &str, records: u64, first_break: Option<ChainBreak>) -> ChainReport {
        ChainReport {
            workspace_id: WorkspaceId::generate(),
            workspace: name.to_owned(),
            records,
            first_break,
        }
    }

    #[test]
    fn each_workspace_is_one_line_naming_the_place_and_the_record() {
        let edited = ChainBreak {
            seq: Some(17),
            record_id: Some("0193a1b2-0000-7000-8000-000000000001".into()),
            kind: BreakKind::Edited,
        };
        let missing = ChainBreak {
            seq: Some(4),
            record_id: None,
            kind: BreakKind::Missing { next: 6 },
        };
        let text = text_of(&[
            report("Acme", 1234, None),
            report("Beta", 16, Some(edited.clone())),
            report("Gamma", 3, Some(missing)),
            report("Solo", 1, None),
        ]);
        assert_eq!(
            text,
            "Acme: 1234 records, chain whole\n\
             Beta: chain broken at record 17 (id 0193a1b2-0000-7000-8000-000000000001): the record at 17 was edited (its hash does not match its contents)\n\
             Gamma: chain broken at record 4: record 4 is missing (the next record found is 6)\n\
             Solo: 1 record, chain whole\n"
        );
        let doc = json_of(&[report("Beta", 16, Some(edited))]);
        assert_eq!(doc[0]["whole"], false);
        assert_eq!(doc[0]["break"]["seq"], 17);
        assert_eq!(doc[0]["break"]["kind"], "edited");
        assert_eq!(
            doc[0]["break"]["record_id"],
            "0193a1b2-0000-7000-8000-000000000001"
        );
    }
}
