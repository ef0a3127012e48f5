//! One question's 16:9 slide (1920 × 1080), as the projector showed it: the question, who
//! answered, and its chart — the room beside the nation with the nation's 95% intervals for a
//! catalog question, a ranking's mean ranks, a guess against the survey's estimate, the most
//! frequent words, approved open answers.

use super::fonts::{Weight, text_width, wrap};
use super::svg::{Anchor, INK, MUTED, NATION, ROOM, RULE, Svg, TRACK, integer, percent_interval, percent0, points1};
use crate::polls::model::room_vs_nation::Verdict;
use crate::polls::model::{
    CatalogResults, ChoiceResults, HiddenQuestionResults, OpenResults, PollQuestionResults, PredictResults,
    QuestionResults, RankingResults, ScaleResults, WordsResults,
};

pub(crate) const WIDTH: f32 = 1920.0;
pub(crate) const HEIGHT: f32 = 1080.0;
const MARGIN: f32 = 90.0;
const LABEL_WIDTH: f32 = 500.0;
/// The narrowest captions' column: bars of different slides line up when captions are short.
const MIN_CAPTION_WIDTH: f32 = 220.0;
/// Words shown at most: a slide's rows stay readable from the back of the room.
const SHOWN_WORDS: usize = 12;
const SHOWN_OPEN_ANSWERS: usize = 6;

/// What every slide of a report says at its foot.
#[derive(Debug, Clone)]
pub(crate) struct SlideFooter {
    pub poll_title: String,
    /// When the report's results were taken, as people read it.
    pub as_of: String,
}

/// Where a mark sits on its row's axis.
#[derive(Debug, Clone, Copy)]
enum Mark {
    /// A bar from the axis's start to the value.
    Bar,
    /// A dot at the value (a mean rank: the axis has no natural zero).
    Dot,
}

/// One mark of a row: a value, perhaps its 95% interval, and what is printed beside it.
#[derive(Debug, Clone)]
struct Measure {
    value: f64,
    interval: Option<(f64, f64)>,
    colour: &'static str,
    caption: String,
}

#[derive(Debug, Clone)]
struct Row {
    label: String,
    measures: Vec<Measure>,
}

/// Rows of marks on one axis from `axis.0` to `axis.1`.
struct RowChart {
    rows: Vec<Row>,
    axis: (f64, f64),
    mark: Mark,
    /// (colour, name) of each measure, shown above the rows when there is more than one.
    legend: Vec<(&'static str, String)>,
}

/// The slide of one question: its results, or a notice that they were never revealed.
pub(crate) fn slide(question: &PollQuestionResults, footer: &SlideFooter) -> Svg {
    let mut svg = Svg::default();
    let (text, subtitle, body): (&str, Vec<String>, Body) = match question {
        PollQuestionResults::Hidden(hidden) => (&hidden.text, Vec::new(), Body::NotRevealed(hidden)),
        PollQuestionResults::Shown(shown) => match shown.as_ref() {
            QuestionResults::Catalog(r) => (&r.head.text, catalog_subtitle(r), Body::Chart(catalog_chart(r))),
            QuestionResults::Choice(r) => (&r.head.text, choice_subtitle(r), Body::Chart(choice_chart(r))),
            QuestionResults::Scale(r) => (&r.head.text, scale_subtitle(r), Body::Chart(scale_chart(r))),
            QuestionResults::Words(r) => (&r.head.text, words_subtitle(r), Body::Chart(words_chart(r))),
            QuestionResults::Open(r) => (&r.head.text, open_subtitle(r), Body::Answers(r)),
            QuestionResults::Ranking(r) => (&r.head.text, ranking_subtitle(r), Body::Chart(ranking_chart(r))),
            QuestionResults::Predict(r) => (&r.head.text, predict_subtitle(r), Body::Chart(predict_chart(r))),
        },
    };
    let heading = wrap(text, 46.0, Weight::Bold, WIDTH - 2.0 * MARGIN, 3);
    let mut y = svg.lines((MARGIN, 120.0), 46.0, 58.0, (Weight::Bold, INK, Anchor::Start), &heading);
    for line in &subtitle {
        let lines = wrap(line, 28.0, Weight::Regular, WIDTH - 2.0 * MARGIN, 2);
        y = svg.lines((MARGIN, y + 4.0), 28.0, 38.0, (Weight::Regular, MUTED, Anchor::Start), &lines);
    }
    let area = (y + 30.0, HEIGHT - 120.0);
    match body {
        Body::Chart(chart) => draw_rows(&mut svg, &chart, area),
        Body::Answers(open) => draw_answers(&mut svg, open, area),
        Body::NotRevealed(hidden) => {
            let middle = f32::midpoint(area.0, area.1);
            let style = (Weight::Bold, MUTED, Anchor::Middle);
            svg.text((WIDTH / 2.0, middle), 44.0, style, "Results not revealed during the talk");
            let answered = format!("{} answered", integer(hidden.answered));
            svg.text((WIDTH / 2.0, middle + 60.0), 32.0, (Weight::Regular, MUTED, Anchor::Middle), &answered);
        }
    }
    svg.line((MARGIN, HEIGHT - 90.0), (WIDTH - MARGIN, HEIGHT - 90.0), RULE, 2.0);
    let foot = wrap(&format!("{} · {}", footer.poll_title, footer.as_of), 24.0, Weight::Regular, 1300.0, 1);
    svg.lines((MARGIN, HEIGHT - 48.0), 24.0, 30.0, (Weight::Regular, MUTED, Anchor::Start), &foot);
    svg.text((WIDTH - MARGIN, HEIGHT - 48.0), 24.0, (Weight::Bold, MUTED, Anchor::End), "Bright Line Watch");
    svg
}

enum Body<'a> {
    Chart(RowChart),
    Answers(&'a OpenResults),
    NotRevealed(&'a HiddenQuestionResults),
}

fn share_caption(share: f64, count: i64) -> String {
    format!("{} ({})", percent0(share), integer(count))
}

fn interval_of(low: Option<f64>, high: Option<f64>) -> Option<(f64, f64)> {
    low.zip(high)
}

fn catalog_subtitle(r: &CatalogResults) -> Vec<String> {
    let mut lines = vec![match &r.national {
        Some(national) => format!(
            "This room: n = {} · US adults: BLW survey wave {} (weighted, n = {}), with 95% intervals",
            integer(r.overall.n),
            national.wave,
            integer(i64::try_from(national.n).unwrap_or(i64::MAX))
        ),
        None => {
            format!("This room: n = {} · the BLW survey has no national figure for this question", integer(r.overall.n))
        }
    }];
    if let Some(comparison) = &r.room_vs_nation {
        // The one sentence a presenter would say: the largest real difference, if any.
        let largest = comparison
            .overall
            .responses
            .iter()
            .filter(|c| c.verdict == Verdict::Real)
            .filter_map(|c| Some((c, c.difference?, c.ci_low?, c.ci_high?)))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
        lines.push(match largest {
            Some((c, difference, low, high)) => format!(
                "Largest real difference: “{}”, {} points (95% CI {} to {})",
                c.response,
                points1(difference),
                points1(low),
                points1(high)
            ),
            None if comparison.overall.n_room < 30 => {
                "Too few answers in the room to compare with the nation (under 30)".to_owned()
            }
            None => "No difference from the nation is statistically significant (p ≥ 0.05)".to_owned(),
        });
    }
    lines
}

fn catalog_chart(r: &CatalogResults) -> RowChart {
    let rows = r
        .responses
        .iter()
        .enumerate()
        .map(|(i, response)| {
            let mut measures = vec![Measure {
                value: r.overall.shares.get(i).copied().unwrap_or(0.0),
                interval: None,
                colour: ROOM,
                caption: share_caption(
                    r.overall.shares.get(i).copied().unwrap_or(0.0),
                    r.overall.counts.get(i).copied().unwrap_or(0),
                ),
            }];
            if let Some(national) = &r.national {
                let share = national.shares.get(i).copied().unwrap_or(0.0);
                let cell = r.room_vs_nation.as_ref().and_then(|c| c.overall.responses.get(i));
                let interval = cell.and_then(|c| interval_of(c.nation.ci_low, c.nation.ci_high));
                let caption = match interval {
                    Some((low, high)) => {
                        format!("{} ({}–{})", percent0(share), percent0(low).trim_end_matches('%'), percent0(high))
                    }
                    None => percent0(share),
                };
                measures.push(Measure { value: share, interval, colour: NATION, caption });
            }
            Row { label: response.response.clone(), measures }
        })
        .collect();
    let mut legend = vec![(ROOM, "This room".to_owned())];
    if let Some(national) = &r.national {
        legend.push((NATION, format!("US adults, wave {}", national.wave)));
    }
    RowChart { rows, axis: (0.0, 1.0), mark: Mark::Bar, legend }
}

fn choice_subtitle(r: &ChoiceResults) -> Vec<String> {
    let mut line = format!("n = {} participants", integer(r.overall.n));
    if r.max_choices > 1 {
        line.push_str(&format!(" · up to {} choices each: the shares add up to more than 100%", r.max_choices));
    }
    vec![line]
}

fn tally_rows(labels: impl Iterator<Item = String>, shares: &[f64], counts: &[i64]) -> Vec<Row> {
    labels
        .enumerate()
        .map(|(i, label)| {
            let (share, count) = (shares.get(i).copied().unwrap_or(0.0), counts.get(i).copied().unwrap_or(0));
            Row {
                label,
                measures: vec![Measure {
                    value: share,
                    interval: None,
                    colour: ROOM,
                    caption: share_caption(share, count),
                }],
            }
        })
        .collect()
}

fn choice_chart(r: &ChoiceResults) -> RowChart {
    let rows = tally_rows(r.responses.iter().map(|o| o.response.clone()), &r.overall.shares, &r.overall.counts);
    RowChart { rows, axis: (0.0, 1.0), mark: Mark::Bar, legend: Vec::new() }
}

fn scale_subtitle(r: &ScaleResults) -> Vec<String> {
    vec![match &r.mean {
        Some(mean) => match interval_of(mean.ci_low, mean.ci_high) {
            Some((low, high)) => format!("n = {} · mean {:.2} (95% CI {low:.2}–{high:.2})", integer(mean.n), mean.mean),
            None => format!("n = {} · mean {:.2}", integer(mean.n), mean.mean),
        },
        None => "No answers".to_owned(),
    }]
}

fn scale_chart(r: &ScaleResults) -> RowChart {
    let labels = r.responses.iter().map(|point| {
        if point.index == r.scale.min {
            format!("{} · {}", point.index, r.scale.min_label)
        } else if point.index == r.scale.max {
            format!("{} · {}", point.index, r.scale.max_label)
        } else {
            point.index.to_string()
        }
    });
    let rows = tally_rows(labels, &r.overall.shares, &r.overall.counts);
    RowChart { rows, axis: (0.0, 1.0), mark: Mark::Bar, legend: Vec::new() }
}

fn words_subtitle(r: &WordsResults) -> Vec<String> {
    let shown = r.words.len().min(SHOWN_WORDS);
    vec![format!(
        "{} participants gave {} answers · the {shown} most frequent words",
        integer(r.respondents),
        integer(r.answers)
    )]
}

fn words_chart(r: &WordsResults) -> RowChart {
    let most = r.words.first().map_or(1, |w| w.count.max(1));
    let rows = r
        .words
        .iter()
        .take(SHOWN_WORDS)
        .map(|w| Row {
            label: w.word.clone(),
            measures: vec![Measure {
                value: w.count as f64 / most as f64,
                interval: None,
                colour: ROOM,
                caption: integer(w.count),
            }],
        })
        .collect();
    RowChart { rows, axis: (0.0, 1.0), mark: Mark::Bar, legend: Vec::new() }
}

fn open_subtitle(r: &OpenResults) -> Vec<String> {
    let shown = r.answers.len().min(SHOWN_OPEN_ANSWERS);
    vec![format!(
        "{} participants answered · {} answers approved for the room · the latest {shown} shown",
        integer(r.respondents),
        integer(r.approved)
    )]
}

fn ranking_subtitle(r: &RankingResults) -> Vec<String> {
    let ranked = if i64::from(r.top_k) < r.items.len() as i64 {
        format!("top {} of {} items ranked", r.top_k, r.items.len())
    } else {
        format!("{} items ranked", r.items.len())
    };
    let mut lines = vec![format!(
        "n = {} · {ranked} · mean rank (1 = first) with its 95% interval, and Borda points",
        integer(r.respondents)
    )];
    if let Some(nation) = &r.nation {
        lines.push(format!(
            "The nation's place: by the weighted share answering {} (BLW survey wave {})",
            nation.responses.join(" or "),
            nation.wave
        ));
    }
    lines
}

fn ranking_chart(r: &RankingResults) -> RowChart {
    let rows = r
        .room_order
        .iter()
        .filter_map(|&index| r.items.iter().find(|item| item.index == index))
        .map(|item| {
            let nation_place = r
                .nation
                .as_ref()
                .and_then(|n| n.items.iter().find(|i| i.index == item.index))
                .map(|i| format!(" · nation #{}", i.nation_place))
                .unwrap_or_default();
            let measures = match &item.mean_rank {
                Some(mean) => vec![Measure {
                    value: mean.mean,
                    interval: interval_of(mean.ci_low, mean.ci_high),
                    colour: ROOM,
                    caption: format!("{:.2} · {} pts{nation_place}", mean.mean, integer(item.borda)),
                }],
                None => Vec::new(),
            };
            Row { label: item.label.clone(), measures }
        })
        .collect();
    let last = r.items.len().max(2) as f64;
    RowChart { rows, axis: (1.0, last), mark: Mark::Dot, legend: Vec::new() }
}

fn predict_subtitle(r: &PredictResults) -> Vec<String> {
    let who = r.target.group.as_deref().unwrap_or("US adults");
    // A question made from its target already says what was guessed.
    let mut lines = if r.target.text_generated {
        vec![format!("The nation's answer: BLW survey wave {}, weighted", r.target.wave)]
    } else {
        vec![format!(
            "Guessed: the share of {who} answering {} to “{}” (BLW survey wave {})",
            r.target.responses.join(" or "),
            r.target.question,
            r.target.wave
        )]
    };
    if let Some(gap) = &r.gap {
        let direction = if gap.difference >= 0.0 { "too high" } else { "too low" };
        lines.push(match interval_of(gap.ci_low, gap.ci_high) {
            Some((low, high)) => format!(
                "The room's mean guess is {:.1} points {direction} (95% CI {low:+.1} to {high:+.1})",
                gap.difference.abs()
            ),
            None => format!("The room's mean guess is {:.1} points {direction}", gap.difference.abs()),
        });
    }
    lines
}

fn predict_chart(r: &PredictResults) -> RowChart {
    let mut rows = Vec::new();
    if let Some(mean) = &r.mean {
        let interval = interval_of(mean.ci_low, mean.ci_high).map(|(l, h)| (l / 100.0, h / 100.0));
        let caption = match interval {
            Some((low, high)) => format!("{:.1}% ({})", mean.mean, percent_interval(low, high)),
            None => format!("{:.1}%", mean.mean),
        };
        let label = format!("The room's mean guess (n = {})", integer(mean.n));
        rows.push(Row { label, measures: vec![Measure { value: mean.mean / 100.0, interval, colour: ROOM, caption }] });
    }
    if let Some(nation) = &r.nation {
        let interval = interval_of(nation.share.ci_low, nation.share.ci_high);
        let caption = match interval {
            Some((low, high)) => format!("{:.1}% ({})", nation.share.p * 100.0, percent_interval(low, high)),
            None => format!("{:.1}%", nation.share.p * 100.0),
        };
        let label = format!("The nation (n = {})", integer(i64::try_from(nation.n).unwrap_or(i64::MAX)));
        rows.push(Row { label, measures: vec![Measure { value: nation.share.p, interval, colour: NATION, caption }] });
    }
    RowChart { rows, axis: (0.0, 1.0), mark: Mark::Bar, legend: Vec::new() }
}

/// Draws the rows between `top` and `bottom`: labels on the left, marks on a shared axis,
/// captions on the right.
fn draw_rows(svg: &mut Svg, chart: &RowChart, (mut top, bottom): (f32, f32)) {
    if chart.legend.len() > 1 {
        let mut x = MARGIN + LABEL_WIDTH;
        for (colour, name) in &chart.legend {
            svg.rect((x, top - 4.0), (28.0, 28.0), colour);
            svg.text((x + 40.0, top + 20.0), 28.0, (Weight::Regular, INK, Anchor::Start), name);
            x += 40.0 + text_width(name, 28.0, Weight::Regular) + 60.0;
        }
        top += 56.0;
    }
    if chart.rows.is_empty() {
        svg.text(
            (WIDTH / 2.0, f32::midpoint(top, bottom)),
            36.0,
            (Weight::Regular, MUTED, Anchor::Middle),
            "No answers",
        );
        return;
    }
    let row_height = ((bottom - top) / chart.rows.len() as f32).min(170.0);
    let measures = chart.rows.iter().map(|r| r.measures.len()).max().unwrap_or(1).max(1) as f32;
    let bar = ((row_height * 0.72) / measures).min(56.0);
    let text_size = (bar * 0.62).clamp(22.0, 30.0);
    // The captions' column is as wide as the widest caption: the axis takes the rest.
    let caption_width = chart
        .rows
        .iter()
        .flat_map(|r| &r.measures)
        .map(|m| text_width(&m.caption, text_size, Weight::Bold))
        .fold(MIN_CAPTION_WIDTH, f32::max)
        + 24.0;
    let left = MARGIN + LABEL_WIDTH;
    let right = (WIDTH - MARGIN - caption_width).max(left + 400.0);
    let span = (chart.axis.1 - chart.axis.0).max(f64::EPSILON);
    let at =
        |value: f64| left + ((value.clamp(chart.axis.0, chart.axis.1) - chart.axis.0) / span) as f32 * (right - left);
    for (k, row) in chart.rows.iter().enumerate() {
        let row_top = top + k as f32 * row_height;
        let middle = row_top + row_height / 2.0;
        let lines = wrap(&row.label, 30.0, Weight::Regular, LABEL_WIDTH - 30.0, 2);
        let first = middle - (lines.len() as f32 - 1.0) * 18.0 + 10.0;
        svg.lines((MARGIN, first), 30.0, 36.0, (Weight::Regular, INK, Anchor::Start), &lines);
        let block = bar * row.measures.len() as f32;
        for (j, measure) in row.measures.iter().enumerate() {
            let y = middle - block / 2.0 + j as f32 * bar;
            let (centre, end) = (y + bar / 2.0, at(measure.value));
            match chart.mark {
                Mark::Bar => {
                    svg.rect((left, y + 3.0), (right - left, bar - 6.0), TRACK);
                    svg.rect((left, y + 3.0), (end - left, bar - 6.0), measure.colour);
                }
                Mark::Dot => {
                    svg.line((left, centre), (right, centre), RULE, 2.0);
                    svg.circle((end, centre), (bar * 0.32).max(9.0), measure.colour);
                }
            }
            if let Some((low, high)) = measure.interval {
                // The interval as a whisker across the mark, dark so it shows on the bar too.
                svg.line((at(low), centre), (at(high), centre), INK, 3.0);
                svg.line((at(low), centre - bar * 0.3), (at(low), centre + bar * 0.3), INK, 3.0);
                svg.line((at(high), centre - bar * 0.3), (at(high), centre + bar * 0.3), INK, 3.0);
            }
            let caption = (right + 20.0, centre + text_size * 0.36);
            svg.text(caption, text_size, (Weight::Bold, measure.colour, Anchor::Start), &measure.caption);
        }
    }
    if let Mark::Dot = chart.mark {
        // A ranking's axis: its places.
        let last = chart.axis.1 as i64;
        let y = top + row_height * chart.rows.len() as f32 + 34.0;
        for place in 1..=last {
            svg.text(
                (at(place as f64), y.min(bottom + 30.0)),
                24.0,
                (Weight::Regular, MUTED, Anchor::Middle),
                &place.to_string(),
            );
        }
    }
}

/// An open question's approved answers, newest first, as quotes.
fn draw_answers(svg: &mut Svg, open: &OpenResults, (top, bottom): (f32, f32)) {
    if open.answers.is_empty() {
        svg.text(
            (WIDTH / 2.0, f32::midpoint(top, bottom)),
            36.0,
            (Weight::Regular, MUTED, Anchor::Middle),
            "No answers approved for the room",
        );
        return;
    }
    let mut y = top + 20.0;
    for answer in open.answers.iter().take(SHOWN_OPEN_ANSWERS) {
        let lines = wrap(&format!("“{}”", answer.text), 32.0, Weight::Regular, WIDTH - 2.0 * MARGIN - 40.0, 2);
        let height = lines.len() as f32 * 40.0 + 24.0;
        if y + height > bottom {
            break;
        }
        svg.rect((MARGIN, y - 6.0), (8.0, height - 12.0), ROOM);
        y = svg.lines((MARGIN + 36.0, y + 26.0), 32.0, 40.0, (Weight::Regular, INK, Anchor::Start), &lines) + 10.0;
    }
}
