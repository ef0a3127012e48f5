//! Who is asking: the address of the client behind a request, which per-address limits count.
//!
//! The peer's address, unless the peer is one of the trusted proxies (`TRUSTED_PROXIES`): then the
//! right-most hop that is not itself a trusted proxy, from RFC 7239 `Forwarded` (`for=`) when the
//! request has one, else from `X-Forwarded-For`. Entries a client wrote itself stand to the left of
//! what the proxies appended, so they are never believed. A hop may be written `ip`, `ip:port`,
//! `[ipv6]` or `[ipv6]:port` (proxies differ); anything else ends the walk at the last trusted hop.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::AppState;

/// The networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl Default for TrustedProxies {
    /// Loopback: a proxy on the same host (nginx, a load balancer's local agent). A client that
    /// can connect from loopback can already do what it likes with this host.
    fn default() -> Self {
        let loopback_v4 = ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(127, 0, 0, 0), 8)
            .map_or_else(|_| IpNet::from(IpAddr::from([127, 0, 0, 1])), IpNet::V4);
        Self(vec![loopback_v4, IpNet::from(IpAddr::from(std::net::Ipv6Addr::LOCALHOST))])
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated addresses or networks (`10.0.0.0/8, 192.168.1.10`), or `none`.
    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim() == "none" {
            return Ok(Self(Vec::new()));
        }
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{s}' is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let networks: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&networks.join(", "))
    }
}

/// A hop as proxies write it: `ip`, `ip:port`, `[ipv6]`, `[ipv6]:port`, optionally quoted.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok());
        return port_ok.then(|| inside.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)).flatten();
    }
    hop.parse::<SocketAddr>().ok().filter(SocketAddr::is_ipv4).map(|a| a.ip())
}

/// The `for=` hops of RFC 7239 `Forwarded` values, in order (`None` for a hop without one).
fn forwarded_hops<'h>(values: impl Iterator<Item = &'h str>) -> Vec<Option<&'h str>> {
    values
        .flat_map(|value| value.split(','))
        .map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then_some(value.trim())
            })
        })
        .collect()
}

impl TrustedProxies {
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For` values.
    pub fn client_address<'h>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'h str>) -> IpAddr {
        let hops: Vec<Option<&str>> = forwarded_for.flat_map(|value| value.split(',')).map(Some).collect();
        self.walk(peer, &hops)
    }

    /// The client's address for a request from `peer`: `Forwarded` when present, else
    /// `X-Forwarded-For`.
    pub fn client_of<'h>(
        &self,
        peer: IpAddr,
        forwarded: impl Iterator<Item = &'h str>,
        forwarded_for: impl Iterator<Item = &'h str>,
    ) -> IpAddr {
        let hops = forwarded_hops(forwarded);
        if hops.is_empty() { self.client_address(peer, forwarded_for) } else { self.walk(peer, &hops) }
    }

    /// From the right: past every trusted hop to the first one that is not.
    fn walk(&self, peer: IpAddr, hops: &[Option<&str>]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut last_trusted = peer;
        for hop in hops.iter().rev() {
            match hop.and_then(parse_hop) {
                Some(address) if self.trusts(address) => last_trusted = address,
                Some(address) => return address,
                // Not an address (`unknown`, an obfuscated name, junk): nothing to the left of it
                // can be believed either.
                None => return last_trusted,
            }
        }
        last_trusted
    }
}

/// The address per-address limits count for this request (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The api's own accept loop records the peer; a router driven without one (in-process
        // tests) counts every request as one unknown client.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(address)| address.ip());
        let values = |name| parts.headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
        let proxies = &state.settings.trusted_proxies;
        Ok(Self(proxies.client_of(peer, values("forwarded"), values("x-forwarded-for"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed_and_only_for_the_hops_it_appended() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.168.1.10".parse().unwrap();
        // A client connecting directly: its own header is ignored.
        assert_eq!(trusted.client_address(ip("203.0.113.7"), ["1.2.3.4"].into_iter()), ip("203.0.113.7"));
        // Through the proxy: the right-most untrusted hop, not what the client wrote before it.
        assert_eq!(
            trusted.client_address(ip("10.1.2.3"), ["6.6.6.6, 198.51.100.9, 192.168.1.10"].into_iter()),
            ip("198.51.100.9")
        );
        // Several headers count as one list, in order.
        assert_eq!(trusted.client_address(ip("10.1.2.3"), ["6.6.6.6", "198.51.100.9"].into_iter()), ip("198.51.100.9"));
        // Nothing usable: the proxy itself.
        assert_eq!(trusted.client_address(ip("10.1.2.3"), [].into_iter()), ip("10.1.2.3"));
        assert_eq!(trusted.client_address(ip("10.1.2.3"), ["6.6.6.6, junk"].into_iter()), ip("10.1.2.3"));
    }

    #[test]
    fn hops_with_ports_and_brackets_are_read_as_proxies_write_them() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let from = |header: &str| trusted.client_address(ip("10.1.2.3"), [header].into_iter());
        assert_eq!(from("198.51.100.9:51234"), ip("198.51.100.9"));
        assert_eq!(from("[2001:db8::7]:443"), ip("2001:db8::7"));
        assert_eq!(from("[2001:db8::7]"), ip("2001:db8::7"));
        assert_eq!(from("2001:db8::7"), ip("2001:db8::7"));
        assert_eq!(from("6.6.6.6, 198.51.100.9:1, 10.0.0.5:80"), ip("198.51.100.9"));
        assert_eq!(from("[2001:db8::7]:99999"), ip("10.1.2.3"), "a bad port is junk");
        assert_eq!(from("198.51.100.9:x"), ip("10.1.2.3"));
    }

    #[test]
    fn rfc_7239_forwarded_wins_over_x_forwarded_for() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let client = |forwarded: &[&str], xff: &[&str]| {
            trusted.client_of(ip("10.1.2.3"), forwarded.iter().copied(), xff.iter().copied())
        };
        assert_eq!(client(&["for=192.0.2.60;proto=http;by=203.0.113.43"], &["6.6.6.6"]), ip("192.0.2.60"));
        assert_eq!(client(&[r#"for="[2001:db8:cafe::17]:4711""#], &[]), ip("2001:db8:cafe::17"));
        assert_eq!(client(&["for=6.6.6.6, for=198.51.100.9, for=10.0.0.2"], &[]), ip("198.51.100.9"));
        assert_eq!(client(&["For=6.6.6.6", "for=198.51.100.9"], &[]), ip("198.51.100.9"));
        assert_eq!(client(&["for=unknown"], &["6.6.6.6"]), ip("10.1.2.3"));
        assert_eq!(client(&[], &["198.51.100.9"]), ip("198.51.100.9"));
        // From an untrusted peer neither header counts.
        let direct = trusted.client_of(ip("203.0.113.7"), ["for=1.2.3.4"].into_iter(), ["1.2.3.4"].into_iter());
        assert_eq!(direct, ip("203.0.113.7"));
        assert_eq!(TrustedProxies::default().to_string(), "127.0.0.0/8, ::1/128");
    }

    #[test]
    fn the_default_trusts_loopback_only_and_none_trusts_nobody() {
        let default = TrustedProxies::default();
        assert_eq!(default.client_address(ip("127.0.0.1"), ["198.51.100.9"].into_iter()), ip("198.51.100.9"));
        assert_eq!(default.client_address(ip("::1"), ["198.51.100.9"].into_iter()), ip("198.51.100.9"));
        assert_eq!(default.client_address(ip("10.0.0.1"), ["198.51.100.9"].into_iter()), ip("10.0.0.1"));
        let none: TrustedProxies = "none".parse().unwrap();
        assert_eq!(none.client_address(ip("127.0.0.1"), ["198.51.100.9"].into_iter()), ip("127.0.0.1"));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("nonsense".parse::<TrustedProxies>().is_err());
    }
}
