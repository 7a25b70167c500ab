//! How an agent's tool call ended.

closed_set! {
    /// How one MCP tool call ended: done, or the kind of tool error.
    pub enum ToolOutcome {
        /// Done.
        Ok = "ok",
        /// The arguments were wrong (missing, of the wrong type, ambiguous).
        Invalid = "invalid",
        /// No such connection for this key, or Pinterest has no such object.
        NotFound = "not_found",
        /// The end user must connect Pinterest again.
        Reconnect = "reconnect",
        /// The connection lacks a scope the tool needs.
        MissingScope = "missing_scope",
        /// Pinterest's rate limit.
        RateLimited = "rate_limited",
        /// Pinterest refused the request (its message is passed on).
        Refused = "refused",
        /// Pinterest could not be reached, answered 5xx or too late.
        Unavailable = "unavailable",
        /// pinbridge failed.
        Internal = "internal",
    }
}

impl ToolOutcome {
    /// A few words for people (the portal's tables).
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Invalid => "Invalid arguments",
            Self::NotFound => "Not found",
            Self::Reconnect => "Reconnect needed",
            Self::MissingScope => "Missing scope",
            Self::RateLimited => "Rate limited",
            Self::Refused => "Refused by Pinterest",
            Self::Unavailable => "Pinterest unavailable",
            Self::Internal => "Internal error",
        }
    }
}
