//! Who the client is and how much it may do: its address (behind trusted proxies), per-address
//! limits in this process (logins, ballots, streams), and allowances shared by the fleet through
//! PostgreSQL. Nothing here knows HTTP: the extractors in `http::extract` read the request.

pub(crate) mod client_address;
pub(crate) mod client_limits;
pub(crate) mod shared_allowances;

/// Counts one refusal of `limit` (login, ballot, stream, join_code).
pub(crate) fn refused(limit: &'static str) {
    metrics::counter!("blw_limit_refusals_total", "limit" => limit).increment(1);
}
