//! Configuration, read once from the environment (and `.env` if present) at start-up.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use migration::database::DEFAULT_DATABASE_URL;

use crate::limits::client_address::{AddressHeader, TrustedProxies};
use crate::limits::client_limits::LimitSettings;

/// A value that must never reach logs (a database URL may hold a password).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Secret,
    pub host: IpAddr,
    pub port: u16,
    /// Apply pending migrations (schema and data) before serving.
    pub migrate_on_start: bool,
    /// Largest number of pooled database connections per process.
    pub database_max_connections: u32,
    /// The static frontend served for every path the api does not route.
    pub web_dir: PathBuf,
    /// Mark the session cookie `Secure` (set true behind HTTPS).
    pub cookie_secure: bool,
    /// How long a login lasts.
    pub session_ttl: std::time::Duration,
    /// How often an idle live-results stream sends a heartbeat.
    pub sse_heartbeat: std::time::Duration,
    /// After SIGTERM, how long the process keeps serving with `/readyz` at 503 before it ends its
    /// event streams and stops: long enough for load balancers to stop sending it anything.
    pub shutdown_drain: std::time::Duration,
    /// `text` for people, `json` (one object per line) for log collectors.
    pub log_format: LogFormat,
    /// Proxies whose `X-Forwarded-For` names the client (default: loopback).
    pub trusted_proxies: TrustedProxies,
    /// The one header those proxies write the client's address in (`X-Forwarded-For` or `Forwarded`).
    pub client_address_header: AddressHeader,
    /// Per-address limits on logins, ballots and live-results streams.
    pub limits: LimitSettings,
    /// Connections served at once; beyond it new ones wait in the listen queue (each costs memory
    /// even before its request is complete).
    pub max_connections: usize,
    /// Where `GET /metrics` (Prometheus) is served: never on the public port (`None`: nowhere).
    pub metrics_addr: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("must be text or json".to_owned()),
        }
    }
}

/// A PostgreSQL connection URL, checked before anything connects with it.
fn database_url(value: String) -> Result<Secret, SettingsError> {
    let invalid = |reason: &str| SettingsError {
        name: "DATABASE_URL".into(),
        value: "(hidden)".to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = url::Url::parse(&value).map_err(|e| invalid(&format!("not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(invalid("must be a postgres:// URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("names no host"));
    }
    Ok(Secret::new(value))
}

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct SettingsError {
    name: std::borrow::Cow<'static, str>,
    value: String,
    reason: String,
}

/// The data sources the migrations read on start (`DATA_SOURCE`, `DATA_DIR`, `S3_*`,
/// `DEV_ACCOUNTS`, `DATA_SOURCES_FILE`), checked with the rest so a bad one stops start-up too.
fn data_sources() -> Result<(), SettingsError> {
    use migration::data_source::{DataSourceSettings, SourceError};
    match DataSourceSettings::from_env() {
        Ok(_) => Ok(()),
        Err(SourceError::Manifest { path, message }) => {
            let value = var(&path).unwrap_or_default();
            Err(SettingsError { name: path.into(), value, reason: message })
        }
        Err(other) => Err(SettingsError {
            name: "DATA_SOURCES_FILE".into(),
            value: var("DATA_SOURCES_FILE").unwrap_or_default(),
            reason: other.to_string(),
        }),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(value) => {
            value.trim().parse().map_err(|e: T::Err| SettingsError { name: name.into(), reason: e.to_string(), value })
        }
    }
}

/// Connections served at once by default: a hall of 15,000 screens and its phones, within the
/// 20,000 open files these machines allow a process.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 19_000;

/// Prometheus's exporter port range, on loopback: a scraper on the same host (or a sidecar) reads
/// it; nothing outside does unless the operator says so.
pub(crate) const DEFAULT_METRICS_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// The drain after SIGTERM by default: the shipped HAProxy checks `/readyz` every 2 s and takes a
/// server out after 2 failures (`deploy/haproxy.cfg`: `inter 2s fall 2`), so 4 s, plus a second
/// for a check already under way.
pub(crate) const DEFAULT_SHUTDOWN_DRAIN_SECONDS: u64 = 5;

impl Settings {
    /// The settings a test starts an app with, on the database at `database_url`: loopback on a
    /// free port, migrated on start, a small pool, the in-repo web folder, no drain, default limits,
    /// no metrics listener (many apps share a test process: a test that reads `/metrics` binds its
    /// own). A test changes only the fields it is about.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Self {
            database_url: Secret::new(database_url),
            host: [127, 0, 0, 1].into(),
            port: 0,
            migrate_on_start: true,
            database_max_connections: 4,
            web_dir: default_web_dir(),
            cookie_secure: false,
            session_ttl: std::time::Duration::from_secs(3600),
            sse_heartbeat: std::time::Duration::from_secs(15),
            shutdown_drain: std::time::Duration::ZERO,
            log_format: LogFormat::Text,
            trusted_proxies: TrustedProxies::default(),
            client_address_header: AddressHeader::default(),
            limits: LimitSettings::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            metrics_addr: None,
        }
    }

    /// Reads `DATABASE_URL`, `HOST`, `PORT`, `MIGRATE_ON_START`, `DATABASE_MAX_CONNECTIONS`,
    /// `WEB_DIR`, `COOKIE_SECURE`, `SESSION_TTL_HOURS`, `SSE_HEARTBEAT_SECONDS`, `SHUTDOWN_DRAIN_SECONDS`, `LOG_FORMAT`,
    /// `TRUSTED_PROXIES`, `CLIENT_ADDRESS_HEADER`, `LOGIN_ATTEMPTS_PER_MINUTE`, `BALLOTS_PER_MINUTE_PER_ADDRESS`,
    /// `STREAMS_PER_ADDRESS`, `JOIN_CODE_MISSES_PER_MINUTE`, `IPV6_PREFIX_LENGTH`, `MAX_CONNECTIONS`,
    /// `METRICS_ADDR` (`off` disables it).
    ///
    /// # Errors
    /// A variable is set to a value of the wrong kind (the message names it, never a password).
    pub fn from_env() -> Result<Self, SettingsError> {
        data_sources()?;
        Ok(Self {
            database_url: database_url(var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()))?,
            host: parse("HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: parse("PORT", 8080)?,
            migrate_on_start: parse("MIGRATE_ON_START", true)?,
            database_max_connections: parse("DATABASE_MAX_CONNECTIONS", 16)?,
            web_dir: var("WEB_DIR").map_or_else(default_web_dir, PathBuf::from),
            cookie_secure: parse("COOKIE_SECURE", false)?,
            session_ttl: std::time::Duration::from_secs(parse::<u64>("SESSION_TTL_HOURS", 12)?.max(1) * 3600),
            sse_heartbeat: std::time::Duration::from_secs(parse::<u64>("SSE_HEARTBEAT_SECONDS", 15)?.max(1)),
            shutdown_drain: std::time::Duration::from_secs(parse(
                "SHUTDOWN_DRAIN_SECONDS",
                DEFAULT_SHUTDOWN_DRAIN_SECONDS,
            )?),
            log_format: parse("LOG_FORMAT", LogFormat::Text)?,
            trusted_proxies: parse("TRUSTED_PROXIES", TrustedProxies::default())?,
            client_address_header: parse("CLIENT_ADDRESS_HEADER", Default::default())?,
            limits: {
                let default = LimitSettings::default();
                LimitSettings {
                    login_attempts_per_minute: parse("LOGIN_ATTEMPTS_PER_MINUTE", default.login_attempts_per_minute)?,
                    ballots_per_minute: parse("BALLOTS_PER_MINUTE_PER_ADDRESS", default.ballots_per_minute)?,
                    streams_per_address: parse("STREAMS_PER_ADDRESS", default.streams_per_address)?,
                    join_code_misses_per_minute: parse(
                        "JOIN_CODE_MISSES_PER_MINUTE",
                        default.join_code_misses_per_minute,
                    )?,
                    ipv6_prefix_length: match parse("IPV6_PREFIX_LENGTH", default.ipv6_prefix_length)? {
                        length @ 0..=128 => length,
                        length => {
                            let reason = "an IPv6 prefix length is 0 to 128".to_owned();
                            return Err(SettingsError {
                                name: "IPV6_PREFIX_LENGTH".into(),
                                value: length.to_string(),
                                reason,
                            });
                        }
                    },
                }
            },
            max_connections: parse("MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS)?.clamp(1, 1_000_000),
            metrics_addr: match var("METRICS_ADDR").as_deref() {
                Some("off") => None,
                Some(_) => Some(parse("METRICS_ADDR", DEFAULT_METRICS_ADDR)?),
                None => Some(DEFAULT_METRICS_ADDR),
            },
        })
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// `web/` found from the working directory up (the repo root, or a crate folder in tests), else
/// beside this crate's source.
pub(crate) fn default_web_dir() -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.ancestors().map(|d| d.join("web")).find(|p| p.is_dir()))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../web"))
}
