//! What an environment API key may do.

closed_set! {
    /// One permission of an API key. A key holds any non-empty set of them.
    pub enum ApiPermission {
        /// Create connect sessions (links for end users).
        Connect = "connect",
        /// List and read connections.
        ConnectionsRead = "connections:read",
        /// Check (probe) and disconnect connections.
        ConnectionsWrite = "connections:write",
        /// Get a connection's access token.
        Tokens = "tokens",
        /// Call Pinterest through pinbridge with a connection's token.
        Proxy = "proxy",
        /// Use Pinterest as MCP tools at /mcp (AI agents).
        Agent = "agent",
        /// Read the environment's audit records (`GET /v1/audit-events`).
        AuditRead = "audit:read",
    }
}

impl ApiPermission {
    /// What it allows, in a few words (shown where permissions are chosen).
    pub fn summary(self) -> &'static str {
        match self {
            Self::Connect => "create connect sessions for end users",
            Self::ConnectionsRead => "list connections and read their state",
            Self::ConnectionsWrite => "check and disconnect connections",
            Self::Tokens => "get a connection's Pinterest access token",
            Self::Proxy => "call Pinterest through pinbridge as a connection",
            Self::Agent => "use Pinterest as MCP tools at /mcp (AI agents)",
            Self::AuditRead => "read this environment's audit log (for security tooling)",
        }
    }

    /// Parses a space-separated list as stored. Unknown names are refused.
    pub fn parse_list(text: &str) -> Option<Vec<Self>> {
        let mut out = Vec::new();
        for name in text.split_whitespace() {
            let p = Self::parse(name)?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out.sort();
        Some(out)
    }
}

closed_set! {
    /// What an assistant signed in through OAuth (the agent gateway's
    /// authorization server) may do with the end user's Pinterest account.
    pub enum AgentScope {
        /// Read boards, pins and the account.
        Read = "pinterest:read",
        /// Create, change and delete boards and pins.
        Write = "pinterest:write",
    }
}

impl AgentScope {
    /// What it allows, in words an end user reads on the consent page.
    pub fn words(self) -> &'static str {
        match self {
            Self::Read => "See your Pinterest boards, pins and account",
            Self::Write => "Create, change and delete your boards and pins",
        }
    }

    /// Parses a space-separated scope parameter (RFC 6749 §3.3): `None` when
    /// a name is unknown; duplicates are folded and the order is ours.
    pub fn parse_list(text: &str) -> Option<Vec<Self>> {
        let mut out = Vec::new();
        for name in text.split(' ').filter(|n| !n.is_empty()) {
            let s = Self::parse(name)?;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out.sort();
        Some(out)
    }
}
