//! Where pinbridge may send webhooks: https URLs of hosts on the public
//! internet. Loopback, private, link-local (cloud metadata at 169.254.169.254),
//! shared, multicast and reserved addresses are refused when an endpoint is
//! saved and again at every connection, by the resolver the delivery client
//! uses, so a name that resolves elsewhere later (DNS rebinding) reaches
//! nothing private. An installation may allow private targets (and plain http
//! to them) for receivers on its own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The longest endpoint URL accepted.
pub const URL_MAX: usize = 2000;

/// Whether pinbridge must not send to `ip` (unless private targets are allowed).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local (includes fd00:ec2::254, a metadata address)
                || (s[0] & 0xfe00) == 0xfc00
                // fe80::/10 link-local
                || (s[0] & 0xffc0) == 0xfe80
                // 64:ff9b::/96 and 64:ff9b:1::/48 translate to IPv4: judge it by that
                || (s[0] == 0x64 && s[1] == 0xff9b)
                // 2001:db8::/32 documentation
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                // ::/96 IPv4-compatible (deprecated)
                || (s[..6] == [0; 6])
        }
    }
}

fn private_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        // 0.0.0.0/8 "this network"
        || o[0] == 0
        // 100.64.0.0/10 shared address space (carrier-grade NAT)
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // 192.0.0.0/24 protocol assignments
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        // 198.18.0.0/15 benchmarking
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        // 240.0.0.0/4 reserved
        || o[0] >= 240
}

/// Parses an endpoint URL as typed into the form: why not, in words.
pub fn parse(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("The URL is required, e.g. https://example.com/webhooks/pinbridge.".into());
    }
    if text.len() > URL_MAX {
        return Err(format!(
            "The URL is {} characters long: at most {URL_MAX}.",
            text.len()
        ));
    }
    let url = url::Url::parse(text)
        .map_err(|e| format!("\u{201c}{}\u{201d} is not a URL ({e}).", shorten(text)))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return Err(
                "The URL must start with https:// (webhooks carry your end users' connection data)."
                    .into(),
            );
        }
        other => {
            return Err(format!("The URL must start with https://, not {other}://."));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "The URL must not contain a user name or password: verify deliveries with the signing secret instead."
                .into(),
        );
    }
    match url.host() {
        None => return Err("The URL has no host.".into()),
        Some(url::Host::Ipv4(ip)) if !allow_private && is_private(IpAddr::V4(ip)) => {
            return Err(private_refusal(&ip.to_string(), IpAddr::V4(ip)));
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && is_private(IpAddr::V6(ip)) => {
            return Err(private_refusal(&ip.to_string(), IpAddr::V6(ip)));
        }
        _ => {}
    }
    if url.scheme() == "http" && !private_host(&url) {
        // Plain http is allowed to private targets only; a name is judged when it resolves.
        if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host() {
            return Err(
                "Plain http is allowed only to private addresses: use https:// for a public receiver."
                    .into(),
            );
        }
    }
    Ok(url)
}

fn private_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        _ => false,
    }
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        format!("{short}\u{2026}")
    } else {
        short
    }
}

fn private_refusal(host: &str, ip: IpAddr) -> String {
    format!(
        "{host} resolves to {ip}, a loopback, private, link-local or reserved address: pinbridge sends webhooks only to public addresses."
    )
}

/// An endpoint URL as records show it (the audit log, the portal's history):
/// without its query or fragment, which receivers often use for a token.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let hidden = u.query().is_some() || u.fragment().is_some();
            u.set_query(None);
            u.set_fragment(None);
            if hidden {
                format!("{u}?\u{2026}")
            } else {
                u.to_string()
            }
        }
        Err(_) => url.chars().take(40).collect(),
    }
}

/// Resolves the URL's host as a delivery would, and refuses it when any of its
/// addresses is private (unless allowed) or it does not resolve.
pub async fn check_resolves(url: &url::Url, allow_private: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = resolve(host, port).await?;
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(private_refusal(host, bad.ip()));
    }
    if url.scheme() == "http" && addrs.iter().any(|a| !is_private(a.ip())) {
        return Err(format!(
            "Plain http is allowed only to private addresses, and {host} resolves to a public one: use https://."
        ));
    }
    Ok(())
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("{host} does not resolve ({e})."))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve to any address."));
    }
    Ok(addrs)
}

/// The delivery client's resolver: a name's private addresses are dropped
/// (unless allowed), so a connection can only be made to a public one.
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs = resolve(&host, 0).await?;
            let usable: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allow_private || !is_private(a.ip()))
                .collect();
            if usable.is_empty() {
                return Err(private_refusal(&host, addrs[0].ip()).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(usable.into_iter());
            Ok(addrs)
        })
    }
}

/// A URL's literal IP host, which no resolver sees: refused when private
/// (unless allowed).
pub fn check_literal(url: &url::Url, allow_private: bool) -> Result<(), String> {
    if allow_private || !private_host(url) {
        Ok(())
    } else {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        Err(private_refusal(&ip.to_string(), ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(is_private(ip(bad)), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert!(!is_private(ip(good)), "{good}");
        }
    }

    #[test]
    fn urls_must_be_https_without_credentials_and_not_at_private_addresses() {
        assert!(parse("https://hooks.example.com/pinbridge", false).is_ok());
        let e = parse("http://hooks.example.com/x", false).unwrap_err();
        assert!(e.contains("https://"), "{e}");
        let e = parse("ftp://hooks.example.com/x", false).unwrap_err();
        assert!(e.contains("not ftp://"), "{e}");
        let e = parse("https://user:pw@hooks.example.com/", false).unwrap_err();
        assert!(e.contains("user name or password"), "{e}");
        assert!(!e.contains("pw"), "{e}");
        let e = parse("https://169.254.169.254/latest", false).unwrap_err();
        assert!(e.contains("169.254.169.254"), "{e}");
        let e = parse("https://[::1]:8443/", false).unwrap_err();
        assert!(e.contains("::1"), "{e}");
        assert!(parse("not a url", false).unwrap_err().contains("not a URL"));
        assert!(parse("", false).unwrap_err().contains("required"));
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert!(parse(&long, false).unwrap_err().contains("at most 2000"));
        // Allowed for an installation's own network: private targets, and plain http to them.
        assert!(parse("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(parse("https://10.0.0.5/hook", true).is_ok());
        let e = parse("http://93.184.216.34/hook", true).unwrap_err();
        assert!(e.contains("only to private"), "{e}");
    }

    #[test]
    fn recorded_urls_keep_no_query() {
        assert_eq!(
            redacted("https://hooks.example.com/in?token=s3cret#x"),
            "https://hooks.example.com/in?\u{2026}"
        );
        assert_eq!(
            redacted("https://hooks.example.com/in"),
            "https://hooks.example.com/in"
        );
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_unless_allowed() {
        let url = url::Url::parse("https://localhost:9/hook").unwrap();
        let e = check_resolves(&url, false).await.unwrap_err();
        assert!(e.contains("localhost resolves to"), "{e}");
        assert!(check_resolves(&url, true).await.is_ok());
        let literal = url::Url::parse("https://127.0.0.1/").unwrap();
        assert!(check_literal(&literal, false).is_err());
        assert!(check_literal(&literal, true).is_ok());
    }
}
