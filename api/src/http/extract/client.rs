//! Who the client is, and whether it may do one more thing: the address per-address limits count
//! (the peer's, or the one trusted proxies name), and allowances taken before a body is read.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::limits::client_limits::ClientLimits;
use crate::limits::shared_allowances::{self, SharedLimit};
use crate::polls::ballots::devices::BallotDevices;
use crate::settings::Settings;
use crate::state::AppState;

/// The address per-address limits count for this request (see `limits::client_address`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub IpAddr);

impl<S> FromRequestParts<S> for ClientAddress
where
    S: Send + Sync,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let settings = Arc::<Settings>::from_ref(state);
        // The api's own accept loop records the peer; a router driven without one (in-process
        // tests) counts every request as one unknown client.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(address)| address.ip());
        let header = settings.client_address_header;
        let values = parts.headers.get_all(header.name()).iter().filter_map(|v| v.to_str().ok());
        Ok(Self(settings.trusted_proxies.client_from(peer, header, values)))
    }
}

/// The caller's address, if `check` allows it one more of something.
async fn allowance<S>(
    parts: &mut Parts,
    state: &S,
    check: fn(&ClientLimits, IpAddr) -> Result<(), AppError>,
) -> Result<IpAddr, AppError>
where
    S: Send + Sync,
    Arc<Settings>: FromRef<S>,
    Arc<ClientLimits>: FromRef<S>,
{
    let Ok(ClientAddress(client)) = ClientAddress::from_request_parts(parts, state).await;
    check(&Arc::<ClientLimits>::from_ref(state), client)?;
    Ok(client)
}

/// The client's pseudonym, which the fleet's shared allowances are kept under.
async fn shared_key(
    db: &DatabaseConnection,
    devices: &BallotDevices,
    limits: &ClientLimits,
    client: IpAddr,
) -> Result<String, AppError> {
    devices.client_pseudonym(db, limits.key(client)).await
}

/// A login attempt the caller's address may make, counted as the request arrives: before its
/// body is read (a flood of unfinished bodies is refused before it takes memory), by this
/// process and then by the fleet.
pub(crate) struct LoginAllowed(pub IpAddr);

impl<S> FromRequestParts<S> for LoginAllowed
where
    S: Send + Sync,
    Arc<Settings>: FromRef<S>,
    Arc<ClientLimits>: FromRef<S>,
    Arc<BallotDevices>: FromRef<S>,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let client = allowance(parts, state, ClientLimits::login).await?;
        let (db, limits) = (DatabaseConnection::from_ref(state), Arc::<ClientLimits>::from_ref(state));
        let key = shared_key(&db, &Arc::<BallotDevices>::from_ref(state), &limits, client).await?;
        let per_minute = Arc::<Settings>::from_ref(state).limits.login_attempts_per_minute.get();
        shared_allowances::take(&db, SharedLimit::Login, &key, per_minute).await?;
        Ok(Self(client))
    }
}

/// # Errors
/// `client` gave too many wrong join codes this minute, on any process (429 with Retry-After).
pub(crate) async fn join_allowed(state: &AppState, client: IpAddr) -> Result<(), AppError> {
    let per_minute = state.settings.limits.join_code_misses_per_minute.get();
    let key = shared_key(&state.db, &state.devices, &state.limits, client).await?;
    shared_allowances::check(&state.db, SharedLimit::JoinCodeMiss, &key, per_minute).await
}

/// Counts a wrong join code from `client`, for the whole fleet.
///
/// # Errors
/// Database failure.
pub(crate) async fn join_missed(state: &AppState, client: IpAddr) -> Result<(), AppError> {
    let per_minute = state.settings.limits.join_code_misses_per_minute.get();
    let key = shared_key(&state.db, &state.devices, &state.limits, client).await?;
    shared_allowances::count(&state.db, SharedLimit::JoinCodeMiss, &key, per_minute).await
}

/// A ballot the caller's address may cast, counted before its body is read (as [`LoginAllowed`]).
pub(crate) struct BallotAllowed(pub IpAddr);

impl<S> FromRequestParts<S> for BallotAllowed
where
    S: Send + Sync,
    Arc<Settings>: FromRef<S>,
    Arc<ClientLimits>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        allowance(parts, state, ClientLimits::ballot).await.map(Self).inspect_err(|_| {
            metrics::counter!("blw_ballots_total", "outcome" => "throttled").increment(1);
        })
    }
}
