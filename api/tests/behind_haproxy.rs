//! The api behind HAProxy as `deploy/haproxy.cfg` ships it: a client cannot choose the address
//! the per-address limits count, whatever `X-Forwarded-For` or `Forwarded` it sends. Its own test
//! binary: it runs the `haproxy` program (`scripts/test.sh` installs Debian's package).

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "support/open_poll.rs"]
mod open_poll;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;

/// HAProxy with the shipped configuration; stopped when dropped.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// HAProxy with the shipped configuration in front of `servers` (its three server lines take
/// them in turn), once it forwards; its base URL.
async fn start_proxy(servers: &[std::net::SocketAddr]) -> (Proxy, String) {
    let port = free_port();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/haproxy.cfg");
    let environment: Vec<(String, String)> = std::iter::once(("BLW_BIND".to_owned(), format!("127.0.0.1:{port}")))
        .chain((1..=3).map(|i| (format!("BLW_API_{i}"), servers[(i - 1) % servers.len()].to_string())))
        .collect();
    let check = Command::new("haproxy")
        .args(["-c", "-f", config])
        .envs(environment.clone())
        .output()
        .expect("haproxy (apt-get install haproxy; scripts/test.sh does)");
    assert!(check.status.success(), "the shipped configuration is valid: {}", String::from_utf8_lossy(&check.stderr));
    let proxy = Proxy(
        Command::new("haproxy")
            .args(["-db", "-f", config])
            .envs(environment)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return (proxy, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("haproxy does not forward to the api");
}

#[tokio::test]
async fn a_client_behind_the_shipped_haproxy_cannot_choose_its_address() {
    let app = helpers::spawn_app().await;
    let (_proxy, base) = start_proxy(&[app.address]).await;
    let client = reqwest::Client::new();

    // Ten login attempts (the per-address allowance), each claiming another address in every way
    // a client can: all of them are this one client.
    for i in 0..10 {
        let response = client
            .post(format!("{base}/api/auth/login"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .header("x-forwarded-for", format!("198.51.100.{i}, 192.0.2.{i}"))
            .header("forwarded", format!("for=192.0.2.{i};proto=https"))
            .json(&serde_json::json!({"email": format!("guess{i}@example.org"), "password": "not the password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let response = client
        .post(format!("{base}/api/auth/login"))
        .header("x-forwarded-for", "203.0.113.250")
        .json(&serde_json::json!({"email": "guess@example.org", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "the eleventh attempt is the same client's");
}

#[tokio::test]
async fn ballots_past_the_allowance_are_refused_by_haproxy_for_the_fleet() {
    // Two processes whose own backstops are out of the way: only the proxy counts.
    let unlimited = std::num::NonZeroU32::new(1_000_000).unwrap();
    let app = helpers::spawn_app_with(|s| s.limits.ballots_per_minute = unlimited).await;
    let mut settings = helpers::settings_for(&app.db);
    settings.limits.ballots_per_minute = unlimited;
    let other = api::Application::build(settings).await.expect("second process");
    let other_address = other.address().unwrap();
    tokio::spawn(other.serve());
    let (_proxy, base) = start_proxy(&[app.address, other_address]).await;

    let (_, _, slug) = open_poll::admin_with_open_poll(&app.db, &app.url(""), "Fleet").await;

    // The allowance (1,000 a minute from one address), spread by the proxy over both processes.
    let client = reqwest::Client::new();
    let ballot = |i: usize| {
        let body = serde_json::json!({"client_token": format!("fleet-ballot-{i:05}"),
            "answers": [{"var_name": "pid3", "response_index": i % 2}]});
        client.post(format!("{base}/api/polls/{slug}/responses")).json(&body).send()
    };
    let statuses: Vec<StatusCode> = futures_util::stream::iter(0..1_000)
        .map(|i| async move { ballot(i).await.map(|r| r.status()).unwrap_or(StatusCode::BAD_GATEWAY) })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    let refused = ballot(1_000).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "60");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests", "the api's error shape: {body}");
}
