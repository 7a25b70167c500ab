//! The MCP gateway checked with the official Python MCP SDK (being written).
