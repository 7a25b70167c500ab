//! Operators: the accounts people sign in with, installation-wide. Reading one
//! never reads its password hash (only sign-in does).

use super::email::Email;
use super::error::AccountsError;
use super::ids::OperatorId;
use super::names::DisplayName;
use super::password::PasswordHash;
use crate::db::Db;
use crate::db::repo::operators as rows;
use crate::db::tx::Tx;

pub use crate::db::repo::operators::OperatorRow;

/// The operator with this id, if the account still exists.
pub async fn find(db: &Db, id: &OperatorId) -> Result<Option<OperatorRow>, AccountsError> {
    Ok(rows::find(db, id).await?)
}

/// Whether an account has this email.
pub async fn exists(db: &Db, email: &Email) -> Result<bool, AccountsError> {
    // A read-only transaction, dropped (rolled back) at the end.
    let mut tx = db.begin().await?;
    Ok(rows::find_by_email_tx(&mut tx, email.as_str())
        .await?
        .is_some())
}

/// An account to create. The password was checked by `NewPassword` and hashed
/// by `Hasher` before it got here.
#[derive(Clone, Debug)]
pub struct NewOperator {
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: PasswordHash,
}

/// Inserts an operator, answering `EmailTaken` for an email in use.
pub(crate) async fn insert_operator_tx(
    tx: &mut Tx,
    new: &NewOperator,
    now: i64,
) -> Result<OperatorId, AccountsError> {
    let id = OperatorId::generate();
    rows::insert(
        tx,
        &id,
        new.email.as_str(),
        new.display_name.as_str(),
        &new.password_hash,
        now,
    )
    .await
    .map_err(|e| AccountsError::unique_or(e, AccountsError::EmailTaken))?;
    Ok(id)
}
