//! The handout's pages (A4, in points): a title page with the methods box, then each question
//! with its slide and its numbers. Drawn as SVG; `render::pdf` keeps the text as text.

use super::PollReport;
use super::fonts::{Weight, wrap};
use super::slide::{self, HEIGHT as SLIDE_HEIGHT, WIDTH as SLIDE_WIDTH};
use super::svg::{Anchor, INK, MUTED, RULE, Svg, integer, percent_interval, percent1, points1};
use crate::polls::model::room_vs_nation::Verdict;
use crate::polls::model::{OfferedResponse, PollQuestionResults, QuestionResults, Tally};

pub(crate) const PAGE_WIDTH: f32 = 595.0;
pub(crate) const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 48.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BOTTOM: f32 = PAGE_HEIGHT - 56.0;
const BODY: f32 = 9.5;
const LEADING: f32 = 13.0;
/// Open answers listed at most per question.
const LISTED_ANSWERS: usize = 50;
/// Words listed at most per question.
const LISTED_WORDS: usize = 40;

/// Pages being written: a new one starts where the current one is full.
struct Pages {
    done: Vec<Svg>,
    page: Svg,
    y: f32,
    footer: String,
}

impl Pages {
    fn new(footer: String) -> Self {
        Self { done: Vec::new(), page: Svg::default(), y: MARGIN + 10.0, footer }
    }

    fn finish_page(&mut self) {
        let number = self.done.len() + 1;
        let mut page = std::mem::take(&mut self.page);
        page.line((MARGIN, PAGE_HEIGHT - 40.0), (PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 40.0), RULE, 0.5);
        let foot = wrap(&self.footer, 8.0, Weight::Regular, TEXT_WIDTH - 60.0, 1);
        page.lines((MARGIN, PAGE_HEIGHT - 28.0), 8.0, 10.0, (Weight::Regular, MUTED, Anchor::Start), &foot);
        page.text(
            (PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 28.0),
            8.0,
            (Weight::Regular, MUTED, Anchor::End),
            &format!("Page {number}"),
        );
        self.done.push(page);
        self.y = MARGIN + 10.0;
    }

    /// Room for `height` more on this page, or a new page.
    fn room_for(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN + 10.0 {
            self.finish_page();
        }
    }

    /// A wrapped paragraph.
    fn paragraph(&mut self, text: &str, size: f32, weight: Weight, colour: &str) {
        let lines = wrap(text, size, weight, TEXT_WIDTH, 60);
        let leading = size * 1.35;
        for line in lines {
            self.room_for(leading);
            self.page.text((MARGIN, self.y + size), size, (weight, colour, Anchor::Start), &line);
            self.y += leading;
        }
    }

    fn space(&mut self, height: f32) {
        self.y += height;
    }

    /// A table: the first column wraps, the others are right-aligned at their column's end; the
    /// header repeats on a new page.
    fn table(&mut self, table: &Table) {
        let widths: Vec<f32> = table.columns.iter().map(|(_, width)| *width).collect();
        let first = TEXT_WIDTH - widths.iter().sum::<f32>();
        let draw_header = |pages: &mut Self| {
            pages.room_for(LEADING * 2.0);
            let mut x = MARGIN + first;
            pages.page.text((MARGIN, pages.y + BODY), BODY, (Weight::Bold, INK, Anchor::Start), &table.first);
            for (name, width) in &table.columns {
                x += width;
                pages.page.text((x, pages.y + BODY), BODY, (Weight::Bold, INK, Anchor::End), name);
            }
            pages.y += LEADING;
            pages.page.line((MARGIN, pages.y - 2.0), (PAGE_WIDTH - MARGIN, pages.y - 2.0), RULE, 0.5);
            pages.y += 2.0;
        };
        draw_header(self);
        for row in &table.rows {
            let label = wrap(&row[0], BODY, Weight::Regular, first - 8.0, 4);
            let height = label.len().max(1) as f32 * LEADING;
            if self.y + height > BOTTOM {
                self.finish_page();
                draw_header(self);
            }
            self.page.lines((MARGIN, self.y + BODY), BODY, LEADING, (Weight::Regular, INK, Anchor::Start), &label);
            let mut x = MARGIN + first;
            for (cell, width) in row[1..].iter().zip(&widths) {
                x += width;
                self.page.text((x, self.y + BODY), BODY, (Weight::Regular, INK, Anchor::End), cell);
            }
            self.y += height;
        }
        self.space(6.0);
    }

    fn into_pages(mut self) -> Vec<Svg> {
        self.finish_page();
        self.done
    }
}

/// A table of numbers: the first column's header, the other columns' headers and widths, rows.
struct Table {
    first: String,
    columns: Vec<(String, f32)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(first: &str, columns: &[(&str, f32)]) -> Self {
        Self {
            first: first.to_owned(),
            columns: columns.iter().map(|(name, width)| ((*name).to_owned(), *width)).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

fn optional_interval(low: Option<f64>, high: Option<f64>) -> String {
    low.zip(high).map_or_else(|| "–".to_owned(), |(l, h)| percent_interval(l, h))
}

fn u64_count(n: u64) -> String {
    integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Participants and share per offered response.
fn tally_table(first: &str, responses: &[OfferedResponse], tally: &Tally) -> Table {
    let mut table = Table::new(first, &[("Participants", 80.0), ("Share", 60.0)]);
    for (i, response) in responses.iter().enumerate() {
        table.row(vec![
            response.response.clone(),
            integer(tally.counts.get(i).copied().unwrap_or(0)),
            percent1(tally.shares.get(i).copied().unwrap_or(0.0)),
        ]);
    }
    table
}

/// The numbers behind a question's slide, to the tenth of a percent.
fn numbers(question: &QuestionResults) -> Vec<Table> {
    match question {
        QuestionResults::Catalog(r) => {
            let mut table = Table::new(
                "Response",
                &[
                    ("Room n", 44.0),
                    ("Room", 50.0),
                    ("US adults", 62.0),
                    ("95% CI", 76.0),
                    ("Difference (95% CI)", 110.0),
                ],
            );
            for (i, response) in r.responses.iter().enumerate() {
                let comparison = r.room_vs_nation.as_ref().and_then(|c| c.overall.responses.get(i));
                let national =
                    r.national.as_ref().and_then(|n| n.shares.get(i)).map_or_else(|| "–".to_owned(), |s| percent1(*s));
                let interval =
                    comparison.map_or_else(|| "–".to_owned(), |c| optional_interval(c.nation.ci_low, c.nation.ci_high));
                let difference =
                    comparison.and_then(|c| Some((c.difference?, c.ci_low?, c.ci_high?, c.verdict))).map_or_else(
                        || "–".to_owned(),
                        |(d, l, h, verdict)| {
                            let mark = if verdict == Verdict::Real { " *" } else { "" };
                            format!("{} ({} to {}){mark}", points1(d), points1(l), points1(h))
                        },
                    );
                table.row(vec![
                    response.response.clone(),
                    integer(r.overall.counts.get(i).copied().unwrap_or(0)),
                    percent1(r.overall.shares.get(i).copied().unwrap_or(0.0)),
                    national,
                    interval,
                    difference,
                ]);
            }
            let mut tables = vec![table];
            if let Some(reweighted) = r.room_vs_nation.as_ref().and_then(|c| c.reweighted.as_ref()) {
                let mut table = Table::new(
                    "Room reweighted to the nation's groups",
                    &[("Room", 60.0), ("US adults", 60.0), ("Difference (95% CI)", 120.0)],
                );
                for c in &reweighted.comparison.responses {
                    table.row(vec![
                        c.response.clone(),
                        c.room.map_or_else(|| "–".to_owned(), percent1),
                        percent1(c.nation.p),
                        c.difference.zip(c.ci_low.zip(c.ci_high)).map_or_else(
                            || "–".to_owned(),
                            |(d, (l, h))| format!("{} ({} to {})", points1(d), points1(l), points1(h)),
                        ),
                    ]);
                }
                tables.push(table);
            }
            tables
        }
        QuestionResults::Choice(r) => vec![tally_table("Option", &r.responses, &r.overall)],
        QuestionResults::Scale(r) => {
            let mut table = tally_table("Point", &r.responses, &r.overall);
            if let Some(mean) = &r.mean {
                let interval =
                    mean.ci_low.zip(mean.ci_high).map_or_else(|| "–".to_owned(), |(l, h)| format!("{l:.2}–{h:.2}"));
                table.row(vec![format!("Mean (95% CI {interval})"), integer(mean.n), format!("{:.2}", mean.mean)]);
            }
            vec![table]
        }
        QuestionResults::Words(r) => {
            let mut table = Table::new("Word", &[("Participants", 80.0)]);
            for word in r.words.iter().take(LISTED_WORDS) {
                table.row(vec![word.word.clone(), integer(word.count)]);
            }
            vec![table]
        }
        QuestionResults::Open(r) => {
            let mut table = Table::new("Approved answers, newest first", &[]);
            for answer in r.answers.iter().take(LISTED_ANSWERS) {
                table.row(vec![answer.text.clone()]);
            }
            vec![table]
        }
        QuestionResults::Ranking(r) => {
            let mut table = Table::new(
                "Item (room's order)",
                &[("Mean rank", 56.0), ("95% CI", 76.0), ("Borda", 50.0), ("Nation's place", 76.0)],
            );
            for index in &r.room_order {
                let Some(item) = r.items.iter().find(|i| i.index == *index) else { continue };
                let nation = r.nation.as_ref().and_then(|n| n.items.iter().find(|i| i.index == item.index));
                table.row(vec![
                    item.label.clone(),
                    item.mean_rank.as_ref().map_or_else(|| "–".to_owned(), |m| format!("{:.2}", m.mean)),
                    item.mean_rank
                        .as_ref()
                        .and_then(|m| m.ci_low.zip(m.ci_high))
                        .map_or_else(|| "–".to_owned(), |(l, h)| format!("{l:.2}–{h:.2}")),
                    integer(item.borda),
                    nation.map_or_else(|| "–".to_owned(), |n| format!("#{} ({})", n.nation_place, percent1(n.share.p))),
                ]);
            }
            vec![table]
        }
        QuestionResults::Predict(r) => {
            let mut table = Table::new("", &[("n", 50.0), ("Estimate", 60.0), ("95% CI", 90.0)]);
            if let Some(mean) = &r.mean {
                table.row(vec![
                    "The room's mean guess".to_owned(),
                    integer(mean.n),
                    format!("{:.1}%", mean.mean),
                    mean.ci_low.zip(mean.ci_high).map_or_else(|| "–".to_owned(), |(l, h)| format!("{l:.1}–{h:.1}%")),
                ]);
            }
            if let Some(nation) = &r.nation {
                table.row(vec![
                    format!("The nation ({})", r.target.group.as_deref().unwrap_or("US adults")),
                    u64_count(nation.n),
                    percent1(nation.share.p),
                    optional_interval(nation.share.ci_low, nation.share.ci_high),
                ]);
            }
            if let Some(gap) = &r.gap {
                table.row(vec![
                    "Perception gap (points)".to_owned(),
                    String::new(),
                    format!("{:+.1}", gap.difference),
                    gap.ci_low.zip(gap.ci_high).map_or_else(|| "–".to_owned(), |(l, h)| format!("{l:+.1} to {h:+.1}")),
                ]);
            }
            for group in &r.groups {
                table.row(vec![
                    format!("{}: mean guess", group.group),
                    integer(group.mean.n),
                    format!("{:.1}%", group.mean.mean),
                    group
                        .mean
                        .ci_low
                        .zip(group.mean.ci_high)
                        .map_or_else(|| "–".to_owned(), |(l, h)| format!("{l:.1}–{h:.1}%")),
                ]);
            }
            vec![table]
        }
    }
}

/// Every page of the handout.
pub(super) fn pages(report: &PollReport) -> Vec<Svg> {
    let mut pages = Pages::new(format!("{} · {} · Bright Line Watch", report.title, report.as_of_text()));
    pages.paragraph("Bright Line Watch · live poll report", 10.0, Weight::Bold, MUTED);
    pages.space(4.0);
    pages.paragraph(&report.title, 22.0, Weight::Bold, INK);
    pages.space(6.0);
    if let Some(opened) = report.first_opened {
        pages.paragraph(
            &format!("Talk: poll first opened on {}", opened.format("%-d %B %Y at %H:%M UTC")),
            10.0,
            Weight::Regular,
            INK,
        );
    }
    pages.paragraph(&report.as_of_text(), 10.0, Weight::Regular, INK);
    pages.paragraph(
        &format!("{} participants · {} questions", integer(report.results.respondents), report.results.questions.len()),
        10.0,
        Weight::Regular,
        INK,
    );
    pages.space(16.0);

    // The methods box: a frame drawn around the paragraphs once their height is known.
    let top = pages.y;
    pages.paragraph("Methods", 12.0, Weight::Bold, INK);
    pages.space(2.0);
    for paragraph in &report.methods {
        pages.paragraph(paragraph, BODY, Weight::Regular, INK);
        pages.space(4.0);
    }
    if pages.done.is_empty() {
        pages.page.frame((MARGIN - 10.0, top - 8.0), (TEXT_WIDTH + 20.0, pages.y - top + 8.0), RULE);
    }

    let footer = report.footer();
    let count = report.results.questions.len();
    let scale = TEXT_WIDTH / SLIDE_WIDTH;
    for (position, question) in report.results.questions.iter().enumerate() {
        pages.finish_page();
        pages.paragraph(&format!("Question {} of {count}", position + 1), 9.0, Weight::Bold, MUTED);
        pages.space(4.0);
        let slide = slide::slide(question, &footer);
        pages.page.place((MARGIN, pages.y), scale, &slide);
        pages.page.frame((MARGIN, pages.y), (TEXT_WIDTH, SLIDE_HEIGHT * scale), RULE);
        pages.space(SLIDE_HEIGHT * scale + 16.0);
        match question {
            PollQuestionResults::Shown(shown) => {
                for table in numbers(shown) {
                    pages.table(&table);
                }
                if matches!(shown.as_ref(), QuestionResults::Catalog(c) if c.room_vs_nation.is_some()) {
                    pages.paragraph(
                        "* a real difference: p < 0.05 with at least 30 answers in the room. Differences in percentage points.",
                        8.0,
                        Weight::Regular,
                        MUTED,
                    );
                }
            }
            PollQuestionResults::Hidden(hidden) => pages.paragraph(
                &format!("Results not revealed during the talk; {} participants answered.", integer(hidden.answered)),
                BODY,
                Weight::Regular,
                INK,
            ),
        }
    }
    pages.into_pages()
}
