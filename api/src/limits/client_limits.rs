//! Limits per client address (see [`crate::limits::client_address`]): login attempts, ballots, open
//! live-results streams and wrong join codes. Login attempts and wrong join codes are the fleet's
//! (`shared_allowances`, in PostgreSQL; logins also counted here first, so a flood is refused
//! before it reaches the database); ballots and streams are limited for the fleet by the load
//! balancer (`deploy/haproxy.cfg`) and kept here in memory, per process, as a backstop. An
//! IPv6 client is counted by its network (`/64` by default: one subscriber line, however many
//! addresses its devices pick from it), an IPv4 client by its address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// The limits, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Login attempts per address per minute (spraying many emails from one place).
    pub login_attempts_per_minute: NonZeroU32,
    /// Ballots per address per minute, also the burst: a lecture hall behind one NAT votes at once.
    pub ballots_per_minute: NonZeroU32,
    /// Live-results streams open at once per address (each phone in a hall watches one).
    pub streams_per_address: NonZeroU32,
    /// Wrong join codes per address per minute; past it every lookup is refused until the minute
    /// is over. Right codes do not count: a hall typing the code behind one NAT is not stopped,
    /// and trying a million codes takes days.
    pub join_code_misses_per_minute: NonZeroU32,
    /// The IPv6 prefix length one client is counted by (a home or phone gets a /64 and may use
    /// any address in it); 128 counts each address.
    pub ipv6_prefix_length: u8,
}

impl Default for LimitSettings {
    fn default() -> Self {
        let n = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        Self {
            login_attempts_per_minute: n(10),
            ballots_per_minute: n(1_000),
            streams_per_address: n(2_000),
            join_code_misses_per_minute: n(30),
            ipv6_prefix_length: 64,
        }
    }
}

/// The key a client is counted by: an IPv4 address, or its IPv6 network of `prefix` bits.
pub(crate) fn client_key(client: IpAddr, prefix: u8) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        // An IPv4-mapped address is an IPv4 client.
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
        IpAddr::V6(v6) => {
            let prefix = u32::from(prefix.min(128));
            let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
            IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

pub struct ClientLimits {
    login: DefaultKeyedRateLimiter<IpAddr>,
    ballots: DefaultKeyedRateLimiter<IpAddr>,
    streams: Arc<OpenStreams>,
    streams_per_address: u32,
    ipv6_prefix_length: u8,
    clock: DefaultClock,
}

#[derive(Default)]
struct OpenStreams(Mutex<HashMap<IpAddr, u32>>);

/// One open stream of one address; the count goes down when it is dropped (the stream ended).
pub struct StreamPermit {
    streams: Arc<OpenStreams>,
    client: IpAddr,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

impl ClientLimits {
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            login: RateLimiter::keyed(Quota::per_minute(settings.login_attempts_per_minute)),
            ballots: RateLimiter::keyed(Quota::per_minute(settings.ballots_per_minute)),
            streams: Arc::default(),
            streams_per_address: settings.streams_per_address.get(),
            ipv6_prefix_length: settings.ipv6_prefix_length,
            clock: DefaultClock::default(),
        }
    }

    /// The client `client` is counted as: its IPv6 network, its IPv4 address.
    pub fn key(&self, client: IpAddr) -> IpAddr {
        client_key(client, self.ipv6_prefix_length)
    }

    fn check(
        &self,
        limiter: &DefaultKeyedRateLimiter<IpAddr>,
        client: IpAddr,
        what: &'static str,
    ) -> Result<(), AppError> {
        let client = self.key(client);
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            tracing::info!(%client, what, "per-address limit reached");
            crate::limits::refused(what);
            AppError::TooManyRequests { retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) }
        })
    }

    /// # Errors
    /// Too many login attempts from `client` this minute (429 with Retry-After).
    pub fn login(&self, client: IpAddr) -> Result<(), AppError> {
        self.check(&self.login, client, "login")
    }

    /// # Errors
    /// Too many ballots from `client` this minute (429 with Retry-After).
    pub fn ballot(&self, client: IpAddr) -> Result<(), AppError> {
        self.check(&self.ballots, client, "ballot")
    }

    /// # Errors
    /// `client` already has as many streams open as allowed (429).
    pub fn open_stream(&self, client: IpAddr) -> Result<StreamPermit, AppError> {
        let client = self.key(client);
        let mut open = self.streams.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(client).or_default();
        if *count >= self.streams_per_address {
            tracing::info!(%client, "per-address stream limit reached");
            crate::limits::refused("stream");
            return Err(AppError::TooManyRequests { retry_after: 10 });
        }
        *count += 1;
        Ok(StreamPermit { streams: self.streams.clone(), client })
    }

    /// Forgets addresses whose limits are back to full, so memory follows the active clients.
    pub fn forget_idle(&self) {
        for limiter in [&self.login, &self.ballots] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_network_ipv4_by_address() {
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1"), 64), ip("2001:db8:1:2::"));
        assert_eq!(client_key(ip("2001:db8:1:2:ffff:1:2:3"), 64), client_key(ip("2001:db8:1:2::9"), 64));
        assert_ne!(client_key(ip("2001:db8:1:3::1"), 64), client_key(ip("2001:db8:1:2::1"), 64));
        assert_eq!(client_key(ip("2001:db8::5"), 128), ip("2001:db8::5"));
        assert_eq!(client_key(ip("203.0.113.7"), 64), ip("203.0.113.7"));
        assert_eq!(client_key(ip("::ffff:203.0.113.7"), 64), ip("203.0.113.7"));
        let limits = ClientLimits::new(LimitSettings {
            login_attempts_per_minute: NonZeroU32::new(3).unwrap(),
            ..LimitSettings::default()
        });
        // 25 addresses of one /64 share one allowance.
        let allowed = (1..=25).filter(|i| limits.login(ip(&format!("2001:db8:7:7::{i:x}"))).is_ok()).count();
        assert_eq!(allowed, 3);
        assert!(limits.login(ip("2001:db8:7:8::1")).is_ok(), "another /64 is another client");
    }

    #[test]
    fn each_address_has_its_own_allowance_and_streams_are_returned_when_dropped() {
        let n = |v| NonZeroU32::new(v).unwrap();
        let limits = ClientLimits::new(LimitSettings {
            login_attempts_per_minute: n(2),
            ballots_per_minute: n(3),
            streams_per_address: n(2),
            join_code_misses_per_minute: n(2),
            ipv6_prefix_length: 64,
        });
        let (a, b): (IpAddr, IpAddr) = ("198.51.100.1".parse().unwrap(), "198.51.100.2".parse().unwrap());
        assert!(limits.login(a).is_ok() && limits.login(a).is_ok());
        let Err(AppError::TooManyRequests { retry_after }) = limits.login(a) else { panic!("third login") };
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert!(limits.login(b).is_ok(), "another address is not affected");
        assert!((0..3).all(|_| limits.ballot(a).is_ok()) && limits.ballot(a).is_err());

        let first = limits.open_stream(a).unwrap();
        let _second = limits.open_stream(a).unwrap();
        assert!(limits.open_stream(a).is_err());
        drop(first);
        assert!(limits.open_stream(a).is_ok());
    }
}
