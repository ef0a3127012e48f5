//! Login, sessions, throttling, CSRF, roles and account administration.

use api::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, create_account, login, session_cookie, spawn_app};

async fn me(app: &TestApp, cookie: &str) -> StatusCode {
    app.client.get(app.url("/api/auth/me")).header("cookie", cookie).send().await.expect("me").status()
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_me_reports_the_user() {
    let app = spawn_app().await;
    create_account(&app, "Ann@Example.org", Role::Admin).await;

    let response = login(&app, "ann@example.org", PASSWORD).await;

    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("blw_session="));
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], "Ann@Example.org");
    assert_eq!(body["user"]["role"], "admin");
    assert!(body["user"].get("password_hash").is_none());
    let cookie = set_cookie.split(';').next().unwrap();
    let me: Value =
        app.client.get(app.url("/api/auth/me")).header("cookie", cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["name"], "Test Ann@Example.org");
}

#[tokio::test]
async fn session_answers_200_with_the_user_or_null() {
    let app = spawn_app().await;
    create_account(&app, "dee@example.org", Role::Analyst).await;
    let session = |cookie: Option<String>| {
        let mut request = app.client.get(app.url("/api/auth/session"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        async move {
            let response = request.send().await.expect("session");
            (response.status(), response.json::<Value>().await.expect("json"))
        }
    };

    let anonymous = session(None).await;
    let stale = session(Some("blw_session=not-a-live-token".to_owned())).await;
    let cookie = session_cookie(&app, "dee@example.org").await;
    let logged_in = session(Some(cookie)).await;

    assert_eq!(anonymous, (StatusCode::OK, json!({"user": null})));
    assert_eq!(stale, (StatusCode::OK, json!({"user": null})));
    assert_eq!(logged_in.0, StatusCode::OK);
    assert_eq!(logged_in.1["user"]["email"], "dee@example.org");
    assert_eq!(logged_in.1["user"]["role"], "analyst");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    create_account(&app, "bob@example.org", Role::Analyst).await;

    let wrong = login(&app, "bob@example.org", "not the password").await;
    let unknown = login(&app, "nobody@example.org", PASSWORD).await;

    assert_eq!((wrong.status(), unknown.status()), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
}

#[tokio::test]
async fn repeated_failures_slow_the_email_down_but_never_lock_the_owner_out() {
    let app = spawn_app().await;
    create_account(&app, "cy@example.org", Role::Admin).await;
    for _ in 0..5 {
        assert_eq!(login(&app, "cy@example.org", "guess guess guess").await.status(), 401);
    }

    let started = std::time::Instant::now();
    let owner = login(&app, "CY@example.org", PASSWORD).await;

    assert_eq!(owner.status(), StatusCode::OK, "the right password still logs in");
    // Its turn comes a second after the last failure's (less what that check took).
    assert!(started.elapsed() >= std::time::Duration::from_millis(500), "after a wait: {:?}", started.elapsed());
}

#[tokio::test]
async fn parallel_guesses_for_one_email_queue_instead_of_being_checked_together() {
    let app = spawn_app().await;
    create_account(&app, "dee@example.org", Role::Admin).await;
    let started = std::time::Instant::now();
    // 30 guesses at once, each from an address of its own: the per-address limit is not what stops them.
    let addresses: Vec<String> = (0..30).map(|i| format!("198.51.100.{}", 100 + i)).collect();
    let guesses = addresses.iter().map(|address| login_from(&app, address, "dee@example.org"));
    let answers = futures_util::future::join_all(guesses).await;
    let elapsed = started.elapsed();
    let checked = answers.iter().filter(|r| r.status() == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(checked + refused, 30, "every guess is either checked in its turn or refused");
    // Turns are at least a second apart: the checks spread over the time they took.
    assert!(checked as f64 <= elapsed.as_secs_f64() + 1.0, "{checked} checks in {elapsed:?}");
    assert!(refused > 0, "turns more than 10 s away are refused at once");
    assert!(
        answers
            .iter()
            .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
            .all(|r| r.headers().contains_key("retry-after"))
    );
}

/// A login attempt for `email` as seen through a proxy on loopback for client `address`.
async fn login_from(app: &TestApp, address: &str, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", address)
        .json(&serde_json::json!({"email": email, "password": "spray spray spray"}))
        .send()
        .await
        .expect("login request")
}

#[tokio::test]
async fn spraying_many_emails_from_one_address_is_throttled_per_address() {
    let app = spawn_app().await;
    for i in 0..10 {
        let response = login_from(&app, "198.51.100.7", &format!("target{i}@example.org")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }

    let throttled = login_from(&app, "198.51.100.7", "target10@example.org").await;

    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 60, "{retry_after}");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    // Another client behind the same (trusted, loopback) proxy is not affected.
    assert_eq!(login_from(&app, "198.51.100.8", "target0@example.org").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.trusted_proxies = "none".parse().unwrap();
        settings.limits.login_attempts_per_minute = std::num::NonZeroU32::new(3).unwrap();
    })
    .await;
    // The peer (loopback) is not trusted now: a made-up X-Forwarded-For per request changes nothing.
    for i in 0..3 {
        assert_eq!(login_from(&app, &format!("203.0.113.{i}"), "x@example.org").await.status(), 401);
    }
    assert_eq!(login_from(&app, "203.0.113.99", "x@example.org").await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    create_account(&app, "dee@example.org", Role::Analyst).await;
    let cookie = session_cookie(&app, "dee@example.org").await;

    let out = app.client.post(app.url("/api/auth/logout")).header("cookie", &cookie).send().await.unwrap();

    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(me(&app, &cookie).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_survives_a_restart() {
    let app = spawn_app().await;
    create_account(&app, "eve@example.org", Role::Admin).await;
    let cookie = session_cookie(&app, "eve@example.org").await;

    let restarted = api::Application::build(crate::helpers::settings_for(&app.db)).await.expect("second process");
    let address = restarted.address().unwrap();
    tokio::spawn(restarted.serve());

    let status = app
        .client
        .get(format!("http://{address}/api/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn deactivating_an_account_locks_it_out_at_once() {
    let app = spawn_app().await;
    create_account(&app, "admin@test.org", Role::Admin).await;
    let analyst = create_account(&app, "fay@example.org", Role::Analyst).await;
    let admin_cookie = session_cookie(&app, "admin@test.org").await;
    let analyst_cookie = session_cookie(&app, "fay@example.org").await;

    let patched = app
        .client
        .patch(app.url(&format!("/api/admin/accounts/{analyst}")))
        .header("cookie", &admin_cookie)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();

    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(me(&app, &analyst_cookie).await, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "fay@example.org", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app().await;
    create_account(&app, "gil@example.org", Role::Admin).await;
    let cookie = session_cookie(&app, "gil@example.org").await;

    let from_evil = app
        .client
        .post(app.url("/api/auth/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    let cross_site = app
        .client
        .post(app.url("/api/admin/accounts"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"email": "x@example.org", "name": "X", "role": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    // The same host under another scheme is another origin.
    for scheme in ["https", "evil"] {
        let other_scheme = app
            .client
            .post(app.url("/api/auth/logout"))
            .header("cookie", &cookie)
            .header("origin", format!("{scheme}://{}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(other_scheme.status(), StatusCode::FORBIDDEN, "{scheme}");
    }
    let same_origin = app
        .client
        .post(app.url("/api/auth/logout"))
        .header("cookie", &cookie)
        .header("origin", format!("http://{}", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(from_evil.status(), StatusCode::FORBIDDEN);
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(same_origin.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn account_routes_by_role() {
    let app = spawn_app().await;
    let admin = create_account(&app, "hal@example.org", Role::Admin).await;
    create_account(&app, "ian@example.org", Role::Analyst).await;
    let admin_cookie = session_cookie(&app, "hal@example.org").await;
    let analyst_cookie = session_cookie(&app, "ian@example.org").await;
    let new_account = json!({"email": "new@example.org", "name": "New", "role": "analyst", "password": PASSWORD});

    for (who, cookie, list, create, patch) in [
        ("anonymous", None, 401, 401, 401),
        ("analyst", Some(&analyst_cookie), 403, 403, 403),
        ("admin", Some(&admin_cookie), 200, 201, 200),
    ] {
        let with = |request: reqwest::RequestBuilder| match cookie {
            Some(c) => request.header("cookie", c.as_str()),
            None => request,
        };
        let got_list = with(app.client.get(app.url("/api/admin/accounts"))).send().await.unwrap().status();
        let got_create =
            with(app.client.post(app.url("/api/admin/accounts")).json(&new_account)).send().await.unwrap().status();
        let got_patch =
            with(app.client.patch(app.url(&format!("/api/admin/accounts/{admin}"))).json(&json!({"name": "Hal"})))
                .send()
                .await
                .unwrap()
                .status();
        assert_eq!((got_list.as_u16(), got_create.as_u16(), got_patch.as_u16()), (list, create, patch), "{who}");
    }
}

#[tokio::test]
async fn account_validation_names_the_field_and_keeps_one_admin() {
    let app = spawn_app().await;
    let admin = create_account(&app, "jo@example.org", Role::Admin).await;
    let cookie = session_cookie(&app, "jo@example.org").await;
    let post =
        |body: Value| app.client.post(app.url("/api/admin/accounts")).header("cookie", &cookie).json(&body).send();

    let short =
        post(json!({"email": "k@example.org", "name": "K", "role": "analyst", "password": "short"})).await.unwrap();
    let bad_email =
        post(json!({"email": "not-an-email", "name": "K", "role": "analyst", "password": PASSWORD})).await.unwrap();
    let bad_role =
        post(json!({"email": "k@example.org", "name": "K", "role": "owner", "password": PASSWORD})).await.unwrap();
    let duplicate =
        post(json!({"email": "JO@example.org", "name": "J", "role": "analyst", "password": PASSWORD})).await.unwrap();
    // No development accounts are loaded: Jo is the only admin.
    let deactivate_last_admin = app
        .client
        .patch(app.url(&format!("/api/admin/accounts/{admin}")))
        .header("cookie", &cookie)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    let last_admin = app
        .client
        .patch(app.url(&format!("/api/admin/accounts/{admin}")))
        .header("cookie", &cookie)
        .json(&json!({"role": "analyst"}))
        .send()
        .await
        .unwrap();

    for (response, status, field) in
        [(short, 422, Some("password")), (bad_email, 422, Some("email")), (bad_role, 422, Some("role"))]
    {
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"].as_str(), field, "{body}");
    }
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    assert_eq!(last_admin.status(), StatusCode::CONFLICT);
    assert_eq!(deactivate_last_admin.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_cli_creates_the_first_admin_and_sets_passwords() {
    let app = spawn_app().await;
    let run = |args: &[&str], password: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_api"))
            .args(args)
            .env("DATABASE_URL", &app.db.url)
            .env("BLW_PASSWORD", password)
            .env("RUST_LOG", "error")
            .output()
            .expect("run api")
    };

    let created =
        run(&["accounts", "create", "--email", "root@example.org", "--name", "Root", "--role", "admin"], PASSWORD);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert_eq!(login(&app, "root@example.org", PASSWORD).await.status(), StatusCode::OK);

    let again =
        run(&["accounts", "create", "--email", "root@example.org", "--name", "Root", "--role", "admin"], PASSWORD);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    let reset = run(&["accounts", "set-password", "--email", "ROOT@example.org"], "a brand new password");
    assert!(reset.status.success(), "{}", String::from_utf8_lossy(&reset.stderr));
    assert_eq!(login(&app, "root@example.org", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "root@example.org", "a brand new password").await.status(), StatusCode::OK);

    let bad_role = run(&["accounts", "create", "--email", "x@example.org", "--name", "X", "--role", "owner"], PASSWORD);
    assert!(!bad_role.status.success());
}

#[tokio::test]
async fn a_malformed_path_parameter_gets_the_json_error_shape() {
    let app = spawn_app().await;
    create_account(&app, "hal@example.org", Role::Admin).await;
    let cookie = session_cookie(&app, "hal@example.org").await;
    for (method, path) in
        [(reqwest::Method::PATCH, "/api/admin/accounts/abc"), (reqwest::Method::GET, "/api/admin/polls/99999999999")]
    {
        let response =
            app.client.request(method, app.url(path)).header("cookie", &cookie).json(&json!({})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_parameter", "{path}");
        assert_eq!(body["error"]["parameter"], "path", "{path}");
    }
}

#[tokio::test]
async fn nul_bytes_and_oversized_or_malformed_text_are_refused_not_stored() {
    let app = spawn_app().await;
    create_account(&app, "ivy@example.org", Role::Admin).await;
    let cookie = session_cookie(&app, "ivy@example.org").await;
    let post =
        |path: &'static str, body: Value| app.client.post(app.url(path)).header("cookie", &cookie).json(&body).send();

    let account_count = || async {
        let response = app.client.get(app.url("/api/admin/accounts")).header("cookie", &cookie).send().await.unwrap();
        response.json::<Value>().await.unwrap().as_array().unwrap().len()
    };
    let accounts_before = account_count().await;

    let poll_nul = app.client.get(app.url("/api/polls/%00")).send().await.unwrap();
    assert_eq!(poll_nul.status(), StatusCode::BAD_REQUEST);
    let login_nul = login(&app, "ivy\u{0}@example.org", PASSWORD).await;
    assert_eq!(login_nul.status(), StatusCode::UNAUTHORIZED);

    let question = json!([{"var_name": "pid3"}]);
    for (body, field) in [
        (json!({"title": "a\u{0}b", "questions": question}), "title"),
        (json!({"title": "x".repeat(201), "questions": question}), "title"),
        (json!({"title": "ok", "description": "d".repeat(2_001), "questions": question}), "description"),
        (json!({"title": "Poll\u{2066}", "questions": question}), "title"),
    ] {
        let response = post("/api/admin/polls", body).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field);
    }
    for (body, field) in [
        (json!({"email": "nul@example.org", "name": "a\u{0}", "role": "analyst", "password": PASSWORD}), "name"),
        (
            json!({"email": "long@example.org", "name": "n".repeat(101), "role": "analyst", "password": PASSWORD}),
            "name",
        ),
        (json!({"email": "\"><svg onload=alert(1)>@x", "name": "X", "role": "analyst", "password": PASSWORD}), "email"),
        (json!({"email": "spaces@example.org", "name": "X", "role": "analyst", "password": "          "}), "password"),
        (
            json!({"email": "nul@example.org", "name": "X", "role": "analyst", "password": "correct\u{0}horse battery"}),
            "password",
        ),
        // Looks like "Admin", is not: zero-width and text-direction characters are refused.
        (json!({"email": "zw@example.org", "name": "Admin\u{200b}", "role": "analyst", "password": PASSWORD}), "name"),
        (json!({"email": "rlo@example.org", "name": "\u{202e}nimdA", "role": "analyst", "password": PASSWORD}), "name"),
    ] {
        let response = post("/api/admin/accounts", body).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field);
    }
    assert_eq!(account_count().await, accounts_before, "nothing refused was stored");

    // A client token with a NUL is a field error too.
    let poll: Value =
        post("/api/admin/polls", json!({"title": "T", "questions": question})).await.unwrap().json().await.unwrap();
    let ballot = json!({"client_token": "token\u{0}token", "answers": [{"var_name": "pid3", "response_index": 0}]});
    let slug = poll["slug"].as_str().unwrap();
    let open = app.client.patch(app.url(&format!("/api/admin/polls/{}", poll["id"]))).header("cookie", &cookie);
    assert_eq!(open.json(&json!({"is_open": true})).send().await.unwrap().status(), StatusCode::OK);
    let response =
        app.client.post(app.url(&format!("/api/polls/{slug}/responses"))).json(&ballot).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_hash_with_old_parameters_is_replaced_at_the_next_login() {
    use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString, rand_core::OsRng};
    use entity::users::accounts;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

    let app = spawn_app().await;
    // As the seed accounts are stored: 64 MiB, three passes, four lanes.
    let heavy = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(65_536, 3, 4, None).unwrap(),
    );
    let old_hash = heavy.hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng)).unwrap().to_string();
    let account = accounts::ActiveModel {
        email: Set("old@example.org".to_owned()),
        name: Set("Old".to_owned()),
        role: Set("analyst".to_owned()),
        password_hash: Set(old_hash.clone()),
        ..Default::default()
    }
    .insert(&app.db.conn)
    .await
    .unwrap();

    assert_eq!(login(&app, "old@example.org", PASSWORD).await.status(), StatusCode::OK);
    let stored = accounts::Entity::find_by_id(account.id).one(&app.db.conn).await.unwrap().unwrap().password_hash;
    assert_ne!(stored, old_hash);
    let params = PasswordHash::new(&stored).unwrap().params.to_string();
    assert_eq!(params, "m=19456,t=2,p=1", "the parameters new hashes get");
    assert_eq!(login(&app, "old@example.org", PASSWORD).await.status(), StatusCode::OK);
}
