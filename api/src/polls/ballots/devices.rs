//! Where ballots come from, as far as the service may know it: the browser (a random device id in
//! a signed, HttpOnly cookie) and the client's network (a keyed hash of its address, IPv6 by its
//! network). One device answers a poll once, whatever tokens it makes up; a burst from one client
//! can be found and voided by an admin without anyone's address being stored.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::error::AppError;

pub(crate) const COOKIE_NAME: &str = "blw_device";

/// A year: a device stays itself for every talk it attends.
const COOKIE_MAX_AGE_SECONDS: u64 = 365 * 24 * 3600;

/// The fleet's secret for devices and client pseudonyms, made by the migration and read once.
#[derive(Default)]
pub struct BallotDevices {
    secret: OnceCell<Vec<u8>>,
}

/// A ballot's device and client, ready to store.
#[derive(Debug, Clone)]
pub struct BallotOrigin {
    /// 32 hex digits.
    pub device_id: String,
    /// 16 hex digits: the client's address, keyed and hashed.
    pub client_key: String,
    /// The cookie to send when the request did not carry a valid one.
    pub new_cookie: Option<String>,
    /// The request's trace id (W3C trace context), for the log line of the batch that commits it.
    pub trace_id: String,
}

impl BallotDevices {
    /// The device of a request (from its cookie, or a new one) and its client's pseudonym;
    /// `client` is the per-address limits' key (an IPv6 network, an IPv4 address).
    ///
    /// # Errors
    /// The database is unavailable (503) when the secret is not yet loaded.
    pub async fn origin<C: ConnectionTrait>(
        &self,
        db: &C,
        device_cookie: Option<&str>,
        client: IpAddr,
        cookie_secure: bool,
    ) -> Result<BallotOrigin, AppError> {
        let secret = self.secret(db).await?;
        let signed = device_cookie.and_then(|value| verified_device(secret, value));
        let (device_id, new_cookie) = match signed {
            Some(device_id) => (device_id, None),
            None => {
                let mut bytes = [0u8; 16];
                OsRng.fill_bytes(&mut bytes);
                let device_id = hex::encode(bytes);
                let cookie = cookie(&device_id, &signature(secret, &device_id), cookie_secure);
                (device_id, Some(cookie))
            }
        };
        Ok(BallotOrigin {
            device_id,
            client_key: client_pseudonym(secret, client),
            new_cookie,
            trace_id: String::new(),
        })
    }

    /// The keyed pseudonym of `client` (the per-address limits' key), as ballots store it.
    ///
    /// # Errors
    /// The database is unavailable (503) when the secret is not yet loaded.
    pub async fn client_pseudonym<C: ConnectionTrait>(&self, db: &C, client: IpAddr) -> Result<String, AppError> {
        Ok(client_pseudonym(self.secret(db).await?, client))
    }

    async fn secret<C: ConnectionTrait>(&self, db: &C) -> Result<&[u8], AppError> {
        let secret = self
            .secret
            .get_or_try_init(|| async {
                let row = db
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT secret FROM polls.signing_keys WHERE name = 'ballot_devices'",
                    ))
                    .await?
                    .ok_or_else(|| AppError::internal("no ballot_devices signing key: migrate the database"))?;
                Ok::<_, AppError>(row.try_get::<Vec<u8>>("", "secret")?)
            })
            .await?;
        Ok(secret)
    }
}

fn mac(secret: &[u8], what: &str, value: &str) -> Hmac<Sha256> {
    // A key of any length is accepted by HMAC; the migration makes 32 bytes.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(what.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    mac
}

fn signature(secret: &[u8], device_id: &str) -> String {
    hex::encode(mac(secret, "device", device_id).finalize().into_bytes())
}

/// The device id of a cookie value `<id>.<signature>`, if the signature is ours.
fn verified_device(secret: &[u8], value: &str) -> Option<String> {
    let (device_id, signature) = value.split_once('.')?;
    if !is_lowercase_hex(device_id, 32) {
        return None;
    }
    let signature = hex::decode(signature).ok()?;
    // Compared in constant time by the hmac crate.
    mac(secret, "device", device_id).verify_slice(&signature).ok()?;
    Some(device_id.to_owned())
}

/// Whether `text` is `digits` lowercase hex digits (a device id: 32; a client pseudonym: 16).
pub(crate) fn is_lowercase_hex(text: &str, digits: usize) -> bool {
    text.len() == digits && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn client_pseudonym(secret: &[u8], client: IpAddr) -> String {
    let digest = mac(secret, "client", &client.to_string()).finalize().into_bytes();
    hex::encode(&digest[..8])
}

fn cookie(device_id: &str, signature: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={device_id}.{signature}; Path=/api/polls; HttpOnly; SameSite=Strict; \
         Max-Age={COOKIE_MAX_AGE_SECONDS}{secure}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_signature_makes_a_device() {
        let secret = [7u8; 32];
        let device = "0123456789abcdef0123456789abcdef";
        let value = format!("{device}.{}", signature(&secret, device));
        assert_eq!(verified_device(&secret, &value).as_deref(), Some(device));
        assert_eq!(verified_device(&[8u8; 32], &value), None, "another fleet's cookie");
        let other = "fedcba9876543210fedcba9876543210";
        assert_eq!(verified_device(&secret, &format!("{other}.{}", signature(&secret, device))), None);
        assert_eq!(verified_device(&secret, device), None, "unsigned");
        assert_eq!(
            verified_device(&secret, &format!("{}.{}", device.to_uppercase(), signature(&secret, device))),
            None
        );
    }

    #[test]
    fn a_client_pseudonym_is_stable_and_keyed() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let key = client_pseudonym(&[1u8; 32], ip);
        assert_eq!(key.len(), 16);
        assert_eq!(key, client_pseudonym(&[1u8; 32], ip));
        assert_ne!(key, client_pseudonym(&[2u8; 32], ip));
        assert_ne!(key, client_pseudonym(&[1u8; 32], "203.0.113.8".parse().unwrap()));
    }
}
