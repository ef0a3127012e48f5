//! Who a ballot came from, as far as the service can tell without identifying anyone: the
//! browser's device (a signed cookie) and the client's network, pseudonymized. A browser that
//! votes again with a new token gets its first ballot back; admins can void a burst of ballots
//! from one client. Schema only.

mod schema;

pub use schema::SCHEMA;
