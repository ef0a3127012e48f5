//! The api behind HAProxy as `deploy/haproxy.cfg` ships it: a client cannot choose the address
//! the per-address limits count, whatever `X-Forwarded-For` or `Forwarded` it sends. Its own test
//! binary: it runs the `haproxy` program (`scripts/test.sh` installs Debian's package).

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

#[tokio::test]
async fn a_client_behind_the_shipped_haproxy_cannot_choose_its_address() {
    let app = helpers::spawn_app().await;
    let port = free_port();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/haproxy.cfg");
    let check = Command::new("haproxy")
        .args(["-c", "-f", config])
        .env("BLW_BIND", format!("127.0.0.1:{port}"))
        .env("BLW_API_1", app.address.to_string())
        .env("BLW_API_2", app.address.to_string())
        .env("BLW_API_3", app.address.to_string())
        .output()
        .expect("haproxy (apt-get install haproxy; scripts/test.sh does)");
    assert!(check.status.success(), "the shipped configuration is valid: {}", String::from_utf8_lossy(&check.stderr));
    let _proxy = Proxy(
        Command::new("haproxy")
            .args(["-db", "-f", config])
            .env("BLW_BIND", format!("127.0.0.1:{port}"))
            .env("BLW_API_1", app.address.to_string())
            .env("BLW_API_2", app.address.to_string())
            .env("BLW_API_3", app.address.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "haproxy forwards to the api");

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
