//! How a poll's room compares with the nation, for each question the BLW survey asked (latest wave
//! that asked it):
//!
//! - The nation: the weighted share of each offered response among all valid answers, with the
//!   survey endpoints' SE and 95% CI (R `survey`: `svymean`, `svyciprop(method = "logit")`).
//! - The room: the share of participants who chose it, `p = count / n`.
//! - The difference `d = p_room − p_nation`, `se = sqrt(p_room(1 − p_room)/n_room + se_nation²)`
//!   (the room as a simple random sample, independent of the survey), 95% CI `d ± z₀.₉₇₅·se`,
//!   two-sided p-value `2·(1 − Φ(|d|/se))` (normal approximation).
//! - A difference is called real only when `p < 0.05` and the room has at least 30 answers.
//! - Matched groups: with a poll split by `pid3` (or `ideo7`), each group of the room against the
//!   same group of the nation (for every question but the split question itself).
//! - Reweighted room: with such a split, each participant in group `g` weighted `π_g / r_g`, where
//!   `π_g` is the nation's (weighted) share of group `g` among respondents in one of the groups, in
//!   the latest wave that asked the split question, and `r_g` the room's share of it among its
//!   participants in one of the groups. Participants in no group are left out (and counted).
//!   Groups absent from the room are left out and the others' `π` rescaled to sum to 1. The
//!   reweighted share is `Σ_g π_g·p_g`, and Kish's effective n = `(Σw)²/Σw² = 1/Σ_g(π_g²/n_g)`;
//!   its comparison with the nation uses `n_eff` in place of `n_room`.

use statrs::function::erf::erfc;

use crate::polls::model::room_vs_nation::{
    Comparison, GroupComparison, GroupMix, GroupWeight, NationalCell, NationalReference, ResponseComparison,
    ReweightedRoom, RoomVsNation, Verdict,
};
use crate::polls::model::{GroupTally, Tally};
use crate::surveys::weighted_proportions::Share;

/// Below this many answers a room is not compared.
pub(crate) const MIN_ROOM_ANSWERS: i64 = 30;
/// z for a two-sided 95% interval.
const Z_975: f64 = 1.959_963_984_540_054;

/// `room − nation` for one response. `n_room` decides the verdict; `n_variance` is the n in the
/// room's variance (n_eff for a reweighted room).
pub(crate) fn compare(
    response: &str,
    room: Option<f64>,
    n_room: i64,
    n_variance: f64,
    nation: Share,
) -> ResponseComparison {
    let unset = ResponseComparison {
        response: response.to_owned(),
        room,
        nation,
        difference: None,
        se: None,
        ci_low: None,
        ci_high: None,
        p_value: None,
        verdict: Verdict::TooFewAnswers,
    };
    let Some(p) = room.filter(|_| n_room > 0 && n_variance > 0.0) else { return unset };
    let difference = p - nation.p;
    let se = (p * (1.0 - p) / n_variance + nation.se.unwrap_or(0.0).powi(2)).sqrt();
    // 2·Φ(−|z|) = erfc(|z|/√2).
    let p_value = (se > 0.0).then(|| erfc((difference / se).abs() / std::f64::consts::SQRT_2));
    let verdict = match p_value {
        _ if n_room < MIN_ROOM_ANSWERS => Verdict::TooFewAnswers,
        Some(p) if p < 0.05 => Verdict::Real,
        _ => Verdict::NotSignificant,
    };
    ResponseComparison {
        difference: Some(difference),
        se: Some(se),
        ci_low: Some(difference - Z_975 * se),
        ci_high: Some(difference + Z_975 * se),
        p_value,
        verdict,
        ..unset
    }
}

fn comparison(labels: &[String], tally: &Tally, nation: &NationalCell) -> Comparison {
    let responses = labels
        .iter()
        .zip(&nation.shares)
        .enumerate()
        .map(|(k, (label, share))| {
            let room = (tally.n > 0).then(|| tally.shares[k]);
            compare(label, room, tally.n, tally.n as f64, *share)
        })
        .collect();
    Comparison { n_room: tally.n, n_nation: nation.n, responses }
}

fn reweighted(
    labels: &[String],
    overall: &Tally,
    groups: &[GroupTally],
    mix: &GroupMix,
    nation: &NationalCell,
) -> ReweightedRoom {
    let present: Vec<(usize, &GroupTally)> = groups.iter().enumerate().filter(|(_, g)| g.tally.n > 0).collect();
    let in_groups: i64 = present.iter().map(|(_, g)| g.tally.n).sum();
    let mix_total: f64 = present.iter().map(|&(g, _)| mix.shares.get(g).copied().unwrap_or(0.0)).sum();
    // π rescaled over the groups the room has.
    let pi = |g: usize| if mix_total > 0.0 { mix.shares.get(g).copied().unwrap_or(0.0) / mix_total } else { 0.0 };
    let n_eff = {
        let inverse: f64 = present.iter().map(|&(g, t)| pi(g).powi(2) / t.tally.n as f64).sum();
        if inverse > 0.0 { 1.0 / inverse } else { 0.0 }
    };
    let responses = labels
        .iter()
        .zip(&nation.shares)
        .enumerate()
        .map(|(k, (label, share))| {
            let room = (in_groups > 0 && mix_total > 0.0)
                .then(|| present.iter().map(|&(g, t)| pi(g) * t.tally.shares[k]).sum::<f64>());
            compare(label, room, in_groups, n_eff, *share)
        })
        .collect();
    ReweightedRoom {
        mix_wave: mix.wave,
        mix: present
            .iter()
            .map(|&(g, t)| GroupWeight {
                group: t.group.clone(),
                nation: pi(g),
                room: t.tally.n as f64 / in_groups as f64,
            })
            .collect(),
        left_out: overall.n - in_groups,
        n_eff,
        comparison: Comparison { n_room: in_groups, n_nation: nation.n, responses },
    }
}

/// The room against the nation for one question: `labels` of the offered responses, the room's
/// tallies overall and per group of the split.
pub(crate) fn room_vs_nation(
    reference: &NationalReference,
    labels: &[String],
    overall: &Tally,
    groups: &[GroupTally],
) -> RoomVsNation {
    let matched = groups.len() == reference.groups.len() && !groups.is_empty();
    RoomVsNation {
        wave: reference.wave,
        overall: comparison(labels, overall, &reference.everyone),
        groups: if matched {
            groups
                .iter()
                .zip(&reference.groups)
                .map(|(g, nation)| GroupComparison {
                    group: g.group.clone(),
                    comparison: comparison(labels, &g.tally, nation),
                })
                .collect()
        } else {
            Vec::new()
        },
        reweighted: reference
            .group_mix
            .as_ref()
            .filter(|_| matched)
            .map(|mix| reweighted(labels, overall, groups, mix, &reference.everyone)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by `api/tests/fixtures/room-vs-nation.py` (Python's own normal distribution, not
    /// this code): inputs and expected outputs.
    const FIXTURE: &str = include_str!("../../../tests/fixtures/room-vs-nation.json");

    fn tally(counts: &[i64]) -> Tally {
        let n: i64 = counts.iter().sum();
        Tally {
            n,
            counts: counts.to_vec(),
            shares: counts.iter().map(|&c| if n > 0 { c as f64 / n as f64 } else { 0.0 }).collect(),
        }
    }

    fn share(value: &serde_json::Value) -> Share {
        Share {
            p: value["p"].as_f64().unwrap(),
            se: value["se"].as_f64(),
            ci_low: value["ci_low"].as_f64(),
            ci_high: value["ci_high"].as_f64(),
        }
    }

    fn close(label: &str, ours: Option<f64>, expected: &serde_json::Value) {
        match (ours, expected.as_f64()) {
            // statrs's erfc is good to ~1e-11 (Python's, checked with mpmath, to ~1e-16).
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-10, "{label}: ours {a}, expected {b}"),
            (a, b) => assert_eq!(a, b, "{label}"),
        }
    }

    fn check(label: &str, ours: &Comparison, expected: &serde_json::Value) {
        assert_eq!(ours.n_room, expected["n_room"].as_i64().unwrap(), "{label}");
        for (k, (r, e)) in ours.responses.iter().zip(expected["responses"].as_array().unwrap()).enumerate() {
            let what = format!("{label} response {k}");
            for (field, value) in [
                ("room", r.room),
                ("difference", r.difference),
                ("se", r.se),
                ("ci_low", r.ci_low),
                ("ci_high", r.ci_high),
                ("p_value", r.p_value),
            ] {
                close(&format!("{what} {field}"), value, &e[field]);
            }
            assert_eq!(serde_json::to_value(r.verdict).unwrap(), e["verdict"], "{what}");
        }
    }

    #[test]
    fn comparisons_match_an_independent_computation() {
        let cases: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
        for case in cases.as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let input = &case["input"];
            let labels: Vec<String> =
                input["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
            let cell = |v: &serde_json::Value| NationalCell {
                n: v["n"].as_u64().unwrap(),
                shares: v["shares"].as_array().unwrap().iter().map(share).collect(),
            };
            let group_names: Vec<String> =
                input["group_names"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_owned()).collect();
            let counts = |v: &serde_json::Value| -> Vec<i64> {
                v.as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect()
            };
            let groups: Vec<GroupTally> = group_names
                .iter()
                .zip(input["room_groups"].as_array().unwrap())
                .map(|(name, c)| GroupTally { group: name.clone(), tally: tally(&counts(c)) })
                .collect();
            let reference = NationalReference {
                wave: 23,
                everyone: cell(&input["nation"]),
                groups: input["nation_groups"].as_array().unwrap().iter().map(cell).collect(),
                group_mix: Some(GroupMix {
                    wave: 23,
                    shares: input["mix"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect(),
                }),
            };
            let ours = room_vs_nation(&reference, &labels, &tally(&counts(&input["room"])), &groups);
            let expected = &case["expected"];
            check(&format!("{name} overall"), &ours.overall, &expected["overall"]);
            for (g, e) in ours.groups.iter().zip(expected["groups"].as_array().unwrap()) {
                check(&format!("{name} {}", g.group), &g.comparison, e);
            }
            let reweighted = ours.reweighted.as_ref().unwrap();
            let e = &expected["reweighted"];
            check(&format!("{name} reweighted"), &reweighted.comparison, e);
            close(&format!("{name} n_eff"), Some(reweighted.n_eff), &e["n_eff"]);
            assert_eq!(reweighted.left_out, e["left_out"].as_i64().unwrap(), "{name}");
        }
    }
}
