//! `agent_clients`, `agent_grants`, `agent_codes` and `agent_tokens`: the
//! agent gateway's OAuth authorization server. Codes, tokens and client
//! secrets are stored as their SHA-256 only.

use crate::accounts::{ApiKeyId, EnvironmentId, WorkspaceId};
use crate::db::repo::api_keys::ApiKeyRow;
use crate::db::tx::{Tx, on_tx};
use crate::db::{Db, DbError, on_pool};

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    /// JSON array of strings.
    pub redirect_uris: String,
    pub auth_method: String,
    pub secret_hash: Option<String>,
    /// The registered metadata (JSON object).
    pub metadata: String,
    pub created_at: i64,
    pub registered_ip: Option<String>,
    /// A metadata document's client: when it was last fetched.
    pub fetched_at: Option<i64>,
}

const CLIENT_COLUMNS: &str = "id, name, redirect_uris, auth_method, secret_hash, metadata, \
     created_at, registered_ip, fetched_at";

pub async fn insert_client(db: &Db, row: &ClientRow) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into agent_clients (id, name, redirect_uris, auth_method, secret_hash, \
             metadata, created_at, registered_ip) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.redirect_uris)
        .bind(&row.auth_method)
        .bind(&row.secret_hash)
        .bind(&row.metadata)
        .bind(row.created_at)
        .bind(&row.registered_ip)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Keeps a metadata document's client (fetched now), replacing what an
/// earlier fetch kept.
pub async fn upsert_document_client(db: &Db, row: &ClientRow) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into agent_clients (id, name, redirect_uris, auth_method, secret_hash, \
             metadata, created_at, fetched_at) values ($1, $2, $3, $4, null, $5, $6, $7) \
             on conflict (id) do update set name = excluded.name, \
             redirect_uris = excluded.redirect_uris, auth_method = excluded.auth_method, \
             metadata = excluded.metadata, fetched_at = excluded.fetched_at",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.redirect_uris)
        .bind(&row.auth_method)
        .bind(&row.metadata)
        .bind(row.created_at)
        .bind(row.fetched_at)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn find_client(db: &Db, id: &str) -> Result<Option<ClientRow>, DbError> {
    let sql = format!("select {CLIENT_COLUMNS} from agent_clients where id = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, ClientRow>(&sql).bind(id).fetch_optional(pool).await
    })?;
    Ok(row)
}

/// A client's name, for the audit log.
pub async fn client_name_tx(tx: &mut Tx, id: &str) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = on_tx!(tx, conn => {
        sqlx::query_as("select name from agent_clients where id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row.map(|(name,)| name))
}

/// Clients registered since `since` that nobody has authorized yet.
pub async fn count_unused_since(db: &Db, since: i64) -> Result<i64, DbError> {
    let (n,): (i64,) = on_pool!(db, pool => {
        sqlx::query_as(
            "select count(*) from agent_clients c where c.created_at >= $1 and not exists \
             (select 1 from agent_grants g where g.client_id = c.id)",
        )
        .bind(since)
        .fetch_one(pool)
        .await
    })?;
    Ok(n)
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub end_user_id: String,
    pub key_id: ApiKeyId,
    pub scope: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

const GRANT_COLUMNS: &str = "id, client_id, workspace_id, environment_id, end_user_id, key_id, \
     scope, created_at, revoked_at, revoked_by";

pub async fn insert_grant_tx(tx: &mut Tx, row: &GrantRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into agent_grants (id, client_id, workspace_id, environment_id, end_user_id, \
             key_id, scope, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&row.id)
        .bind(&row.client_id)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.end_user_id)
        .bind(&row.key_id)
        .bind(&row.scope)
        .bind(row.created_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The end user's grant to the client in the environment that is not revoked.
pub async fn active_grant_tx(
    tx: &mut Tx,
    client_id: &str,
    environment_id: &EnvironmentId,
    end_user_id: &str,
) -> Result<Option<GrantRow>, DbError> {
    let sql = format!(
        "select {GRANT_COLUMNS} from agent_grants where client_id = $1 and environment_id = $2 \
         and end_user_id = $3 and revoked_at is null"
    );
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, GrantRow>(&sql)
            .bind(client_id)
            .bind(environment_id)
            .bind(end_user_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

pub async fn grant_tx(tx: &mut Tx, id: &str) -> Result<Option<GrantRow>, DbError> {
    let sql = format!("select {GRANT_COLUMNS} from agent_grants where id = $1");
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, GrantRow>(&sql).bind(id).fetch_optional(conn).await
    })?;
    Ok(row)
}

pub async fn set_grant_scope_tx(tx: &mut Tx, id: &str, scope: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query("update agent_grants set scope = $2 where id = $1")
            .bind(id)
            .bind(scope)
            .execute(conn)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// A grant by id, within the environment (for the portal).
pub async fn find_grant_tx(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    id: &str,
) -> Result<Option<GrantRow>, DbError> {
    let sql = format!(
        "select {GRANT_COLUMNS} from agent_grants where workspace_id = $1 and environment_id = $2 \
         and id = $3"
    );
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, GrantRow>(&sql)
            .bind(workspace_id)
            .bind(environment_id)
            .bind(id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row)
}

/// Revokes a grant, its key and every token it has; false when it already was.
pub async fn revoke_grant_tx(
    tx: &mut Tx,
    grant: &GrantRow,
    by: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update agent_grants set revoked_at = $2, revoked_by = $3 \
             where id = $1 and revoked_at is null",
        )
        .bind(&grant.id)
        .bind(now)
        .bind(by)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if done != 1 {
        return Ok(false);
    }
    on_tx!(tx, conn => {
        sqlx::query(
            "update api_keys set revoked_at = $2, revoked_by = $3 \
             where id = $1 and revoked_at is null",
        )
        .bind(&grant.key_id)
        .bind(now)
        .bind(by)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    revoke_tokens_tx(tx, &grant.id, now).await?;
    Ok(true)
}

/// Ends every token of a grant that has not ended.
pub async fn revoke_tokens_tx(tx: &mut Tx, grant_id: &str, now: i64) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "update agent_tokens set revoked_at = $2 where grant_id = $1 and revoked_at is null",
        )
        .bind(grant_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// A grant as the Agents page lists it: with its client and its key's use.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantListed {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: String,
    pub end_user_id: String,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The environment's grants that are not revoked, per end user, newest first.
pub async fn list_grants(
    db: &Db,
    workspace_id: &WorkspaceId,
    environment_id: &EnvironmentId,
    end_user_id: Option<&str>,
) -> Result<Vec<GrantListed>, DbError> {
    let mut sql = String::from(
        "select g.id, g.client_id, c.name as client_name, c.redirect_uris, g.end_user_id, \
         g.scope, g.created_at, k.last_used_at \
         from agent_grants g join agent_clients c on c.id = g.client_id \
         join api_keys k on k.id = g.key_id \
         where g.workspace_id = $1 and g.environment_id = $2 and g.revoked_at is null",
    );
    if end_user_id.is_some() {
        sql.push_str(" and g.end_user_id = $3");
    }
    sql.push_str(" order by g.end_user_id, g.created_at desc, g.id");
    let rows = on_pool!(db, pool => {
        let mut query = sqlx::query_as::<_, GrantListed>(&sql)
            .bind(workspace_id)
            .bind(environment_id);
        if let Some(end_user) = end_user_id {
            query = query.bind(end_user);
        }
        query.fetch_all(pool).await
    })?;
    Ok(rows)
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeRow {
    pub grant_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_code_tx(tx: &mut Tx, code_hash: &str, row: &CodeRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into agent_codes (code_hash, grant_id, redirect_uri, code_challenge, \
             resource, scope, expires_at) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(code_hash)
        .bind(&row.grant_id)
        .bind(&row.redirect_uri)
        .bind(&row.code_challenge)
        .bind(&row.resource)
        .bind(&row.scope)
        .bind(row.expires_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn find_code_tx(tx: &mut Tx, code_hash: &str) -> Result<Option<CodeRow>, DbError> {
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, CodeRow>(
            "select grant_id, redirect_uri, code_challenge, resource, scope, expires_at, used_at \
             from agent_codes where code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row)
}

/// Marks a code used; false when another request used it first.
pub async fn use_code_tx(tx: &mut Tx, code_hash: &str, now: i64) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query("update agent_codes set used_at = $2 where code_hash = $1 and used_at is null")
            .bind(code_hash)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub grant_id: String,
    pub kind: String,
    pub resource: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert_token_tx(tx: &mut Tx, token_hash: &str, row: &TokenRow) -> Result<(), DbError> {
    on_tx!(tx, conn => {
        sqlx::query(
            "insert into agent_tokens (token_hash, grant_id, kind, resource, scope, created_at, \
             expires_at) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(&row.grant_id)
        .bind(&row.kind)
        .bind(&row.resource)
        .bind(&row.scope)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

const TOKEN_COLUMNS: &str =
    "grant_id, kind, resource, scope, created_at, expires_at, used_at, revoked_at";

pub async fn find_token_tx(tx: &mut Tx, token_hash: &str) -> Result<Option<TokenRow>, DbError> {
    let sql = format!("select {TOKEN_COLUMNS} from agent_tokens where token_hash = $1");
    let row = on_tx!(tx, conn => {
        sqlx::query_as::<_, TokenRow>(&sql).bind(token_hash).fetch_optional(conn).await
    })?;
    Ok(row)
}

/// Marks a refresh token used; false when it was used or ended meanwhile.
pub async fn use_token_tx(tx: &mut Tx, token_hash: &str, now: i64) -> Result<bool, DbError> {
    let done = on_tx!(tx, conn => {
        sqlx::query(
            "update agent_tokens set used_at = $2 \
             where token_hash = $1 and used_at is null and revoked_at is null",
        )
        .bind(token_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

/// Ends one token (RFC 7009); the token's grant, when there was such a token.
pub async fn revoke_token_tx(
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> Result<Option<String>, DbError> {
    let row = find_token_tx(tx, token_hash).await?;
    on_tx!(tx, conn => {
        sqlx::query(
            "update agent_tokens set revoked_at = $2 where token_hash = $1 and revoked_at is null",
        )
        .bind(token_hash)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(row.map(|r| r.grant_id))
}

/// An access or refresh token as presented, with its grant's state.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PresentedToken {
    pub kind: String,
    pub resource: String,
    pub token_scope: String,
    pub token_expires_at: i64,
    pub token_used_at: Option<i64>,
    pub token_revoked_at: Option<i64>,
    pub grant_id: String,
    pub grant_revoked_at: Option<i64>,
}

/// What a token stands for: the token, and its grant's key row (the caller).
#[derive(Clone, Debug)]
pub struct Bearer {
    pub token: PresentedToken,
    pub key: ApiKeyRow,
}

/// The token with this hash and its grant's key, in one read.
pub async fn find_bearer(db: &Db, token_hash: &str) -> Result<Option<Bearer>, DbError> {
    use sqlx::FromRow;
    let key_columns = crate::db::repo::api_keys::COLUMNS
        .split(", ")
        .map(|c| format!("k.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select t.kind, t.resource, t.scope as token_scope, t.expires_at as token_expires_at, \
         t.used_at as token_used_at, t.revoked_at as token_revoked_at, g.id as grant_id, \
         g.revoked_at as grant_revoked_at, {key_columns} \
         from agent_tokens t join agent_grants g on g.id = t.grant_id \
         join api_keys k on k.id = g.key_id where t.token_hash = $1"
    );
    let bearer = on_pool!(db, pool => {
        match sqlx::query(&sql).bind(token_hash).fetch_optional(pool).await {
            Ok(Some(row)) => PresentedToken::from_row(&row)
                .and_then(|token| Ok(Some(Bearer { token, key: ApiKeyRow::from_row(&row)? }))),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        }
    })?;
    Ok(bearer)
}

/// Forgets codes and tokens that ended before `before`, and clients
/// registered before `unused_before` that nobody ever authorized.
pub async fn prune(db: &Db, before: i64, unused_before: i64) -> Result<u64, DbError> {
    let mut removed = 0;
    for sql in [
        "delete from agent_codes where expires_at < $1",
        "delete from agent_tokens where expires_at < $1",
    ] {
        removed += on_pool!(db, pool => {
            sqlx::query(sql).bind(before).execute(pool).await.map(|r| r.rows_affected())
        })?;
    }
    removed += on_pool!(db, pool => {
        sqlx::query(
            "delete from agent_clients where created_at < $1 and not exists \
             (select 1 from agent_grants g where g.client_id = agent_clients.id)",
        )
        .bind(unused_before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(removed)
}

/// An authorization request in progress (or an operator's test sign-in).
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthorizationRow {
    pub id: String,
    pub browser_hash: String,
    pub workspace_id: WorkspaceId,
    pub environment_id: EnvironmentId,
    pub client_id: Option<String>,
    pub test_by: Option<String>,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub sign_in_nonce: Option<String>,
    pub sign_in_verifier: Option<String>,
    pub end_user_id: Option<String>,
    pub consented_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub finished_at: Option<i64>,
}

impl std::fmt::Debug for AuthorizationRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationRow")
            .field("id", &self.id)
            .field("environment_id", &self.environment_id)
            .field("client_id", &self.client_id)
            .field("end_user_id", &self.end_user_id)
            .finish_non_exhaustive()
    }
}

const AUTHORIZATION_COLUMNS: &str = "id, browser_hash, workspace_id, environment_id, client_id, \
     test_by, redirect_uri, state, code_challenge, resource, scope, sign_in_nonce, \
     sign_in_verifier, end_user_id, consented_at, created_at, expires_at, finished_at";

pub async fn insert_authorization(db: &Db, row: &AuthorizationRow) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "insert into agent_authorizations (id, browser_hash, workspace_id, environment_id, \
             client_id, test_by, redirect_uri, state, code_challenge, resource, scope, \
             sign_in_nonce, sign_in_verifier, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&row.id)
        .bind(&row.browser_hash)
        .bind(&row.workspace_id)
        .bind(&row.environment_id)
        .bind(&row.client_id)
        .bind(&row.test_by)
        .bind(&row.redirect_uri)
        .bind(&row.state)
        .bind(&row.code_challenge)
        .bind(&row.resource)
        .bind(&row.scope)
        .bind(&row.sign_in_nonce)
        .bind(&row.sign_in_verifier)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

pub async fn find_authorization(db: &Db, id: &str) -> Result<Option<AuthorizationRow>, DbError> {
    let sql = format!("select {AUTHORIZATION_COLUMNS} from agent_authorizations where id = $1");
    let row = on_pool!(db, pool => {
        sqlx::query_as::<_, AuthorizationRow>(&sql).bind(id).fetch_optional(pool).await
    })?;
    Ok(row)
}

/// Records who signed in, once: the nonce and verifier are spent. False when
/// another request signed in on it first.
pub async fn signed_in(db: &Db, id: &str, end_user_id: &str) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query(
            "update agent_authorizations set end_user_id = $2, sign_in_nonce = null, \
             sign_in_verifier = null where id = $1 and end_user_id is null \
             and sign_in_nonce is not null",
        )
        .bind(id)
        .bind(end_user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn consented(db: &Db, id: &str, now: i64) -> Result<(), DbError> {
    on_pool!(db, pool => {
        sqlx::query(
            "update agent_authorizations set consented_at = $2 \
             where id = $1 and consented_at is null",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Ends a request; false when it had already ended.
pub async fn finish_authorization(db: &Db, id: &str, now: i64) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => {
        sqlx::query(
            "update agent_authorizations set finished_at = $2 \
             where id = $1 and finished_at is null",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}

pub async fn prune_authorizations(db: &Db, before: i64) -> Result<u64, DbError> {
    let n = on_pool!(db, pool => {
        sqlx::query("delete from agent_authorizations where expires_at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n)
}
