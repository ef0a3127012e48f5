//! A browser answers a poll once, whatever tokens it makes up (its signed device cookie), and an
//! admin can void a burst of ballots from one client, with every screen's totals following.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, settings_for, spawn_app};
use crate::polls::{ballot, open_poll, read_events_until, send, staff};

/// A ballot sent to `address` with `cookie` (if any) as from `client` through a loopback proxy;
/// the status, the body and the device cookie set in reply (name=value), if any.
async fn vote_as(
    app: &TestApp,
    address: SocketAddr,
    slug: &str,
    token: &str,
    cookie: Option<&str>,
    client: &str,
) -> (StatusCode, Value, Option<String>) {
    let mut request = app
        .client
        .post(format!("http://{address}/api/polls/{slug}/responses"))
        .header("x-forwarded-for", client)
        .json(&json!({"client_token": token, "answers": ballot(token.len())}));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("vote");
    let set_cookie = response.headers().get("set-cookie").map(|v| v.to_str().expect("ascii").to_owned());
    if let Some(set_cookie) = &set_cookie {
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/polls", "Max-Age="] {
            assert!(set_cookie.contains(attribute), "{set_cookie} lacks {attribute}");
        }
    }
    let cookie = set_cookie.map(|c| c.split(';').next().expect("pair").to_owned());
    (response.status(), response.json().await.expect("JSON"), cookie)
}

async fn respondents(app: &TestApp, slug: &str) -> i64 {
    let (_, results) = send(app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    results["respondents"].as_i64().expect("respondents")
}

#[tokio::test]
async fn a_browser_voting_again_with_a_new_token_gets_its_first_ballot_back() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let client = "198.51.100.7";

    let (status, first, cookie) = vote_as(&app, app.address, &slug, "browser-token-1", None, client).await;
    assert_eq!(status, StatusCode::CREATED);
    let cookie = cookie.expect("a first ballot sets the device cookie");
    assert!(cookie.starts_with("blw_device="), "{cookie}");

    // The same browser with a new token: its first ballot stands, nothing is added, no new cookie.
    let (status, again, set) = vote_as(&app, app.address, &slug, "browser-token-2", Some(&cookie), client).await;
    assert_eq!((status, &again, set), (StatusCode::OK, &first, None));
    // So on another process of the fleet (one secret, in the database).
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());
    let (status, again, _) = vote_as(&app, other_address, &slug, "browser-token-3", Some(&cookie), client).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    assert_eq!(respondents(&app, &slug).await, 1);

    // A cookie whose signature is not the fleet's is no device: a new respondent, a new cookie.
    let (name_id, signature) = cookie.split_once('.').expect("id.signature");
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let forged = format!("{name_id}.{flipped}{}", &signature[1..]);
    let (status, stranger, set) = vote_as(&app, app.address, &slug, "browser-token-4", Some(&forged), client).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(stranger, first);
    assert!(set.is_some_and(|new| new != cookie));
    assert_eq!(respondents(&app, &slug).await, 2);

    // The device is the browser's, not the poll's: it answers another poll.
    let (_, other_slug) = open_poll(&app, &staff.admin).await;
    let (status, _, _) = vote_as(&app, app.address, &other_slug, "browser-token-5", Some(&cookie), client).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn one_browser_racing_itself_with_many_tokens_is_counted_once() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;
    let (_, first, cookie) = vote_as(&app, app.address, &slug, "racing-token-000", None, "198.51.100.8").await;
    let cookie = cookie.expect("cookie");
    // Many new tokens at once from that browser, so that some share a batch.
    let votes =
        (1..=40).map(|i| {
            let (app, slug, cookie) = (&app, &slug, &cookie);
            async move {
                vote_as(app, app.address, slug, &format!("racing-token-{i:03}"), Some(cookie), "198.51.100.8").await
            }
        });
    for (status, receipt, _) in futures_util::future::join_all(votes).await {
        assert_eq!((status, &receipt), (StatusCode::OK, &first));
    }
    // A fresh browser racing itself: one ballot counted, every request told the same respondent.
    let (_, _, fresh) = vote_as(&app, app.address, &slug, "fresh-token-000", None, "198.51.100.9").await;
    let fresh = fresh.expect("cookie");
    assert_eq!(respondents(&app, &slug).await, 2);
    let (results_status, results) =
        send(&app, reqwest::Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
    assert_eq!(results_status, StatusCode::OK);
    let counted: i64 = results["questions"][1]["overall"]["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|c| c.as_i64().expect("count"))
        .sum();
    assert_eq!(counted, 2, "{results}");
    drop(fresh);
}

#[tokio::test]
async fn an_admin_voids_a_burst_from_one_client_and_every_screen_follows() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let (id, slug) = open_poll(&app, &staff.admin).await;
    // A watcher on another process: its totals must follow the void too.
    let other = api::Application::build(settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().expect("address");
    tokio::spawn(other.serve());
    let stream =
        app.client.get(format!("http://{other_address}/api/polls/{slug}/results/stream")).send().await.expect("stream");
    let watcher = tokio::spawn(read_events_until(stream, |events| {
        // Up past the 2 the neighbours cast (the burst counted; under load frames coalesce, so the
        // 9 itself may never be a frame of its own), then back down to those 2.
        let totals: Vec<i64> = events.iter().filter_map(|(_, data)| data["respondents"].as_i64()).collect();
        totals.iter().any(|&total| total > 2) && totals.last() == Some(&2)
    }));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // A script: 7 ballots, each with a new token and no cookie, from one address; two neighbours.
    for i in 0..7 {
        let (status, _, _) = vote_as(&app, app.address, &slug, &format!("script-{i:04}"), None, "203.0.113.66").await;
        assert_eq!(status, StatusCode::CREATED);
    }
    for (i, client) in ["203.0.113.1", "2001:db8:5:5::1"].into_iter().enumerate() {
        let (status, _, _) = vote_as(&app, app.address, &slug, &format!("neighbour-{i:04}"), None, client).await;
        assert_eq!(status, StatusCode::CREATED);
    }

    let path = format!("/api/admin/polls/{id}/activity");
    let (status, activity) = send(&app, reqwest::Method::GET, &path, Some(&staff.analyst), None).await;
    assert_eq!(status, StatusCode::OK, "{activity}");
    let clients = activity["clients"].as_array().expect("clients");
    assert_eq!(clients.len(), 3, "{activity}");
    let script = &clients[0];
    assert_eq!((script["ballots"].as_i64(), script["devices"].as_i64()), (Some(7), Some(7)), "{activity}");
    let client = script["client"].as_str().expect("client").to_owned();
    assert!(client.len() == 16 && !activity.to_string().contains("203.0.113"), "no address is shown: {activity}");

    // Analysts see, admins void; bad input is named.
    let voids = format!("/api/admin/polls/{id}/voids");
    let window = json!({"client": client, "from": script["first_at"], "to": "2999-01-01T00:00:00Z"});
    let (status, _) = send(&app, reqwest::Method::POST, &voids, Some(&staff.analyst), Some(window.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&app, reqwest::Method::POST, &voids, None, Some(window.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for (body, field) in [
        (json!({"client": "203.0.113.66", "from": script["first_at"], "to": "2999-01-01T00:00:00Z"}), "client"),
        (json!({"client": client, "from": "2999-01-01T00:00:00Z", "to": script["first_at"]}), "to"),
    ] {
        let (status, error) = send(&app, reqwest::Method::POST, &voids, Some(&staff.admin), Some(body)).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{error}"
        );
    }
    let (status, _) =
        send(&app, reqwest::Method::POST, "/api/admin/polls/999999/voids", Some(&staff.admin), Some(window.clone()))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(respondents(&app, &slug).await, 9, "refused voids remove nothing");

    // A window before the burst removes nothing; the burst's window removes the burst.
    let before = json!({"client": client, "from": "2000-01-01T00:00:00Z", "to": script["first_at"]});
    let (status, void) = send(&app, reqwest::Method::POST, &voids, Some(&staff.admin), Some(before)).await;
    assert_eq!((status, void["respondents_removed"].as_i64()), (StatusCode::CREATED, Some(0)), "{void}");
    let (status, void) = send(&app, reqwest::Method::POST, &voids, Some(&staff.admin), Some(window)).await;
    assert_eq!((status, void["respondents_removed"].as_i64()), (StatusCode::CREATED, Some(7)), "{void}");
    assert_eq!(respondents(&app, &slug).await, 2);

    let events = watcher.await.expect("the other process's watcher follows the void");
    let (_, last) = events.last().expect("a frame");
    let counted: i64 =
        last["questions"][1]["overall"]["counts"].as_array().expect("counts").iter().map(|c| c.as_i64().unwrap()).sum();
    assert_eq!(counted, 2, "{last}");

    let (_, activity) = send(&app, reqwest::Method::GET, &path, Some(&staff.admin), None).await;
    let listed = activity["voids"].as_array().expect("voids");
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[0]["client"].as_str(), listed[0]["respondents_removed"].as_i64()),
        (Some(client.as_str()), Some(7))
    );
    assert_eq!(activity["clients"].as_array().expect("clients").len(), 2);
}
