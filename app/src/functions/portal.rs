//! What the portal knows about this installation.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::PortalInfo;

#[server(endpoint = "portal/info")]
pub async fn load_portal_info() -> Result<PortalInfo, AppError> {
    super::context::signed_in().await?;
    let services = super::context::services()?;
    let config = &services.config;
    let redirect_uri = config.redirect_uri();
    Ok(PortalInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        public_url: config.public_url.clone(),
        redirect_uri_warning: redirect_uri_warning(&config.public_url),
        redirect_uri,
        pinterest_oauth_url: config.pinterest_oauth_url.clone(),
        pinterest_api_url: config.pinterest_api_url.clone(),
        pinterest_sandbox_api_url: config.pinterest_sandbox_api_url.clone(),
        database: services.db.backend().label().to_owned(),
        encryption_keys: u32::try_from(services.keys.len()).unwrap_or(u32::MAX),
        primary_key_id: services.keys.primary_id().to_string(),
    })
}

/// Pinterest accepts only https redirect URIs on public hosts for production apps.
#[cfg(feature = "ssr")]
pub fn redirect_uri_warning(public_url: &str) -> Option<String> {
    let url = url::Url::parse(public_url).ok()?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    };
    match (url.scheme() == "https", loopback) {
        (true, false) => None,
        (false, true) => Some(
            "The public URL is plain http on a loopback address: fine for local testing, but Pinterest will refuse this redirect URI for production use. Set PINBRIDGE_PUBLIC_URL to your https address.".into(),
        ),
        (false, false) => Some(
            "The public URL is not https: Pinterest requires https redirect URIs. Set PINBRIDGE_PUBLIC_URL to your https address.".into(),
        ),
        (true, true) => Some(
            "The public URL is a loopback address: Pinterest cannot redirect your users' browsers there in production.".into(),
        ),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::redirect_uri_warning;

    #[test]
    fn warns_for_http_and_loopback_only() {
        assert!(redirect_uri_warning("https://bridge.example.com").is_none());
        let local = redirect_uri_warning("http://127.0.0.1:3000").unwrap();
        assert!(local.contains("loopback"));
        assert!(
            redirect_uri_warning("http://bridge.example.com")
                .unwrap()
                .contains("not https")
        );
        assert!(
            redirect_uri_warning("https://localhost")
                .unwrap()
                .contains("loopback")
        );
        assert!(redirect_uri_warning("https://[::1]:8443").is_some());
    }
}
