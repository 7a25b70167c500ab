//! The audit log's hash chain: each workspace's records form one chain, so
//! that a record edited, removed or inserted in the database afterwards is
//! found ([`verify`], `pinbridge audit verify`).
//!
//! Each record has a place in its workspace's chain (`seq`: 1, 2, 3, … in
//! the order the records were written), the hash of the record before it
//! (`prev_hash`; [`GENESIS`], 64 zeros, for the first) and its own hash
//! (`hash`). `audit_chain_heads` holds each workspace's newest place and
//! hash, so that removing the newest records is found too. Appending takes
//! the head's lock, so the records of one workspace are chained one at a
//! time, in the transaction of the change they describe.
//!
//! A record's hash is the SHA-256, as 64 lowercase hex digits, of the UTF-8
//! bytes of this JSON array:
//!
//! ```text
//! ["pinbridge.audit.v1", seq, prev_hash, id, workspace_id, environment_id,
//!  actor_operator_id, actor_label, action, target, detail, ip, user_agent,
//!  created_at]
//! ```
//!
//! - `seq` and `created_at` (Unix milliseconds) are JSON integers. Every
//!   other value is a JSON string exactly as stored in `audit_events`,
//!   `detail` included: its stored JSON text, as one string, not parsed.
//!   `environment_id`, `actor_operator_id`, `ip` and `user_agent` are `null`
//!   when the record has none.
//! - The array is written without any whitespace, and its strings escaped as
//!   JSON requires and no more: `"` and `\` with a backslash; U+0008,
//!   U+0009, U+000A, U+000C and U+000D as `\b`, `\t`, `\n`, `\f` and `\r`;
//!   the other characters below U+0020 as `\u00xx` (lowercase hex); every
//!   other character as itself, in UTF-8 (`/` and non-ASCII unescaped).
//!
//! Recomputed in Python from a row of `audit_events`:
//!
//! ```text
//! fields = ["pinbridge.audit.v1", seq, prev_hash, id, workspace_id,
//!           environment_id, actor_operator_id, actor_label, action, target,
//!           detail, ip, user_agent, created_at]
//! text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
//! assert hashlib.sha256(text.encode("utf-8")).hexdigest() == hash
//! ```
//!
//! What the chain proves, and to whom: someone who can write to the database
//! can also recompute every hash from a record onward, and the head. A hash
//! kept outside the database settles that: the audit stream (webhooks
//! subscribed to `audit.*`) sends each record with its hash as it is written.

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::AccountsError;
use super::ids::{EnvironmentId, OperatorId, WorkspaceId};
use crate::db::repo::audit_events::{self as rows, AuditEventRow, ChainRow};
use crate::db::repo::workspaces;
use crate::db::tx::Tx;
use crate::db::{Db, DbError};

/// The first value of every record's encoding: it names this encoding, so
/// that a later one (a field added) can never hash the same as this one.
pub const FORMAT: &str = "pinbridge.audit.v1";

/// The `prev_hash` of a workspace's first record, and the hash of a head
/// before any record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Records written before the chain began, chained per statement.
const CHAIN_BATCH: i64 = 500;

/// Records [`verify`] reads at once: a log of millions is checked in pages
/// of this many, never held in memory whole.
const VERIFY_PAGE: i64 = 1000;

/// The fields a record's hash covers, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hashed<'a> {
    pub seq: i64,
    pub prev_hash: &'a str,
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub environment_id: Option<&'a str>,
    pub actor_operator_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    /// The stored JSON text.
    pub detail: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub created_at: i64,
}

impl<'a> Hashed<'a> {
    /// A record about to be written, at place `seq` after `prev_hash`.
    pub fn of_event(row: &'a AuditEventRow, seq: i64, prev_hash: &'a str) -> Self {
        Self {
            seq,
            prev_hash,
            id: row.id.as_str(),
            workspace_id: row.workspace_id.as_str(),
            environment_id: row.environment_id.as_ref().map(EnvironmentId::as_str),
            actor_operator_id: row.actor_operator_id.as_ref().map(OperatorId::as_str),
            actor_label: &row.actor_label,
            action: row.action.as_str(),
            target: &row.target,
            detail: &row.detail,
            ip: row.ip.as_deref(),
            user_agent: row.user_agent.as_deref(),
            created_at: row.created_at,
        }
    }

    /// A stored record, at place `seq` after `prev_hash`.
    pub fn of_stored(row: &'a ChainRow, seq: i64, prev_hash: &'a str) -> Self {
        Self {
            seq,
            prev_hash,
            id: &row.id,
            workspace_id: &row.workspace_id,
            environment_id: row.environment_id.as_deref(),
            actor_operator_id: row.actor_operator_id.as_deref(),
            actor_label: &row.actor_label,
            action: &row.action,
            target: &row.target,
            detail: &row.detail,
            ip: row.ip.as_deref(),
            user_agent: row.user_agent.as_deref(),
            created_at: row.created_at,
        }
    }

    /// The text the hash is taken of (see the module's documentation).
    pub fn canonical(&self) -> String {
        Value::Array(vec![
            Value::from(FORMAT),
            Value::from(self.seq),
            Value::from(self.prev_hash),
            Value::from(self.id),
            Value::from(self.workspace_id),
            Value::from(self.environment_id),
            Value::from(self.actor_operator_id),
            Value::from(self.actor_label),
            Value::from(self.action),
            Value::from(self.target),
            Value::from(self.detail),
            Value::from(self.ip),
            Value::from(self.user_agent),
            Value::from(self.created_at),
        ])
        .to_string()
    }

    /// SHA-256 of [`Hashed::canonical`], in lowercase hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

/// A workspace's chain head: its newest place and that record's hash.
struct Head {
    seq: i64,
    hash: String,
}

/// The workspace's head, made at place 0 if it has none, and held for the
/// rest of the transaction.
async fn locked_head_tx(tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<Head, DbError> {
    // Nearly always the head is there: one statement. Only a workspace's
    // first record (or two racing to be first) writes it.
    if let Some((seq, hash)) = rows::lock_head_tx(tx, workspace_id).await? {
        return Ok(Head { seq, hash });
    }
    rows::ensure_head_tx(tx, workspace_id, GENESIS).await?;
    let (seq, hash) = rows::lock_head_tx(tx, workspace_id)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))?;
    Ok(Head { seq, hash })
}

/// Chains the workspace's records that have no place yet, oldest first,
/// after `head`, which moves along (the head row itself is not written).
/// Answers how many were chained.
async fn chain_unplaced_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    head: &mut Head,
) -> Result<u64, DbError> {
    let mut chained = 0;
    loop {
        let batch = rows::unchained_tx(tx, workspace_id, CHAIN_BATCH).await?;
        if batch.is_empty() {
            return Ok(chained);
        }
        for row in &batch {
            let seq = head.seq + 1;
            let hash = Hashed::of_stored(row, seq, &head.hash).hash();
            rows::chain_tx(tx, &row.id, seq, &head.hash, &hash).await?;
            *head = Head { seq, hash };
            chained += 1;
        }
    }
}

/// Writes `row` at the end of its workspace's chain, in the caller's
/// transaction: its place, the previous hash and its own are set on `row`.
/// While the chain has not begun, the records written before it (by an
/// older pinbridge) are chained first, in their order, unless start-up
/// already did.
pub(crate) async fn insert_tx(tx: &mut Tx, row: &mut AuditEventRow) -> Result<(), DbError> {
    let workspace_id = row.workspace_id.clone();
    let mut head = locked_head_tx(tx, &workspace_id).await?;
    if head.seq == 0 {
        chain_unplaced_tx(tx, &workspace_id, &mut head).await?;
    }
    let seq = head.seq + 1;
    let hash = Hashed::of_event(row, seq, &head.hash).hash();
    row.seq = Some(seq);
    row.prev_hash = Some(head.hash);
    row.hash = Some(hash.clone());
    rows::insert(tx, row).await?;
    rows::set_head_tx(tx, &workspace_id, seq, &hash).await
}

/// Chains the records written before the chain began, in every workspace
/// that has any, one transaction per workspace; answers how many were
/// chained. Run at start-up, so that the first change after an upgrade does
/// not wait for it (that change would chain them otherwise).
pub async fn chain_pending(db: &Db) -> Result<u64, AccountsError> {
    let mut chained = 0;
    for workspace_id in rows::workspaces_to_chain(db).await? {
        let mut tx = db.begin().await?;
        let mut head = locked_head_tx(&mut tx, &workspace_id).await?;
        // Read again under the lock: a record appended since the list was
        // read may have begun the chain, and then there is nothing to do.
        if head.seq == 0 {
            let n = chain_unplaced_tx(&mut tx, &workspace_id, &mut head).await?;
            rows::set_head_tx(&mut tx, &workspace_id, head.seq, &head.hash).await?;
            chained += n;
        }
        tx.commit().await?;
    }
    Ok(chained)
}

/// What is wrong where a chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakKind {
    /// The record's hash does not match its contents.
    Edited,
    /// No record has this place; the next one found has place `next`.
    Missing { next: i64 },
    /// The record's `prev_hash` is not the hash of the record before it.
    DoesNotFollow,
    /// The chain ends before the head's place `head`.
    Truncated { head: i64 },
    /// The record's place is past the head's place `head`.
    PastHead { head: i64 },
    /// The chain ends at the head's place, but the head holds another hash.
    HeadDiffers,
    /// The chain has records but no head.
    NoHead,
    /// A record with no place, written after the chain began.
    Unchained,
}

impl BreakKind {
    /// The kind's name for scripts (`audit verify --json`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Edited => "edited",
            Self::Missing { .. } => "missing",
            Self::DoesNotFollow => "does_not_follow",
            Self::Truncated { .. } => "truncated",
            Self::PastHead { .. } => "past_head",
            Self::HeadDiffers => "head_differs",
            Self::NoHead => "no_head",
            Self::Unchained => "unchained",
        }
    }
}

/// Where a workspace's chain first breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The place; `None` for a record that has none.
    pub seq: Option<i64>,
    /// The record there, as stored, when there is one.
    pub record_id: Option<String>,
    pub kind: BreakKind,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.seq.unwrap_or_default();
        match &self.kind {
            BreakKind::Edited => write!(
                f,
                "the record at {n} was edited (its hash does not match its contents)"
            ),
            BreakKind::Missing { next } => {
                write!(f, "record {n} is missing (the next record found is {next})")
            }
            BreakKind::DoesNotFollow => write!(
                f,
                "the record at {n} does not follow the one before it (its prev_hash is not the hash of record {}: a record was inserted, replaced or reordered)",
                n - 1
            ),
            BreakKind::Truncated { head } if n <= 1 => {
                write!(f, "every record was removed (the head says {head})")
            }
            BreakKind::Truncated { head } => write!(
                f,
                "the newest record(s) after {} were removed (the head says {head})",
                n - 1
            ),
            BreakKind::PastHead { head } => write!(
                f,
                "the record at {n} is past the chain's head (the head says {head}): it was added, or the head changed, outside pinbridge"
            ),
            BreakKind::HeadDiffers => write!(
                f,
                "the chain's head does not hold the hash of its newest record {n}: the head or that record was replaced"
            ),
            BreakKind::NoHead => write!(f, "the chain has records but no head (it was removed)"),
            BreakKind::Unchained => write!(
                f,
                "a record is not in the chain (it has no place, and was written after the chain began)"
            ),
        }
    }
}

/// How one workspace's chain stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub workspace_id: WorkspaceId,
    pub workspace: String,
    /// Records checked and found whole, in chain order: all of them, or
    /// those before the break.
    pub records: u64,
    /// The first break, in chain order; `None` when the chain is whole.
    pub first_break: Option<ChainBreak>,
}

impl ChainReport {
    pub fn is_whole(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Each workspace's chain (or only `workspace`'s), checked record by record
/// from the first: every hash recomputed, every link and place followed, and
/// the end compared with the head. Records written before the chain began
/// and not chained yet (start-up chains them) are not checked.
pub async fn verify(
    db: &Db,
    workspace: Option<&WorkspaceId>,
) -> Result<Vec<ChainReport>, AccountsError> {
    let workspaces = match workspace {
        Some(id) => {
            let row = workspaces::find(db, id)
                .await?
                .ok_or(AccountsError::NotFound)?;
            vec![(row.id, row.name)]
        }
        None => rows::chained_workspaces(db).await?,
    };
    let mut reports = Vec::with_capacity(workspaces.len());
    for (workspace_id, workspace) in workspaces {
        let (records, first_break) = walk_chain(db, &workspace_id).await?;
        reports.push(ChainReport {
            workspace_id,
            workspace,
            records,
            first_break,
        });
    }
    Ok(reports)
}

/// Walks one workspace's chain page by page: how many records are whole,
/// and the first break.
async fn walk_chain(
    db: &Db,
    workspace_id: &WorkspaceId,
) -> Result<(u64, Option<ChainBreak>), AccountsError> {
    let mut walk = Walk::new(rows::head(db, workspace_id).await?);
    let found = 'walk: loop {
        let page = rows::chain_page(db, workspace_id, walk.last(), VERIFY_PAGE).await?;
        let mut head_moved = false;
        for row in &page {
            if walk.past_head(row) {
                // Written since the head was read, by a pinbridge that is
                // running: read it again before calling the record an intruder.
                walk.head = rows::head(db, workspace_id).await?;
                head_moved = true;
            }
            if let Some(found) = walk.step(row) {
                break 'walk Some(found);
            }
        }
        // A head read again may be past this page's end: the records up to
        // it are all written, and the next page has them.
        if page.len() == VERIFY_PAGE as usize || head_moved {
            continue;
        }
        break walk.end();
    };
    if found.is_some() {
        return Ok((walk.records, found));
    }
    // Before the chain begins, records without a place are those written
    // before it, waiting for start-up (or the next record) to chain them.
    if walk.began()
        && let Some(row) = rows::first_unchained(db, workspace_id).await?
    {
        let found = ChainBreak {
            seq: None,
            record_id: Some(row.id),
            kind: BreakKind::Unchained,
        };
        return Ok((walk.records, Some(found)));
    }
    Ok((walk.records, None))
}

/// The walk along one chain: the head it must end at, the place expected
/// next and the hash the next record must follow.
struct Walk {
    head: Option<(i64, String)>,
    records: u64,
    next: i64,
    prev_hash: String,
    last_id: Option<String>,
}

impl Walk {
    fn new(head: Option<(i64, String)>) -> Self {
        Self {
            head,
            records: 0,
            next: 1,
            prev_hash: GENESIS.to_owned(),
            last_id: None,
        }
    }

    /// The place of the last record found whole.
    fn last(&self) -> i64 {
        self.next - 1
    }

    /// Whether `row`'s place is past the head as last read.
    fn past_head(&self, row: &ChainRow) -> bool {
        row.seq
            .is_some_and(|seq| self.head.as_ref().is_none_or(|(head, _)| seq > *head))
    }

    /// Whether the chain has begun: it has a record, or its head has moved.
    fn began(&self) -> bool {
        self.records > 0 || self.head.as_ref().is_some_and(|(seq, _)| *seq > 0)
    }

    /// Checks the next record found; answers the break it shows, if any.
    fn step(&mut self, row: &ChainRow) -> Option<ChainBreak> {
        let seq = row.seq.unwrap_or(self.next);
        let at = |kind| ChainBreak {
            seq: Some(seq),
            record_id: Some(row.id.clone()),
            kind,
        };
        if seq != self.next {
            return Some(ChainBreak {
                seq: Some(self.next),
                record_id: None,
                kind: BreakKind::Missing { next: seq },
            });
        }
        let Some(prev_hash) = row.prev_hash.as_deref() else {
            return Some(at(BreakKind::Edited));
        };
        let hash = Hashed::of_stored(row, seq, prev_hash).hash();
        if row.hash.as_deref() != Some(hash.as_str()) {
            return Some(at(BreakKind::Edited));
        }
        if prev_hash != self.prev_hash {
            return Some(at(BreakKind::DoesNotFollow));
        }
        match &self.head {
            None => return Some(at(BreakKind::NoHead)),
            Some((head, _)) if seq > *head => {
                return Some(at(BreakKind::PastHead { head: *head }));
            }
            Some(_) => {}
        }
        self.records += 1;
        self.next += 1;
        self.prev_hash = hash;
        self.last_id = Some(row.id.clone());
        None
    }

    /// After the last record: whether the chain ends where its head says.
    fn end(&self) -> Option<ChainBreak> {
        let (head, head_hash) = self.head.as_ref()?;
        if *head > self.last() {
            return Some(ChainBreak {
                seq: Some(self.next),
                record_id: None,
                kind: BreakKind::Truncated { head: *head },
            });
        }
        // Past the head was refused at the record; here the places agree.
        (*head_hash != self.prev_hash).then(|| ChainBreak {
            seq: Some(self.last()),
            record_id: self.last_id.clone(),
            kind: BreakKind::HeadDiffers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChainRow {
        ChainRow {
            id: "0193a1b2-0000-7000-8000-000000000001".into(),
            workspace_id: "0193a1b2-0000-7000-8000-0000000000aa".into(),
            environment_id: None,
            actor_operator_id: Some("0193a1b2-0000-7000-8000-0000000000bb".into()),
            actor_label: "Ada \"the admin\" Lovelace".into(),
            action: "member.role_changed".into(),
            target: "zoë@example.com\tnew\u{1}/x".into(),
            detail: r#"{"role":"admin"}"#.into(),
            ip: Some("203.0.113.7".into()),
            user_agent: None,
            created_at: 1_767_225_600_123,
            seq: Some(1),
            prev_hash: Some(GENESIS.into()),
            hash: None,
        }
    }

    #[test]
    fn the_encoding_is_the_documented_array_escaped_as_json_requires_and_no_more() {
        let row = sample();
        let text = Hashed::of_stored(&row, 1, GENESIS).canonical();
        assert_eq!(
            text,
            format!(
                "[\"pinbridge.audit.v1\",1,\"{GENESIS}\",\"0193a1b2-0000-7000-8000-000000000001\",\
                 \"0193a1b2-0000-7000-8000-0000000000aa\",null,\"0193a1b2-0000-7000-8000-0000000000bb\",\
                 \"Ada \\\"the admin\\\" Lovelace\",\"member.role_changed\",\
                 \"zoë@example.com\\tnew\\u0001/x\",\"{{\\\"role\\\":\\\"admin\\\"}}\",\
                 \"203.0.113.7\",null,1767225600123]"
            )
        );
    }

    /// The same value as Python's `hashlib.sha256(json.dumps(fields,
    /// ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()`,
    /// as the module's documentation says to recompute it.
    #[test]
    fn the_hash_is_what_the_documented_recipe_computes() {
        let row = sample();
        assert_eq!(
            Hashed::of_stored(&row, 1, GENESIS).hash(),
            "51e9f17966e10972daefdb135d490678c9805e8305f1a9ab0db9bb0e95194cba"
        );
    }

    #[test]
    fn every_field_and_the_place_change_the_hash() {
        let row = sample();
        let base = Hashed::of_stored(&row, 1, GENESIS);
        let h = base.hash();
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        let changed = [
            Hashed { seq: 2, ..base },
            Hashed {
                prev_hash: "1",
                ..base
            },
            Hashed { id: "x", ..base },
            Hashed {
                workspace_id: "x",
                ..base
            },
            Hashed {
                environment_id: Some(""),
                ..base
            },
            Hashed {
                actor_operator_id: None,
                ..base
            },
            Hashed {
                actor_label: "x",
                ..base
            },
            Hashed {
                action: "x",
                ..base
            },
            Hashed {
                target: "x",
                ..base
            },
            Hashed {
                detail: "{}",
                ..base
            },
            Hashed { ip: None, ..base },
            Hashed {
                user_agent: Some(""),
                ..base
            },
            Hashed {
                created_at: 1,
                ..base
            },
        ];
        for other in changed {
            assert_ne!(other.hash(), h, "{other:?}");
        }
    }

    #[test]
    fn a_walk_names_each_kind_of_break_at_its_place() {
        let chain = |n: i64| -> Vec<ChainRow> {
            let mut prev = GENESIS.to_owned();
            (1..=n)
                .map(|seq| {
                    let mut row = sample();
                    row.id = format!("id-{seq}");
                    row.seq = Some(seq);
                    row.prev_hash = Some(prev.clone());
                    let hash = Hashed::of_stored(&row, seq, &prev).hash();
                    row.hash = Some(hash.clone());
                    prev = hash;
                    row
                })
                .collect()
        };
        let walk = |rows: &[ChainRow], head: Option<i64>| {
            let head = head.map(|h| {
                let hash = rows
                    .iter()
                    .find(|r| r.seq == Some(h))
                    .and_then(|r| r.hash.clone())
                    .unwrap_or_else(|| "f".repeat(64));
                (h, hash)
            });
            let mut w = Walk::new(head);
            for row in rows {
                if let Some(b) = w.step(row) {
                    return Some(b);
                }
            }
            w.end()
        };
        let whole = chain(5);
        assert_eq!(walk(&whole, Some(5)), None);
        assert_eq!(walk(&[], None), None);

        let mut edited = whole.clone();
        edited[2].target = "someone else".into();
        let b = walk(&edited, Some(5)).unwrap();
        assert_eq!(
            (b.seq, b.record_id.as_deref(), &b.kind),
            (Some(3), Some("id-3"), &BreakKind::Edited)
        );

        let mut gap = whole.clone();
        gap.remove(1);
        let b = walk(&gap, Some(5)).unwrap();
        assert_eq!(
            (b.seq, b.kind.clone()),
            (Some(2), BreakKind::Missing { next: 3 })
        );
        assert_eq!(
            b.to_string(),
            "record 2 is missing (the next record found is 3)"
        );

        let b = walk(&whole[..4], Some(5)).unwrap();
        assert_eq!(
            (b.seq, b.kind.clone()),
            (Some(5), BreakKind::Truncated { head: 5 })
        );
        assert_eq!(
            b.to_string(),
            "the newest record(s) after 4 were removed (the head says 5)"
        );

        let b = walk(&whole, Some(4)).unwrap();
        assert_eq!((b.seq, b.kind), (Some(5), BreakKind::PastHead { head: 4 }));

        let b = walk(&whole, None).unwrap();
        assert_eq!((b.seq, b.kind), (Some(1), BreakKind::NoHead));

        // Record 3 replaced by one hashed on its own: whole in itself, but
        // not the successor of record 2.
        let mut replaced = whole.clone();
        let elsewhere = "e".repeat(64);
        let hash = Hashed::of_stored(&replaced[2], 3, &elsewhere).hash();
        replaced[2].prev_hash = Some(elsewhere);
        replaced[2].hash = Some(hash);
        let b = walk(&replaced, Some(5)).unwrap();
        assert_eq!((b.seq, b.kind), (Some(3), BreakKind::DoesNotFollow));
    }
}
