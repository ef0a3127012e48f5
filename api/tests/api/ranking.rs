//! Ranking questions: phones order 3 to 10 items (all, or their top k); the results give each
//! item's mean rank with its interval, Borda score and distribution, the room's order, per group;
//! and for the catalog's principles the nation's order beside the room's. Reference: R
//! (`api/tests/fixtures/r-ranking.R`): mean ranks, intervals and Borda scores by their formulas,
//! the nation's shares by `survey` from the source files.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::polls::{responses_csv, send, set_open, staff, vote};
use crate::question_kinds::create;
use crate::surveys::{CI_TOLERANCE, TOLERANCE, close_within};

fn check_rank(label: &str, ours: &Value, r: &Value) {
    close_within(TOLERANCE, &format!("{label} mean"), &ours["mean"], &r["mean_rank"]);
    close_within(TOLERANCE, &format!("{label} se"), &ours["se"], &r["se"]);
    for field in ["ci_low", "ci_high"] {
        close_within(CI_TOLERANCE, &format!("{label} {field}"), &ours[field], &r[field]);
    }
}

#[tokio::test]
async fn mean_ranks_borda_orders_groups_and_the_nation_match_r_in_every_case() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let fixture: Vec<Value> = serde_json::from_str(include_str!("../fixtures/r-ranking.json")).expect("fixture");
    for case in &fixture {
        let name = case["name"].as_str().unwrap();
        let expected = &case["expected"];
        let groups: Vec<&str> =
            case["participant_groups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
        let mut labels = groups.clone();
        labels.sort_unstable();
        labels.dedup();
        let mut ranking = json!({"kind": "ranking", "text": "Order them", "top_k": case["top_k"]});
        if expected.get("nation").is_some() {
            ranking["item_var_names"] = case["items"].clone();
        } else {
            ranking["options"] = case["items"].clone();
        }
        let poll = json!({"title": name, "split_by": "q1", "national_during_voting": true, "questions": [
            {"kind": "choice", "text": "You are…", "options": labels}, ranking
        ]});
        let (id, slug) = create(&app, &staff, poll).await;
        set_open(&app, &staff.admin, id, true).await;
        for (i, order) in case["rankings"].as_array().unwrap().iter().enumerate() {
            let group = labels.iter().position(|l| *l == groups[i]).unwrap();
            let answers = json!([{"var_name": "q1", "response_index": group}, {"var_name": "q2", "ranking": order}]);
            let (status, body) = vote(&app, &slug, &format!("{name}-{i}"), answers).await;
            assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        }
        set_open(&app, &staff.admin, id, false).await;
        let (_, public) = send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await;
        let results = &public["questions"][1];
        assert_eq!(results["kind"], "ranking", "{name}");
        assert_eq!(results["respondents"], json!(case["rankings"].as_array().unwrap().len()), "{name}");
        for (i, r_item) in expected["items"].as_array().unwrap().iter().enumerate() {
            let ours = &results["items"][i];
            check_rank(&format!("{name} item {i}"), &ours["mean_rank"], r_item);
            assert_eq!(ours["borda"], r_item["borda"], "{name} item {i}");
            assert_eq!(ours["distribution"], r_item["distribution"], "{name} item {i}");
            assert_eq!(ours["unranked"], r_item["unranked"], "{name} item {i}");
        }
        assert_eq!(results["room_order"], expected["room_order"], "{name}");
        for r_group in expected["groups"].as_array().unwrap() {
            let group = r_group["group"].as_str().unwrap();
            let ours = results["groups"].as_array().unwrap().iter().find(|g| g["group"] == group).unwrap();
            for (i, r_item) in r_group["items"].as_array().unwrap().iter().enumerate() {
                check_rank(&format!("{name} {group} item {i}"), &ours["mean_ranks"][i], r_item);
            }
        }
        match expected.get("nation") {
            None => assert_eq!(results["nation"], Value::Null, "{name}"),
            Some(nation) => {
                let ours = &results["nation"];
                assert_eq!(ours["wave"], nation["wave"], "{name}: the latest wave that asked them all");
                assert_eq!(ours["responses"], json!(["Essential"]), "{name}");
                for (i, r_item) in nation["items"].as_array().unwrap().iter().enumerate() {
                    let item = &ours["items"][i];
                    assert_eq!(item["var_name"], r_item["var_name"]);
                    assert_eq!(item["n"], r_item["n"], "{name} item {i}");
                    for field in ["p", "se"] {
                        close_within(
                            TOLERANCE,
                            &format!("{name} nation {i} {field}"),
                            &item["share"][field],
                            &r_item[field],
                        );
                    }
                    for field in ["ci_low", "ci_high"] {
                        close_within(
                            CI_TOLERANCE,
                            &format!("{name} nation {i} {field}"),
                            &item["share"][field],
                            &r_item[field],
                        );
                    }
                    assert_eq!(
                        (item["nation_place"].clone(), item["room_place"].clone()),
                        (r_item["nation_place"].clone(), r_item["room_place"].clone()),
                        "{name} item {i}"
                    );
                }
                assert_eq!(ours["nation_order"], nation["nation_order"], "{name}");
                assert_eq!(ours["differs_most"], nation["differs_most"], "{name}");
            }
        }
    }
}

#[tokio::test]
async fn a_ranking_is_checked_stored_in_order_exported_and_its_nation_waits_for_the_vote() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let poll = json!({"title": "Rank", "pacing": "presenter", "questions": [
        {"kind": "ranking", "text": "Top two?", "options": ["Courts", "Press", "Votes", "Speech"], "top_k": 2},
        {"kind": "ranking", "text": "Which matter most?",
         "item_var_names": ["imp_judicial_ind", "imp_free_speech", "imp_equal_rights"]}
    ]});
    let (id, slug) = create(&app, &staff, poll).await;
    set_open(&app, &staff.admin, id, true).await;
    let (_, view) = send(&app, Method::GET, &format!("/api/polls/{slug}"), None, None).await;
    assert_eq!(view["questions"][0]["top_k"], 2);
    assert_eq!(view["questions"][1]["top_k"], 3);
    assert_eq!(view["questions"][1]["responses"].as_array().unwrap().len(), 3);
    let current = |position: i64, voting_open: bool| {
        let body = json!({"position": position, "voting_open": voting_open});
        let path = format!("/api/admin/polls/{id}/current");
        let cookie = staff.admin.clone();
        let app = &app;
        async move {
            let (status, body) = send(app, Method::PUT, &path, Some(&cookie), Some(body)).await;
            assert!(status.is_success(), "{body}");
        }
    };
    current(0, true).await;
    let bad = [
        (json!([{"var_name": "q1", "ranking": [0]}]), "rank your top 2"),
        (json!([{"var_name": "q1", "ranking": [0, 1, 2]}]), "rank your top 2"),
        (json!([{"var_name": "q1", "ranking": [0, 4]}]), "items 0 to 3"),
        (json!([{"var_name": "q1", "ranking": [2, 2]}]), "ranked twice"),
        (json!([{"var_name": "q1"}]), "answered with ranking"),
        (json!([{"var_name": "q1", "response_index": 1}]), "not an answer"),
    ];
    for (answers, says) in bad {
        let (status, body) = vote(&app, &slug, "bad-rank-token", answers.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answers}: {body}");
        assert!(body["error"]["field"].as_str().unwrap().starts_with("answers[0]."), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(says), "{answers}: {body}");
    }
    for (i, order) in [[2, 0], [2, 1], [0, 2]].iter().enumerate() {
        let (status, body) =
            vote(&app, &slug, &format!("rank-token-{i}"), json!([{"var_name": "q1", "ranking": order}])).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    current(1, true).await;
    for (i, order) in [[1, 0, 2], [0, 1, 2]].iter().enumerate() {
        let (status, body) =
            vote(&app, &slug, &format!("rank-token-{i}"), json!([{"var_name": "q2", "ranking": order}])).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let public = || async { send(&app, Method::GET, &format!("/api/polls/{slug}/results"), None, None).await.1 };
    let results = public().await;
    assert_eq!(results["questions"][0]["room_order"], json!([2, 0, 1, 3]));
    assert_eq!(results["questions"][0]["items"][3]["unranked"], 3);
    assert_eq!(results["questions"][1]["nation"], Value::Null, "withheld while it takes answers: {results}");
    let (_, staff_results) =
        send(&app, Method::GET, &format!("/api/admin/polls/{id}/results"), Some(&staff.analyst), None).await;
    assert_eq!(staff_results["questions"][1]["nation"]["items"].as_array().unwrap().len(), 3, "staff see it");
    current(1, false).await;
    let results = public().await;
    assert_eq!(results["questions"][1]["nation"]["wave"], 23, "{results}");
    // The room: 0 and 1 tie (mean rank 1.5, Borda 5), then 2; the nation: equal rights (62%),
    // judicial independence (51%), free speech (43%).
    assert_eq!(results["questions"][1]["room_order"], json!([0, 1, 2]));
    assert_eq!(results["questions"][1]["nation"]["nation_order"], json!([2, 0, 1]));
    assert_eq!(results["questions"][1]["nation"]["differs_most"], 2);

    let csv = responses_csv(&app, &staff.analyst, id).await;
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "respondent_id,submitted_at,q1_1,q1_2,q1_3,q1_4,q2_1,q2_2,q2_3");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').skip(2).collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["2", "", "1", "", "2", "1", "3"],
            vec!["", "2", "1", "", "1", "2", "3"],
            vec!["1", "", "2", "", "", "", ""],
        ]
    );
}

#[tokio::test]
async fn a_bad_ranking_question_is_a_422_naming_its_field() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let imp = json!(["imp_judicial_ind", "imp_free_speech", "imp_equal_rights"]);
    let cases = [
        (json!({"kind": "ranking", "options": ["a", "b", "c"]}), "questions[0].text"),
        (json!({"kind": "ranking", "text": "x"}), "questions[0].options"),
        (json!({"kind": "ranking", "text": "x", "options": ["a", "b"]}), "questions[0].options"),
        (
            json!({"kind": "ranking", "text": "x", "options": (0..11).map(|i| i.to_string()).collect::<Vec<_>>()}),
            "questions[0].options",
        ),
        (json!({"kind": "ranking", "text": "x", "options": ["a", "b", "A"]}), "questions[0].options[2]"),
        (json!({"kind": "ranking", "text": "x", "options": ["a", "b", "c"], "top_k": 1}), "questions[0].top_k"),
        (json!({"kind": "ranking", "text": "x", "options": ["a", "b", "c"], "top_k": 4}), "questions[0].top_k"),
        (json!({"kind": "ranking", "text": "x", "options": ["a", "b", "c"], "wave": 23}), "questions[0].wave"),
        (
            json!({"kind": "ranking", "text": "x", "options": ["a", "b", "c"], "item_var_names": imp}),
            "questions[0].item_var_names",
        ),
        (
            json!({"kind": "ranking", "text": "x", "item_var_names": ["imp_judicial_ind", "imp_free_speech", "perf_judicial_ind"]}),
            "questions[0].item_var_names[2]",
        ),
        (
            json!({"kind": "ranking", "text": "x", "item_var_names": ["imp_judicial_ind", "imp_free_speech", "imp_judicial_ind"]}),
            "questions[0].item_var_names[2]",
        ),
        (
            json!({"kind": "ranking", "text": "x", "item_var_names": ["imp_judicial_ind", "nope", "imp_free_speech"]}),
            "questions[0].item_var_names[1]",
        ),
        (
            json!({"kind": "ranking", "text": "x", "item_var_names": imp, "response_indices": [0, 1, 2, 3]}),
            "questions[0].response_indices",
        ),
        (
            json!({"kind": "ranking", "text": "x", "item_var_names": imp, "response_indices": [7]}),
            "questions[0].response_indices",
        ),
        (json!({"kind": "ranking", "text": "x", "item_var_names": imp, "wave": 999}), "questions[0].wave"),
        (
            json!({"kind": "ranking", "text": "x", "options": ["a", "b", "c"], "max_choices": 2}),
            "questions[0].max_choices",
        ),
    ];
    for (question, field) in cases {
        let poll = json!({"title": "Bad", "questions": [question]});
        let (status, body) = send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(poll)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{question}: {body}");
        assert_eq!(body["error"]["field"], field, "{question}: {body}");
    }
    let split = json!({"title": "Bad", "split_by": "q1", "questions": [
        {"kind": "ranking", "text": "x", "options": ["a", "b", "c"]}
    ]});
    let (status, body) = send(&app, Method::POST, "/api/admin/polls", Some(&staff.admin), Some(split)).await;
    assert_eq!((status, body["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("split_by")));
}
