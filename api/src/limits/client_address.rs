//! Who is asking: the address of the client behind a request, which per-address limits count.
//!
//! The peer's address, unless the peer is one of the trusted proxies (`TRUSTED_PROXIES`): then the
//! right-most hop that is not itself a trusted proxy, from the one header the proxies write
//! (`CLIENT_ADDRESS_HEADER`: `X-Forwarded-For` by default, or RFC 7239 `Forwarded`'s `for=`) — the
//! other header is a client's own and ignored. Entries a client wrote itself stand to the left of
//! what the proxies appended, so they are never believed. A hop may be written `ip`, `ip:port`,
//! `[ipv6]` or `[ipv6]:port` (proxies differ); anything else ends the walk at the last trusted hop.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

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

/// The header the trusted proxies write the client's address in: only that one is read (a proxy
/// that appends to `X-Forwarded-For` passes a client's own `Forwarded` through, and the other way
/// round).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AddressHeader {
    #[default]
    XForwardedFor,
    Forwarded,
}

impl AddressHeader {
    pub fn name(self) -> &'static str {
        match self {
            AddressHeader::XForwardedFor => "x-forwarded-for",
            AddressHeader::Forwarded => "forwarded",
        }
    }
}

impl std::str::FromStr for AddressHeader {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!("'{other}' is not x-forwarded-for or forwarded")),
        }
    }
}

/// The `for=` hops of RFC 7239 `Forwarded` values, in order (elements without one are skipped).
fn forwarded_hops<'h>(values: impl Iterator<Item = &'h str>) -> Vec<Option<&'h str>> {
    values
        .flat_map(|value| value.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then_some(Some(value.trim()))
            })
        })
        .collect()
}

impl TrustedProxies {
    pub fn trusts(&self, address: IpAddr) -> bool {
        // A proxy on IPv4 reaching a dual-stack listener arrives as ::ffff:a.b.c.d.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For` values.
    pub fn client_address<'h>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'h str>) -> IpAddr {
        let hops: Vec<Option<&str>> = forwarded_for.flat_map(|value| value.split(',')).map(Some).collect();
        self.walk(peer, &hops)
    }

    /// The client's address for a request from `peer` carrying these values of `header`.
    pub fn client_from<'h>(
        &self,
        peer: IpAddr,
        header: AddressHeader,
        values: impl Iterator<Item = &'h str>,
    ) -> IpAddr {
        match header {
            AddressHeader::XForwardedFor => self.client_address(peer, values),
            AddressHeader::Forwarded => self.walk(peer, &forwarded_hops(values)),
        }
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
    fn only_the_configured_header_is_read() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let forwarded =
            |values: &[&str]| trusted.client_from(ip("10.1.2.3"), AddressHeader::Forwarded, values.iter().copied());
        assert_eq!(forwarded(&["for=192.0.2.60;proto=http;by=203.0.113.43"]), ip("192.0.2.60"));
        assert_eq!(forwarded(&[r#"for="[2001:db8:cafe::17]:4711""#]), ip("2001:db8:cafe::17"));
        assert_eq!(forwarded(&["for=6.6.6.6, for=198.51.100.9, for=10.0.0.2"]), ip("198.51.100.9"));
        assert_eq!(forwarded(&["For=6.6.6.6", "for=198.51.100.9"]), ip("198.51.100.9"));
        assert_eq!(forwarded(&["for=6.6.6.6", "proto=https"]), ip("6.6.6.6"), "an element without for= is skipped");
        assert_eq!(forwarded(&["for=unknown"]), ip("10.1.2.3"));
        // From an untrusted peer nothing counts.
        let direct = trusted.client_from(ip("203.0.113.7"), AddressHeader::Forwarded, ["for=1.2.3.4"].into_iter());
        assert_eq!(direct, ip("203.0.113.7"));
        assert_eq!("Forwarded".parse::<AddressHeader>(), Ok(AddressHeader::Forwarded));
        assert!("x-real-ip".parse::<AddressHeader>().is_err());
        assert_eq!(TrustedProxies::default().to_string(), "127.0.0.0/8, ::1/128");
        // A loopback proxy on a dual-stack listener is still loopback.
        let mapped = TrustedProxies::default().client_address(ip("::ffff:127.0.0.1"), ["198.51.100.9"].into_iter());
        assert_eq!(mapped, ip("198.51.100.9"));
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
