//! MCP sessions in pinbridge's database, so that any instance can continue a
//! session: the SDK stores the client's `initialize` parameters after the
//! handshake and, on an instance that does not know the session, loads them
//! and replays the handshake.

use domain::Services;
use rmcp::transport::streamable_http_server::session::{
    SessionState, SessionStore, SessionStoreError,
};

pub struct DbSessionStore {
    services: Services,
}

impl DbSessionStore {
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(text) = domain::agent::sessions::load(&self.services, session_id).await? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_str(&text)?))
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let text = serde_json::to_string(state)?;
        domain::agent::sessions::store(&self.services, session_id, &text).await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        domain::agent::sessions::delete(&self.services, session_id).await?;
        Ok(())
    }
}
