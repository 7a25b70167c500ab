//! Who is asking: the client's IP address, for throttling, the audit log and
//! logs.
//!
//! pinbridge normally sits behind a reverse proxy (Pinterest wants an https
//! redirect URI), so the TCP peer is the proxy. Forwarding headers
//! (`Forwarded`, else `X-Forwarded-For`) are believed only when the peer is one
//! of `PINBRIDGE_TRUSTED_PROXIES`, and then only as far as they were written by
//! trusted hops: the chain is read from the right (the hop nearest to us) and
//! the first address that is not a trusted proxy is the client. Anything left of
//! it was written by the client itself and could say anything. Without trusted
//! proxies, the peer address is the client, whatever the headers say.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

pub use app::functions::{ClientIp, client_ip};

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (or single addresses) separated by commas or spaces:
    /// `10.0.0.0/8, 2001:db8::/32, 192.0.2.1`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in input
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let net = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "{entry:?} is not an IP network: give CIDRs such as 10.0.0.0/8 or 2001:db8::/32, or single addresses, separated by commas"
                    )
                })?;
            nets.push(net.trunc());
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind a request that came from `peer` with `headers`.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let hops = match forwarded_for(headers) {
            Some(hops) => hops,
            None => return peer,
        };
        // From the right: skip trusted proxies; the first other hop is the client.
        // An entry that is not an address (`unknown`, an obfuscated name, garbage)
        // ends the walk: the last trusted hop is as far as we can see.
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop else {
                break;
            };
            client = canonical(*ip);
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&nets.join(", "))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, from a dual-stack socket)
/// are the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The `for` addresses of every hop, oldest first: from `Forwarded` (RFC 7239)
/// if the request has it, else from `X-Forwarded-For`. `None` when neither is
/// present; an entry that is not an IP address is `None` inside.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let joined = |name: &str| -> Option<String> {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("\u{0}"))
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    };
    if let Some(forwarded) = joined("forwarded") {
        return Some(
            forwarded
                .split(',')
                .map(|element| {
                    element.split(';').find_map(|pair| {
                        let (name, value) = pair.split_once('=')?;
                        name.trim()
                            .eq_ignore_ascii_case("for")
                            .then(|| node_ip(value.trim().trim_matches('"')))?
                    })
                })
                .collect(),
        );
    }
    joined("x-forwarded-for").map(|xff| xff.split(',').map(|hop| node_ip(hop.trim())).collect())
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`
/// or `[2001:db8::1]:4711`.
fn node_ip(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    let bracketed = node.strip_prefix('[')?;
    bracketed.split_once(']')?.0.parse().ok()
}

/// Middleware: works out the client's address once, for everything after it
/// (`ClientIp` in the request's extensions).
pub async fn resolve(
    State(trusted): State<std::sync::Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let client = trusted.client_of(peer.ip(), request.headers());
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn proxies_parse_as_networks_or_addresses_and_bad_entries_are_named() {
        let t = TrustedProxies::parse("10.0.0.0/8, 2001:db8::/32 192.0.2.1").unwrap();
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        assert!(t.contains(ip("2001:db8:ffff::1")));
        assert!(t.contains(ip("192.0.2.1")));
        assert!(!t.contains(ip("192.0.2.2")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert_eq!(t.to_string(), "10.0.0.0/8, 2001:db8::/32, 192.0.2.1/32");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let e = TrustedProxies::parse("10.0.0.0/8,10.0.0.0/33").unwrap_err();
        assert!(e.contains("\"10.0.0.0/33\" is not an IP network"), "{e}");
        assert!(TrustedProxies::parse("proxy.internal").is_err());
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let none = TrustedProxies::default();
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", "for=198.51.100.8"),
        ]);
        assert_eq!(none.client_of(ip("203.0.113.5"), &h), ip("203.0.113.5"));
        // A trusted list that does not hold the peer: the same.
        let other = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(other.client_of(ip("203.0.113.5"), &h), ip("203.0.113.5"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client wrote a fake first entry; our proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.9")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // Several header lines are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // Ports and brackets as proxies write them.
        let h = headers(&[("x-forwarded-for", "[2001:db8::7]:4711")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("2001:db8::7"));
        let h = headers(&[("x-forwarded-for", "198.51.100.7:4711")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // Every hop trusted: the left-most one is as far as we can see.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.9")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("10.9.9.9"));
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(
            t.client_of(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_is_parsed_per_rfc_7239() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[
            ("x-forwarded-for", "192.0.2.99"),
            (
                "forwarded",
                r#"for=1.2.3.4;proto=https, For="[2001:db8:cafe::17]:4711";by=10.0.0.2, for=10.0.0.3"#,
            ),
        ]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
    }

    #[test]
    fn an_entry_that_is_not_an_address_stops_the_walk() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        for value in [
            "198.51.100.7, unknown, 10.0.0.9",
            "198.51.100.7, garbage, 10.0.0.9",
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("10.0.0.9"), "{value}");
        }
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.4")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("10.0.0.4"));
        // An untrusted peer's headers are never read, however odd.
        let h = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(t.client_of(ip("203.0.113.5"), &h), ip("203.0.113.5"));
    }
}
