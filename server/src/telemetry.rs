//! Structured logs with `tracing`.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it twice is harmless (tests do).
pub fn init(filter: &str, format: LogFormat) {
    let filter =
        EnvFilter::try_new(quiet_mcp_sdk(filter)).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The filter with the MCP SDK's own logs at `warn` unless it names them:
/// at `info` the SDK logs each stateless MCP request's whole client
/// description three times over (about 1.4 KB a call).
fn quiet_mcp_sdk(filter: &str) -> String {
    if filter.contains("rmcp") {
        filter.to_owned()
    } else {
        format!("{filter},rmcp=warn")
    }
}

#[cfg(test)]
mod tests {
    use super::quiet_mcp_sdk;

    #[test]
    fn the_mcp_sdk_logs_warnings_unless_the_filter_names_it() {
        assert_eq!(quiet_mcp_sdk("info"), "info,rmcp=warn");
        assert_eq!(quiet_mcp_sdk("debug,rmcp=debug"), "debug,rmcp=debug");
    }
}
