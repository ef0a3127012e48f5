//! `/metrics` (Prometheus) on its own listener: never on the public port, counting what the api
//! did, and bounded whatever clients send. The recorder is the process's: tests in this binary
//! share it, so figures are compared before and after.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};
use crate::polls::{open_poll, staff, vote};

async fn app_with_metrics() -> (TestApp, String) {
    let app = spawn_app_with(|s| s.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics = format!("http://{}/metrics", app.metrics.expect("a metrics listener"));
    (app, metrics)
}

/// The whole of `/metrics`.
async fn scrape(metrics: &str) -> String {
    reqwest::get(metrics).await.unwrap().text().await.unwrap()
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

/// Values a client chooses, unique to this run and all kept, so that a scrape can be searched for
/// every one. Words start with `zq`, methods with `ZQ`: no metric or label has those letters, so
/// a value cut short shows too.
struct Tokens {
    state: u64,
    sent: Vec<String>,
}

impl Tokens {
    fn new() -> Self {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        Self { state: now.as_nanos() as u64 ^ u64::from(std::process::id()), sent: Vec::new() }
    }

    /// splitmix64.
    fn bits(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn draw(&mut self, prefix: &str, alphabet: &[u8], len: usize) -> String {
        let mut token = prefix.to_owned();
        for _ in 0..len {
            token.push(char::from(alphabet[(self.bits() % alphabet.len() as u64) as usize]));
        }
        token
    }

    fn word(&mut self) -> String {
        let word = self.draw("zq", b"abcdefghijklmnopqrstuvwxyz0123456789", 14);
        self.sent.push(word.clone());
        word
    }

    /// A method no server knows (the metrics call every such one `other`).
    fn method(&mut self) -> reqwest::Method {
        let method = self.draw("ZQ", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 9);
        self.sent.push(method.clone());
        reqwest::Method::from_bytes(method.as_bytes()).unwrap()
    }

    /// Six digits, the form of a join code (so it is looked up, and misses count); not searched
    /// for in the scrape, where numbers are.
    fn code(&mut self) -> String {
        self.draw("", b"0123456789", 6)
    }
}

/// One request as a client may send it.
struct Probe {
    method: reqwest::Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    /// A live-results stream: answered when its headers arrive, then dropped.
    stream: bool,
}

impl Probe {
    fn get(path: String) -> Self {
        Self { method: reqwest::Method::GET, path, headers: Vec::new(), body: None, stream: false }
    }
}

/// The kinds of request [`probe`] makes.
const KINDS: usize = 25;

/// A request of `kind` (below [`KINDS`]) made of values never sent before: every routed kind
/// (public, ballots, streams, staff), unknown methods, query strings, the site's files, nothing.
fn probe(kind: usize, tokens: &mut Tokens, slug: &str, admin: &str) -> Probe {
    use reqwest::Method;
    let t = tokens;
    let get = Probe::get;
    let as_staff = |mut probe: Probe| {
        probe.headers.push(("cookie", admin.to_owned()));
        probe
    };
    let ballot = |path: String, body: String| Probe { method: Method::POST, body: Some(body), ..get(path) };
    let answers = |t: &mut Tokens| {
        format!(
            r#"{{"client_token": "{}", "answers": [{{"var_name": "{}", "response_index": 0}}]}}"#,
            t.word(),
            t.word()
        )
    };
    let mut probe = match kind {
        0 => get(format!("/no/such/{}", t.word())),
        1 => get(format!("/api/polls/{}/results", t.word())),
        2 => get(format!("/api/polls/{}", t.word())),
        3 => get(format!("/api/polls/join/{}", t.word())),
        4 => get(format!("/api/polls/join/{}", t.code())),
        // Ballots: to polls that do not exist, with a device cookie nobody signed; to the open
        // poll with a question it does not ask; and a body that is not JSON.
        5 => {
            let mut probe = ballot(format!("/api/polls/{}/responses", t.word()), answers(t));
            probe.headers.push(("cookie", format!("blw_device={}", t.word())));
            probe
        }
        6 => ballot(format!("/api/polls/{slug}/responses"), answers(t)),
        7 => ballot(format!("/api/polls/{slug}/responses"), format!("{{{}", t.word())),
        8 => get(format!("/api/questions/{}", t.word())),
        9 => get(format!("/api/surveys/questions/{}/proportions?wave={}&split={}", t.word(), t.word(), t.word())),
        10 => Probe { method: t.method(), ..get(format!("/api/polls/{}", t.word())) },
        11 => Probe { method: t.method(), ..get(format!("/{}/{}", t.word(), t.word())) },
        12 => get(format!("/api/{}/{}", t.word(), t.word())),
        13 => get(format!("/{}.js?{}={}", t.word(), t.word(), t.word())),
        14 => get(format!("/js/common.js?{}={}", t.word(), t.word())),
        15 => get(format!("/api/polls/{slug}/results?{}={}", t.word(), t.word())),
        16 => Probe { stream: true, ..get(format!("/api/polls/{}/results/stream", t.word())) },
        17 => Probe { stream: true, ..get(format!("/api/polls/{slug}/results/stream?{}={}", t.word(), t.word())) },
        18 => {
            let mut probe = get(format!("/api/polls/{slug}/results/stream"));
            probe.headers.push(("last-event-id", t.word()));
            Probe { stream: true, ..probe }
        }
        // Staff pages as staff, so that their paths are read too; a change from another site's
        // page (refused); a session nobody was given.
        19 => as_staff(get(format!("/api/admin/polls/{}", t.word()))),
        20 => as_staff(get(format!("/api/admin/data/{}/{}", t.word(), t.word()))),
        21 => {
            let path = format!("/api/admin/polls/{}", t.word());
            let mut probe = as_staff(Probe { method: Method::PATCH, body: Some("{}".to_owned()), ..get(path) });
            probe.headers.push(("origin", format!("http://{}.example", t.word())));
            probe
        }
        22 => {
            let mut probe = get(format!("/api/admin/polls?{}={}", t.word(), t.word()));
            probe.headers.push(("cookie", format!("blw_session={}", t.word())));
            probe
        }
        23 => get(format!("/j/{}", t.word())),
        _ => get(format!("/j/{}", t.code())),
    };
    probe.headers.push(("user-agent", t.word()));
    probe.headers.push(("x-request-id", t.word()));
    probe
}

/// Sends `probes`, `concurrency` at a time, and returns how many got each status; every one must
/// be answered.
async fn send_all(app: &TestApp, probes: Vec<Probe>, concurrency: usize) -> BTreeMap<u16, usize> {
    let probes = Arc::new(Mutex::new(probes.into_iter()));
    // Redirects (`/j/…`) are answers: not followed.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (probes, client, base) = (probes.clone(), client.clone(), app.url(""));
        workers.spawn(async move {
            let mut statuses = BTreeMap::<u16, usize>::new();
            loop {
                let Some(probe) = probes.lock().unwrap().next() else { break };
                let what = format!("{} {}", probe.method, probe.path);
                let mut request = client.request(probe.method, format!("{base}{}", probe.path));
                for (name, value) in probe.headers {
                    request = request.header(name, value);
                }
                if let Some(body) = probe.body {
                    request = request.header("content-type", "application/json").body(body);
                }
                let response = request.send().await.unwrap_or_else(|e| panic!("{what}: no answer ({e})"));
                *statuses.entry(response.status().as_u16()).or_default() += 1;
                if !probe.stream {
                    response.bytes().await.unwrap_or_else(|e| panic!("{what}: no whole answer ({e})"));
                }
            }
            statuses
        });
    }
    let mut statuses = BTreeMap::new();
    while let Some(done) = workers.join_next().await {
        for (status, n) in done.unwrap() {
            *statuses.entry(status).or_default() += n;
        }
    }
    statuses
}

/// The series of a scrape (its lines that are not comments).
fn series_of(scrape: &str) -> impl Iterator<Item = &str> {
    scrape.lines().filter(|l| !l.starts_with('#') && !l.is_empty())
}

/// Every `label="value"` of a scrape's series.
fn label_values(scrape: &str) -> BTreeSet<String> {
    series_of(scrape)
        .filter_map(|l| l.split_once('{').and_then(|(_, rest)| rest.rsplit_once('}')).map(|(labels, _)| labels))
        .flat_map(|labels| labels.split("\",").map(|pair| format!("{}\"", pair.trim_end_matches('"'))))
        .collect()
}

/// The values of `sent` in `scrape`, and whether anything looking like one (`zq`, any case) is
/// there.
fn leaked<'a>(scrape: &str, sent: &'a [String]) -> (Vec<&'a str>, Option<String>) {
    let lower = scrape.to_lowercase();
    let words: HashSet<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let found = sent.iter().filter(|t| words.contains(t.to_lowercase().as_str())).map(String::as_str).collect();
    let marked = scrape.lines().find(|l| l.to_lowercase().contains("zq")).map(str::to_owned);
    (found, marked)
}

/// Requests of each kind in each half of the flood below.
const PER_KIND: usize = 60;

#[tokio::test]
async fn nothing_a_client_sends_becomes_a_label_and_the_series_stay_bounded() {
    let (app, metrics) = app_with_metrics().await;
    let admin = staff(&app).await.admin;
    let (_, slug) = open_poll(&app, &admin).await;
    let mut tokens = Tokens::new();
    // The series these requests can touch (other tests in this process add their own meanwhile).
    let series = |scrape: &str| {
        scrape
            .lines()
            .filter(|l| l.contains(r#"route="unmatched""#) || l.contains(r#"route="/api/polls/{slug}/results""#))
            .count()
    };
    // Every kind once while lookups of polls that do not exist still find nothing (404), then past
    // the allowance of such misses (429 until the minute is over), every kind again: the label
    // sets the flood can make are there before it.
    let first: Vec<Probe> = (0..KINDS).map(|kind| probe(kind, &mut tokens, &slug, &admin)).collect();
    send_all(&app, first, 1).await;
    for i in 0..50 {
        app.client.get(app.url(&format!("/warm/{i}"))).send().await.unwrap();
        app.client.get(app.url(&format!("/api/polls/warm-{i}/results"))).send().await.unwrap();
    }
    let again: Vec<Probe> = (0..KINDS).map(|kind| probe(kind, &mut tokens, &slug, &admin)).collect();
    send_all(&app, again, 1).await;
    let before = scrape(&metrics).await;

    // Then values never sent before, in two halves, 16 requests at a time: 1,000 random paths and
    // 1,000 random slugs, and PER_KIND requests of every kind per half.
    let mut scrapes = Vec::new();
    let mut statuses = BTreeMap::new();
    for half in 0..2 {
        let mut probes = Vec::new();
        for i in half * 500..(half + 1) * 500 {
            let token = format!("r{i:04}x{}", i * 7919 % 1_000_003);
            probes.push(Probe::get(format!("/{token}/{token}")));
            probes.push(Probe::get(format!("/api/polls/{token}/results")));
            tokens.sent.push(token);
        }
        probes.extend((0..PER_KIND * KINDS).map(|i| probe(i % KINDS, &mut tokens, &slug, &admin)));
        for (status, n) in send_all(&app, probes, 16).await {
            *statuses.entry(status).or_insert(0) += n;
        }
        scrapes.push(scrape(&metrics).await);
    }
    let (mid, after) = (&scrapes[0], &scrapes[1]);
    // Every kind got as far as its answer: no server error, and each refusal there is.
    assert!(statuses.keys().all(|s| *s < 500), "{statuses:?}");
    for status in [200, 303, 400, 401, 403, 404, 405, 422, 429] {
        assert!(statuses.contains_key(&status), "no {status} among {statuses:?}");
    }
    assert!(after.contains(r#"method="other""#), "unknown methods are counted, as other");
    let not_found = r#"blw_ballots_total{outcome="not_found"}"#;
    assert!(value(after, not_found) >= value(&before, not_found) + 2.0 * PER_KIND as f64, "{after}");

    assert!(!after.contains("r0999x"), "no path or slug is a label value");
    let (found, marked) = leaked(after, &tokens.sent);
    assert!(found.is_empty(), "{} of the {} values sent are in /metrics: {found:?}", found.len(), tokens.sent.len());
    assert_eq!(marked, None, "a line of /metrics with part of a value sent");
    assert_eq!(series(after), series(&before), "the same series, however many paths");
    let all = series_of(after).count();
    assert!(all < 2_000, "{all} series in all");
    // The second half's values were all new: a label taking them (or anything made of them)
    // would have a value per request of a kind, and a series per request (15 for a histogram).
    let new_values: Vec<String> = label_values(after).difference(&label_values(mid)).cloned().collect();
    assert!(new_values.len() < PER_KIND, "label values the second half added: {new_values:?}");
    let grown = all.saturating_sub(series_of(mid).count());
    assert!(grown < PER_KIND * KINDS / 4, "the second half added {grown} series");
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
