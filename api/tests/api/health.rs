use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_says_alive_and_readyz_says_ready() {
    let app = spawn_app().await;

    let response = app.client.get(app.url("/healthz")).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    // The snapshot loads in the background after start-up: ready within a few seconds.
    let mut ready = None;
    for _ in 0..50 {
        let response = app.client.get(app.url("/readyz")).send().await.expect("request");
        if response.status() == 200 {
            ready = Some(response.json::<serde_json::Value>().await.expect("json"));
            break;
        }
        assert_eq!(response.status(), 503);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let known: Vec<String> = {
        use migration::MigratorTrait;
        migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect()
    };
    let expected = serde_json::json!({"status": "ready", "database": "ok", "migrations": "applied",
        "known_migrations": known, "unknown_applied_migrations": [], "survey_snapshot": "loaded"});
    assert_eq!(ready, Some(expected));
}

#[tokio::test]
async fn an_unknown_path_gets_a_json_404() {
    let app = spawn_app().await;

    let response = app.client.get(app.url("/no/such/thing")).send().await.expect("request");

    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn static_files_are_served_from_the_web_folder_and_api_paths_stay_json() {
    let web = tempfile::tempdir().expect("temp dir");
    std::fs::write(web.path().join("hello.html"), "<p>hello</p>").expect("write");
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(|s| s.web_dir = dir).await;

    let page = app.client.get(app.url("/hello.html")).send().await.expect("request");
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().await.unwrap(), "<p>hello</p>");

    let missing = app.client.get(app.url("/api/nothing/here")).send().await.expect("request");
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn only_the_sites_assets_leave_the_web_folder() {
    let web = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(web.path().join("js")).expect("mkdir");
    std::fs::write(web.path().join("js/app.js"), "export {};").expect("write");
    std::fs::write(web.path().join("README.md"), "notes for developers").expect("write");
    std::fs::write(web.path().join("js/notes.txt"), "notes").expect("write");
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(|s| s.web_dir = dir).await;

    assert_eq!(app.client.get(app.url("/js/app.js")).send().await.unwrap().status(), 200);
    for path in ["/README.md", "/js/notes.txt", "/js/"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_symbolic_link_out_of_the_web_folder_is_not_followed() {
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("secret.js"), "const secret = 42;").expect("write");
    let web = tempfile::tempdir().expect("temp dir");
    std::fs::write(web.path().join("app.js"), "export {};").expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret.js"), web.path().join("leak.js")).expect("symlink");
    std::os::unix::fs::symlink(outside.path(), web.path().join("elsewhere")).expect("symlink");
    std::os::unix::fs::symlink(web.path().join("app.js"), web.path().join("alias.js")).expect("symlink");
    std::fs::write(outside.path().join("index.html"), "<p>const secret</p>").expect("write");
    std::fs::create_dir(web.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(outside.path().join("index.html"), web.path().join("sub/index.html")).expect("symlink");
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(|s| s.web_dir = dir).await;

    for path in ["/leak.js", "/elsewhere/secret.js", "/elsewhere%2fsecret.js", "/sub/"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("const secret"), "{path}: {body}");
    }
    // A link that stays inside the folder is served.
    assert_eq!(app.client.get(app.url("/alias.js")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn every_404_has_the_json_error_shape_even_from_the_docs() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    // Sent as written: HTTP clients would normalize the `..` away.
    for path in ["/docs/../Cargo.toml", "/docs/no-such-file.js"] {
        let mut stream = tokio::net::TcpStream::connect(app.address).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        assert!(response.starts_with("HTTP/1.1 404"), "{path}: {response}");
        assert!(response.to_ascii_lowercase().contains("content-type: application/json"), "{path}: {response}");
        assert!(response.contains(r#""code":"not_found""#), "{path}: {response}");
    }
}

#[tokio::test]
async fn page_paths_serve_their_html_files() {
    let web = tempfile::tempdir().expect("temp dir");
    for page in ["poll.html", "admin.html"] {
        std::fs::write(web.path().join(page), format!("<p>{page}</p>")).expect("write");
    }
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(|s| s.web_dir = dir).await;

    for (path, expected) in [
        ("/polls/some-poll", "poll.html"),
        ("/admin", "admin.html"),
        ("/admin/polls/new", "admin.html"),
        ("/admin/polls/12", "admin.html"),
    ] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(response.text().await.unwrap(), format!("<p>{expected}</p>"), "{path}");
    }
    let api_path = app.client.get(app.url("/api/polls/some-poll")).send().await.expect("request");
    assert_eq!(api_path.status(), 404);
    assert_eq!(api_path.json::<serde_json::Value>().await.unwrap()["error"]["code"], "not_found");
}

#[tokio::test]
async fn embed_pages_may_be_framed_by_any_site_and_nothing_else_may() {
    let web = tempfile::tempdir().expect("temp dir");
    for page in ["index.html", "poll.html", "admin.html", "embed.html"] {
        std::fs::write(web.path().join(page), format!("<p>{page}</p>")).expect("write");
    }
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(|s| s.web_dir = dir).await;
    let get = |path: String| app.client.get(app.url(&path)).send();

    for chart in ["diverging", "distribution", "trend", "gap", "principles"] {
        let response = get(format!("/embed/{chart}?q=perf_judicial_ind&theme=dark")).await.expect("request");
        assert_eq!(response.status(), 200, "{chart}");
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.ends_with("; frame-ancestors *"), "{chart}: {csp}");
        // Otherwise the pages' policy, word for word.
        let page = get("/".to_owned()).await.expect("request");
        let page_csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert_eq!(csp.replace("frame-ancestors *", "frame-ancestors 'none'"), page_csp);
        assert!(headers.get("x-frame-options").is_none(), "{chart}");
        assert!(headers.get("set-cookie").is_none(), "{chart}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(response.text().await.unwrap(), "<p>embed.html</p>");
    }
    for path in ["/", "/index.html", "/polls/p", "/admin", "/api/surveys/waves", "/embed.html", "/docs/"] {
        let response = get(path.to_owned()).await.expect("request");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.ends_with("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{path}");
    }
    let response = get("/embed/pie?q=x".to_owned()).await.expect("request");
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body["error"]["message"].as_str().unwrap().contains("diverging, distribution, trend, gap, principles"));
}

#[tokio::test]
async fn web_files_and_api_json_are_gzipped_for_clients_that_ask_and_streams_are_not() {
    let web = tempfile::tempdir().expect("temp dir");
    let script = "const answer = 42;\n".repeat(500);
    std::fs::write(web.path().join("big.js"), &script).expect("write");
    let dir = web.path().to_path_buf();
    let app = spawn_app_with(|s| s.web_dir = dir).await;
    let get = |path: &'static str| app.client.get(app.url(path)).header("accept-encoding", "gzip").send();

    let file = get("/big.js").await.expect("request");
    let json = get("/api/batteries").await.expect("request");

    assert_eq!(file.headers()["content-encoding"], "gzip");
    let compressed = file.bytes().await.expect("body");
    assert!(compressed.len() < script.len() / 10, "{} bytes gzipped", compressed.len());
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut unzipped).expect("gunzip");
    assert_eq!(unzipped, script);
    assert_eq!(json.headers()["content-encoding"], "gzip");
    let plain = app.client.get(app.url("/api/batteries")).send().await.expect("request");
    assert!(plain.headers().get("content-encoding").is_none(), "only for clients that ask");
}

#[tokio::test]
async fn a_wrong_method_gets_a_json_405() {
    let app = spawn_app().await;

    let response = app.client.post(app.url("/api/batteries")).send().await.expect("request");

    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_one_from_a_proxy() {
    let app = spawn_app().await;
    let first = app.client.get(app.url("/healthz")).send().await.expect("request");
    let second = app.client.get(app.url("/no/such/thing")).send().await.expect("request");
    let id = |r: &reqwest::Response| r.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
    let (a, b) = (id(&first).expect("an id"), id(&second).expect("an id on errors too"));
    assert_eq!(a.len(), 36, "a UUID: {a}");
    assert_ne!(a, b);
    let proxied = app.client.get(app.url("/healthz")).header("x-request-id", "from-the-proxy-42").send().await.unwrap();
    assert_eq!(id(&proxied).as_deref(), Some("from-the-proxy-42"));
    // Too long or not printable: replaced even from a trusted proxy.
    let odd = app.client.get(app.url("/healthz")).header("x-request-id", "x".repeat(200)).send().await.unwrap();
    assert_eq!(id(&odd).map(|v| v.len()), Some(36));
}

#[tokio::test]
async fn a_request_id_from_an_untrusted_peer_is_replaced() {
    let app = spawn_app_with(|s| s.trusted_proxies = "none".parse().unwrap()).await;
    let response =
        app.client.get(app.url("/healthz")).header("x-request-id", "chosen-by-a-client").send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id, "chosen-by-a-client");
    assert_eq!(id.len(), 36, "a fresh UUID: {id}");
}

#[tokio::test]
async fn a_query_stuck_on_a_lock_gets_503_not_a_hang() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = spawn_app().await;
    let cookie = {
        crate::helpers::create_account(&app, "lock@example.org", api::Role::Admin).await;
        crate::helpers::session_cookie(&app, "lock@example.org").await
    };
    // Another client holds the polls table: every read of it waits.
    let holder = app.db.conn.begin().await.expect("transaction");
    holder.execute_unprepared("LOCK TABLE polls.polls IN ACCESS EXCLUSIVE MODE").await.expect("lock");

    let started = std::time::Instant::now();
    let response = app.client.get(app.url("/api/admin/polls")).header("cookie", &cookie).send().await.expect("request");

    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    holder.rollback().await.expect("release");
    let after = app.client.get(app.url("/api/admin/polls")).header("cookie", &cookie).send().await.expect("request");
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn unfinished_requests_are_bounded_before_they_take_memory() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|s| {
        s.max_connections = 2;
        s.limits.login_attempts_per_minute = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    // No kept-alive connections: each would hold one of the two slots.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    // Bodies have per-route limits: a login needs a few bytes, a ballot a few kilobytes.
    let big_login = serde_json::json!({"email": "a@example.org", "password": "p".repeat(20_000)});
    let response = client.post(app.url("/api/auth/login")).json(&big_login).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    // Past the per-address limit, a login is refused before its body is read (429, not 413).
    let response = client.post(app.url("/api/auth/login")).json(&big_login).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let big_ballot = serde_json::json!({"client_token": "t".repeat(100), "answers": [{"var_name": "x".repeat(140_000), "response_index": 0}]});
    let response = client.post(app.url("/api/polls/any/responses")).json(&big_ballot).send().await.unwrap();
    assert_eq!(response.status(), 413);
    // Request heads are capped.
    let response = client.get(app.url("/healthz")).header("x-filler", "h".repeat(20_000)).send().await.unwrap();
    assert_eq!(response.status(), 431);

    // At most `max_connections` at once: a third waits until one of two idle ones goes.
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap(); // unfinished
        idle.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let third = tokio::spawn({
        let address = app.address;
        async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).await.unwrap();
            response
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "the third connection waits for a slot");
    drop(idle.pop());
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), third).await.expect("served").unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}
