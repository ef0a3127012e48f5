//! Who is asking: the address of the client behind a request, which per-address limits count.
//!
//! The peer's address, unless the peer is one of the trusted proxies (`TRUSTED_PROXIES`): then the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries a client wrote
//! itself stand to the left of what the proxies appended, so they are never believed.

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

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For` values.
    pub fn client_address<'h>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'h str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).map(str::trim).collect();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) if self.trusts(address) => {}
                Ok(address) => return address,
                // Not an address: nothing to the left of it can be trusted either.
                Err(_) => return peer,
            }
        }
        peer
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
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        Ok(Self(state.settings.trusted_proxies.client_address(peer, forwarded)))
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
