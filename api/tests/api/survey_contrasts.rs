//! Gaps between groups and changes between waves, checked against R's `survey` package (fixture
//! made by `api/tests/fixtures/r-contrasts.R` from the source files), and their refusals.

use std::collections::HashMap;

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};
use crate::surveys::{TOLERANCE, close_within, get_json};

/// R's fixture fields for a contrast (`first` − `second`) and ours.
fn compare_estimates(label: &str, ours: &Value, r: &Value, (first, second): (&str, &str)) {
    let ours = ours.as_array().unwrap_or_else(|| panic!("{label}: no estimates"));
    let r = r.as_array().unwrap();
    assert_eq!(ours.len(), r.len(), "{label}: one estimate per measure");
    for (ours, r) in ours.iter().zip(r) {
        let what = format!("{label} {}", r["measure"]);
        assert_eq!(ours["measure"], r["measure"], "{what}");
        assert_eq!(ours["df"], r["df"], "{what} df");
        close_within(TOLERANCE, &format!("{what} {first}"), &ours[first], &r["first"]);
        close_within(TOLERANCE, &format!("{what} {second}"), &ours[second], &r["second"]);
        for field in ["difference", "se", "ci_low", "ci_high", "p_value"] {
            close_within(TOLERANCE, &format!("{what} {field}"), &ours[field], &r[field]);
        }
    }
}

async fn cached(app: &TestApp, bodies: &mut HashMap<String, Value>, path: String) -> Value {
    if !bodies.contains_key(&path) {
        let (status, body) = get_json(app, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        bodies.insert(path.clone(), body);
    }
    bodies[&path].clone()
}

#[tokio::test]
async fn gaps_match_r_survey_for_every_pair_wave_and_split_of_the_fixture() {
    let app = spawn_app().await;
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/r-contrasts.json")).expect("fixture");
    let mut bodies = HashMap::new();
    let gaps = fixture["gaps"].as_array().unwrap();
    for expected in gaps {
        let (q, split, wave) = (expected["var_name"].as_str().unwrap(), &expected["split"], &expected["wave"]);
        let path = format!("/api/surveys/questions/{q}/gaps?split={}&wave={wave}", split.as_str().unwrap());
        let body = cached(&app, &mut bodies, path).await;
        assert_eq!((&body["wave"], &body["split"]), (wave, split));
        let label = format!("{q} {split} wave {wave} {}–{}", expected["a"], expected["b"]);
        let pair = body["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["a"] == expected["a"] && p["b"] == expected["b"])
            .unwrap_or_else(|| panic!("{label}: no such pair"));
        assert_eq!((&pair["n_a"], &pair["n_b"]), (&expected["n_a"], &expected["n_b"]), "{label}");
        compare_estimates(&label, &pair["estimates"], &expected["estimates"], ("a", "b"));
    }
    // Three pairs per body, and the fixture has every one of them.
    let ours: usize = bodies.values().map(|b| b["pairs"].as_array().unwrap().len()).sum();
    assert_eq!(ours, gaps.len());
}

#[tokio::test]
async fn changes_match_r_survey_for_every_group_and_split_of_the_fixture() {
    let app = spawn_app().await;
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/r-contrasts.json")).expect("fixture");
    let mut bodies = HashMap::new();
    let changes = fixture["changes"].as_array().unwrap();
    for expected in changes {
        let (q, split) = (expected["var_name"].as_str().unwrap(), expected["split"].as_str().unwrap());
        let (from, to) = (&expected["from"], &expected["to"]);
        let path = format!("/api/surveys/questions/{q}/changes?split={split}&from={from}&to={to}");
        let body = cached(&app, &mut bodies, path).await;
        let label = format!("{q} {split} {from}→{to} {}", expected["group"]);
        let group = body["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == expected["group"])
            .unwrap_or_else(|| panic!("{label}: no such group"));
        assert_eq!((&group["from"], &group["to"]), (from, to), "{label}");
        assert_eq!((&group["n_from"], &group["n_to"]), (&expected["n_from"], &expected["n_to"]), "{label}");
        compare_estimates(&label, &group["estimates"], &expected["estimates"], ("to", "from"));
    }
    let ours: usize = bodies.values().map(|b| b["groups"].as_array().unwrap().len()).sum();
    assert_eq!(ours, changes.len());
}

#[tokio::test]
async fn defaults_are_the_latest_waves_that_asked_the_question() {
    let app = spawn_app().await;
    let (status, gaps) = get_json(&app, "/api/surveys/questions/perf_judicial_ind/gaps").await;
    assert_eq!(status, 200, "{gaps}");
    assert_eq!((&gaps["split"], &gaps["wave"]), (&Value::from("party"), &Value::from(23)));
    let pairs: Vec<(&str, &str)> = gaps["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["a"].as_str().unwrap(), p["b"].as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [("Democrat", "Republican"), ("Democrat", "Independent or Other"), ("Republican", "Independent or Other")]
    );
    let measures: Vec<&Value> =
        gaps["pairs"][0]["estimates"].as_array().unwrap().iter().map(|e| &e["measure"]).collect();
    assert_eq!(measures, ["top2", "Does not meet", "Partly meets", "Mostly meets", "Fully meets"]);

    let (status, changes) = get_json(&app, "/api/surveys/questions/perf_gov_stats/changes?split=none").await;
    assert_eq!(status, 200, "{changes}");
    assert_eq!((&changes["from"], &changes["to"]), (&Value::from(14), &Value::from(23)));
    let groups: Vec<&Value> = changes["groups"].as_array().unwrap().iter().map(|g| &g["group"]).collect();
    assert_eq!(groups, [&Value::Null]);
    // Only `from` given: `to` is the latest wave after it; only `to`: the wave before it.
    let (_, body) = get_json(&app, "/api/surveys/questions/perf_judicial_ind/changes?from=3").await;
    assert_eq!((&body["from"], &body["to"]), (&Value::from(3), &Value::from(23)));
    let (_, body) = get_json(&app, "/api/surveys/questions/perf_judicial_ind/changes?to=14").await;
    assert_eq!((&body["from"], &body["to"]), (&Value::from(8), &Value::from(14)));
    let (_, body) = get_json(&app, "/api/surveys/questions/perf_judicial_ind/changes?split=ideology").await;
    let groups: Vec<&Value> = body["groups"].as_array().unwrap().iter().map(|g| &g["group"]).collect();
    assert_eq!(
        groups,
        ["Liberal", "Moderate", "Conservative"].map(Value::from).iter().chain([&Value::Null]).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn bad_parameters_get_400_naming_them_and_unasked_waves_404() {
    let app = spawn_app().await;
    let q = "/api/surveys/questions/perf_gov_stats";
    for (path, parameter) in [
        ("gaps?split=none", "split"),
        ("gaps?split=partisan", "split"),
        ("gaps?wave=three", "wave"),
        ("gaps?wave=99", "wave"),
        ("gaps?wave=14&wave=23", "wave"),
        ("gaps?from=14", "from"),
        ("changes?from=23&to=14", "from"),
        ("changes?from=14&to=14", "from"),
        ("changes?from=x", "from"),
        ("changes?to=-1", "to"),
        ("changes?wave=14", "wave"),
        ("changes?split=everyone", "split"),
    ] {
        let (status, body) = get_json(&app, &format!("{q}/{path}")).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{path}");
        assert_eq!(body["error"]["parameter"], parameter, "{path}");
    }
    for (path, says) in [
        ("perf_gov_stats/gaps?wave=3", "did not ask"),
        ("perf_gov_stats/changes?from=3&to=23", "did not ask"),
        ("perf_gov_stats/changes?from=23", "no two waves"),
        ("perf_gov_stats/changes?to=14", "no two waves"),
        ("imp_science/gaps", "no survey data"),
        ("imp_nothing/changes", "no question"),
    ] {
        let (status, body) = get_json(&app, &format!("/api/surveys/questions/{path}")).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(says), "{path}: {body}");
    }
}
