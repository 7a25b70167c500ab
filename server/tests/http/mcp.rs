//! The MCP gateway over HTTP (being written).
