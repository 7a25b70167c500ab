//! The key ring's own tables (`instances`, `key_ring_events`), and the
//! statements that find and re-seal every sealed column named in the domain's
//! list of them (`keys::SEALED`).
//!
//! The sealed columns' table and column names come from that static list, never
//! from input, so formatting them into SQL is safe.

use crate::db::tx::{Tx, on_tx};
use crate::db::{Backend, Db, DbError, on_pool};

/// Where a column of sealed values is, as the statements name it.
#[derive(Clone, Copy, Debug)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The table's primary key column (text).
    pub pk: &'static str,
    /// The column naming the row's workspace, if it has one.
    pub workspace: Option<&'static str>,
}

/// One sealed value and what binds it: its row's key and workspace.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SealedValueRow {
    pub pk: String,
    pub workspace_id: Option<String>,
    pub value: String,
}

/// Up to `limit` values of `column` whose row key follows `after` and which are
/// not sealed under `current` (the stored prefix `pb1:<id>:`), in key order.
pub async fn page_not_under(
    db: &Db,
    column: &SealedColumn,
    current: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<SealedValueRow>, DbError> {
    let SealedColumn {
        table,
        column: col,
        pk,
        workspace,
        ..
    } = column;
    let workspace = workspace.unwrap_or("null");
    let sql = format!(
        "select {pk} as pk, {workspace} as workspace_id, {col} as value from {table} \
         where {pk} > $1 and {col} is not null and substr({col}, 1, $2) <> $3 \
         order by {pk} limit $4"
    );
    let prefix_len = i32::try_from(current.len()).unwrap_or(i32::MAX);
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, SealedValueRow>(&sql)
            .bind(after)
            .bind(prefix_len)
            .bind(current)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows)
}

/// Replaces one sealed value if it is still `old`: a value another process
/// wrote meanwhile (a refresh's new tokens) is kept. True when replaced.
pub async fn replace_tx(
    tx: &mut Tx,
    column: &SealedColumn,
    pk: &str,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let SealedColumn {
        table,
        column: col,
        pk: pk_col,
        ..
    } = column;
    let sql = format!("update {table} set {col} = $1 where {pk_col} = $2 and {col} = $3");
    let done = on_tx!(tx, conn => {
        sqlx::query(&sql)
            .bind(new)
            .bind(pk)
            .bind(old)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// [`replace_tx`] for many values at once: answers the row keys replaced. On
/// PostgreSQL one statement (a round trip per batch, not per value).
pub async fn replace_many_tx(
    tx: &mut Tx,
    column: &SealedColumn,
    values: &[(&str, &str, &str)],
) -> Result<Vec<String>, DbError> {
    match tx {
        Tx::Postgres(t) => {
            let SealedColumn {
                table,
                column: col,
                pk: pk_col,
                ..
            } = column;
            let sql = format!(
                "update {table} as t set {col} = v.new \
                 from unnest($1::text[], $2::text[], $3::text[]) as v(pk, old, new) \
                 where t.{pk_col} = v.pk and t.{col} = v.old returning t.{pk_col}"
            );
            let pks: Vec<&str> = values.iter().map(|v| v.0).collect();
            let olds: Vec<&str> = values.iter().map(|v| v.1).collect();
            let news: Vec<&str> = values.iter().map(|v| v.2).collect();
            let rows = sqlx::query_scalar::<_, String>(&sql)
                .bind(pks)
                .bind(olds)
                .bind(news)
                .fetch_all(&mut **t)
                .await?;
            Ok(rows)
        }
        Tx::Sqlite(_) => {
            let mut replaced = Vec::with_capacity(values.len());
            for (pk, old, new) in values {
                if replace_tx(tx, column, pk, old, new).await? {
                    replaced.push((*pk).to_owned());
                }
            }
            Ok(replaced)
        }
    }
}

/// How many values of `column` each key id seals, by the id in the stored form.
pub async fn count_by_key(db: &Db, column: &SealedColumn) -> Result<Vec<(String, i64)>, DbError> {
    let SealedColumn {
        table, column: col, ..
    } = column;
    let key_id = match db.backend() {
        Backend::Sqlite => format!("substr({col}, 5, instr(substr({col}, 5), ':') - 1)"),
        Backend::Postgres => format!("split_part({col}, ':', 2)"),
    };
    let sql = format!(
        "select {key_id} as key_id, count(*) as n from {table} \
         where {col} is not null group by 1 order by 1"
    );
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, (String, i64)>(&sql).fetch_all(pool).await
    })?;
    Ok(rows)
}

/// A serving process, as it last reported itself.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InstanceRow {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub version: String,
    /// The key ring's ids, comma-separated, the sealing key first.
    pub key_ids: String,
    pub started_at: i64,
    pub seen_at: i64,
}

/// Records or refreshes a process's row.
pub async fn upsert_instance(db: &Db, row: &InstanceRow) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into instances (id, host, pid, version, key_ids, started_at, seen_at) \
             values ($1, $2, $3, $4, $5, $6, $7) \
             on conflict (id) do update set seen_at = excluded.seen_at, key_ids = excluded.key_ids",
        )
        .bind(&row.id)
        .bind(&row.host)
        .bind(row.pid)
        .bind(&row.version)
        .bind(&row.key_ids)
        .bind(row.started_at)
        .bind(row.seen_at)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn delete_instance(db: &Db, id: &str) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query("delete from instances where id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// Processes seen since `since`; rows older than `forget_before` are removed.
pub async fn live_instances(
    db: &Db,
    since: i64,
    forget_before: i64,
) -> Result<Vec<InstanceRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query("delete from instances where seen_at < $1")
            .bind(forget_before)
            .execute(pool)
            .await?;
        sqlx::query_as::<_, InstanceRow>(
            "select id, host, pid, version, key_ids, started_at, seen_at from instances \
             where seen_at >= $1 order by started_at, id",
        )
        .bind(since)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// An installation-wide key ring event.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRingEventRow {
    pub id: String,
    pub action: String,
    pub key_id: String,
    /// A JSON object; never key material.
    pub detail: String,
    pub actor_label: String,
    pub host: String,
    pub created_at: i64,
}

pub async fn insert_event(db: &Db, row: &KeyRingEventRow) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into key_ring_events (id, action, key_id, detail, actor_label, host, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.id)
        .bind(&row.action)
        .bind(&row.key_id)
        .bind(&row.detail)
        .bind(&row.actor_label)
        .bind(&row.host)
        .bind(row.created_at)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The newest events first.
pub async fn recent_events(db: &Db, limit: i64) -> Result<Vec<KeyRingEventRow>, DbError> {
    let rows = on_pool!(db, pool => {
        sqlx::query_as::<_, KeyRingEventRow>(
            "select id, action, key_id, detail, actor_label, host, created_at \
             from key_ring_events order by created_at desc, id desc limit $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

/// Forgets a retired key's canary, so start-up no longer asks for the key.
pub async fn delete_canary(db: &Db, key_id: &str) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query("delete from key_canaries where key_id = $1")
            .bind(key_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
