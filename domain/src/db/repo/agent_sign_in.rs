//! `agent_sign_in`: each environment's OpenID Connect provider for the agent
//! gateway's end users (the client secret sealed).

use crate::accounts::{EnvironmentId, WorkspaceId};
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SignInRow {
    pub environment_id: EnvironmentId,
    pub workspace_id: WorkspaceId,
    pub issuer: String,
    pub client_id: String,
    /// Sealed with the key ring.
    pub client_secret: String,
    pub user_claim: String,
    pub updated_by: String,
    pub updated_at: i64,
}

impl std::fmt::Debug for SignInRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRow")
            .field("environment_id", &self.environment_id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("user_claim", &self.user_claim)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "environment_id, workspace_id, issuer, client_id, client_secret, \
     user_claim, updated_by, updated_at";

pub async fn find(db: &Db, environment_id: &EnvironmentId) -> Result<Option<SignInRow>, DbError> {
    let sql = format!("select {COLUMNS} from agent_sign_in where environment_id = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, SignInRow>(&sql).bind(environment_id).fetch_optional(pool).await
    })?;
    Ok(row)
}

pub async fn find_tx(
    tx: &mut Tx,
    environment_id: &EnvironmentId,
) -> Result<Option<SignInRow>, DbError> {
    let sql = format!("select {COLUMNS} from agent_sign_in where environment_id = $1");
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, SignInRow>(&sql).bind(environment_id).fetch_optional(conn).await
    })?;
    Ok(row)
}

pub async fn upsert_tx(tx: &mut Tx, row: &SignInRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into agent_sign_in (environment_id, workspace_id, issuer, client_id, \
             client_secret, user_claim, updated_by, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8) \
             on conflict (environment_id) do update set issuer = excluded.issuer, \
             client_id = excluded.client_id, client_secret = excluded.client_secret, \
             user_claim = excluded.user_claim, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&row.environment_id)
        .bind(&row.workspace_id)
        .bind(&row.issuer)
        .bind(&row.client_id)
        .bind(&row.client_secret)
        .bind(&row.user_claim)
        .bind(&row.updated_by)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Deletes the environment's settings; false when it had none.
pub async fn delete_tx(tx: &mut Tx, environment_id: &EnvironmentId) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query("delete from agent_sign_in where environment_id = $1")
            .bind(environment_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
