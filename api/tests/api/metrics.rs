//! `/metrics` (Prometheus) on its own listener: never on the public port, counting what the api
//! did, and bounded whatever clients send. The recorder is the process's: tests in this binary
//! share it, so figures are compared before and after.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};
use crate::polls::{open_poll, staff, vote};

async fn app_with_metrics() -> (TestApp, String) {
    let app = spawn_app_with(|s| s.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics = format!("http://{}/metrics", app.metrics.expect("a metrics listener"));
    (app, metrics)
}

/// The value of one series (`name{labels}`) in a scrape; 0 when absent.
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_count_ballots_and_routes() {
    let (app, metrics) = app_with_metrics().await;
    let client = reqwest::Client::new();
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND, "never on the public port");
    let body: serde_json::Value = public.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let admin = staff(&app).await.admin;
    let (_, slug) = open_poll(&app, &admin).await;
    let before = client.get(&metrics).send().await.unwrap().text().await.unwrap();
    let ballot =
        json!([{"var_name": "pid3", "response_index": 0}, {"var_name": "perf_judicial_ind", "response_index": 3}]);
    assert_eq!(vote(&app, &slug, "metrics-ballot-1", ballot.clone()).await.0, StatusCode::CREATED);
    assert_eq!(vote(&app, &slug, "metrics-ballot-1", ballot).await.0, StatusCode::OK);
    // Bodies that are not ballots at all are counted as invalid, as wrong answers are.
    let responses = app.url(&format!("/api/polls/{slug}/responses"));
    let unreadable = app.client.post(&responses).header("content-type", "application/json").body("{not json").send();
    assert_eq!(unreadable.await.unwrap().status(), StatusCode::BAD_REQUEST);
    let misshapen = app.client.post(&responses).json(&json!({"client_token": 7})).send().await.unwrap();
    assert_eq!(misshapen.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let after = client.get(&metrics).send().await.unwrap().text().await.unwrap();
    let invalid = r#"blw_ballots_total{outcome="invalid"}"#;
    assert!(value(&after, invalid) >= value(&before, invalid) + 2.0, "{after}");

    let accepted = r#"blw_ballots_total{outcome="accepted"}"#;
    let repeated = r#"blw_ballots_total{outcome="repeated"}"#;
    assert!(value(&after, accepted) >= value(&before, accepted) + 1.0, "{after}");
    assert!(value(&after, repeated) >= value(&before, repeated) + 1.0);
    let route =
        r#"http_server_request_duration_seconds_count{method="POST",route="/api/polls/{slug}/responses",status="201"}"#;
    assert!(value(&after, route) >= 1.0, "requests by route template, not by path");
    assert!(!after.contains(&slug), "no slug becomes a label");
    assert!(value(&after, "process_resident_memory_bytes") > 1e6);
    assert!(value(&after, "process_max_fds") >= value(&after, "process_open_fds"));
    assert!(after.contains("# TYPE blw_ballot_commit_duration_seconds histogram"), "histograms with buckets");
}

#[tokio::test]
async fn random_paths_and_slugs_do_not_grow_the_series() {
    let (app, metrics) = app_with_metrics().await;
    let client = reqwest::Client::new();
    // The series these requests can touch (other tests in this process add their own meanwhile).
    let series = |scrape: &str| {
        scrape
            .lines()
            .filter(|l| l.contains(r#"route="unmatched""#) || l.contains(r#"route="/api/polls/{slug}/results""#))
            .count()
    };
    for i in 0..50 {
        app.client.get(app.url(&format!("/warm/{i}"))).send().await.unwrap();
        app.client.get(app.url(&format!("/api/polls/warm-{i}/results"))).send().await.unwrap();
    }
    let before = client.get(&metrics).send().await.unwrap().text().await.unwrap();
    for i in 0..1_000 {
        let token = format!("r{i:04}x{}", i * 7919 % 1_000_003);
        app.client.get(app.url(&format!("/{token}/{token}"))).send().await.unwrap();
        app.client.get(app.url(&format!("/api/polls/{token}/results"))).send().await.unwrap();
    }
    let after = client.get(&metrics).send().await.unwrap().text().await.unwrap();
    assert!(!after.contains("r0999x"), "no path or slug is a label value");
    assert_eq!(series(&after), series(&before), "the same series, however many paths");
    let all = after.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count();
    assert!(all < 2_000, "{all} series in all");
}

#[tokio::test]
async fn the_operations_panel_reports_every_process_of_the_fleet_to_staff_only() {
    let app = crate::helpers::spawn_app().await;
    let other = api::Application::build(crate::helpers::settings_for(&app.db)).await.expect("second process");
    let other_address = other.address().unwrap();
    tokio::spawn(other.serve());
    let staff = staff(&app).await;
    let (_, slug) = open_poll(&app, &staff.admin).await;

    let anonymous = app.client.get(app.url("/api/admin/operations")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let operations = |cookie: String| {
        let client = app.client.clone();
        let url = app.url("/api/admin/operations");
        async move {
            let response = client.get(url).header("cookie", cookie).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    // Every process reports every 2 s through PostgreSQL: both appear on either.
    let mut seen = serde_json::Value::Null;
    for _ in 0..50 {
        seen = operations(staff.analyst.clone()).await;
        if seen["processes"].as_array().is_some_and(|p| p.len() == 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let processes: Vec<String> =
        seen["processes"].as_array().unwrap().iter().map(|p| p["process"].as_str().unwrap().to_owned()).collect();
    assert_eq!(processes.len(), 2, "{seen}");
    assert!(processes.iter().any(|p| p.starts_with(&other_address.to_string())), "{processes:?}");
    assert_eq!(seen["fleet"]["processes"], 2);

    // A screen watches, so frames carry the votes (and the lag histogram fills).
    let watcher = app.client.get(app.url(&format!("/api/polls/{slug}/results/stream"))).send().await.unwrap();
    let ballot =
        json!([{"var_name": "pid3", "response_index": 1}, {"var_name": "perf_judicial_ind", "response_index": 2}]);
    for i in 0..20 {
        assert_eq!(vote(&app, &slug, &format!("operations-{i:03}"), ballot.clone()).await.0, StatusCode::CREATED);
    }
    let mut rate = 0.0;
    for _ in 0..50 {
        rate = operations(staff.admin.clone()).await["fleet"]["votes_per_second"].as_f64().unwrap();
        if rate > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(rate > 0.0, "votes per second rise while ballots arrive");
    // Reports with lag figures travel between processes too: both still there, with a p99.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let now = operations(staff.admin.clone()).await;
    assert_eq!(now["fleet"]["processes"], 2, "{now}");
    assert!(now["fleet"]["lag_p99_ms"].as_f64().is_some(), "{now}");
    drop(watcher);
}
