//! The record after a talk: one 16:9 PNG per question (what the projector showed), a PDF
//! handout (each question's chart and numbers, and a methods box), and the responses CSV — in
//! one ZIP, or each on its own.
//!
//! Rendering: the slides and the handout's pages are SVG drawn here (`slide`, `handout`), in
//! the built-in DejaVu Sans (`fonts`). resvg rasterizes a slide to PNG; krilla writes the PDF,
//! with the pages' text as real text (searchable, selectable). Both are pure Rust, offline, and
//! read no system font, so a report is the same on a laptop and in the container image.

pub(crate) mod fonts;
mod handout;
mod methods;
mod render;
pub(crate) mod slide;
mod svg;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::polls::model::{PollQuestionResults, PollResults};
use crate::polls::repository::PollKey;
use crate::polls::results::{export, results_and_sources};
use crate::surveys::cache::SurveyCache;

/// Everything a report is drawn from, read once.
#[derive(Debug)]
pub(crate) struct PollReport {
    pub slug: String,
    pub title: String,
    /// When the results were read.
    pub as_of: DateTime<Utc>,
    /// When the poll first opened: the talk's day.
    pub first_opened: Option<DateTime<Utc>>,
    /// The results as the room sees them once the voting is over (hidden ones still hidden).
    pub results: PollResults,
    /// The methods box's paragraphs.
    pub methods: Vec<String>,
}

/// A file of the report.
#[derive(Debug)]
pub(crate) struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads the poll's results as final (what the public sees once the voting is over) and what
/// the methods box says.
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn gather(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    poll_id: i32,
) -> Result<PollReport, AppError> {
    let (staff, sources) = results_and_sources(db, surveys, PollKey::Id(poll_id)).await?;
    let staff = staff.into_final();
    let methods = methods::paragraphs(db, &sources, &staff).await?;
    let poll = sources.record.poll;
    Ok(PollReport {
        slug: poll.slug,
        title: poll.title,
        as_of: Utc::now(),
        first_opened: poll.first_opened_at.map(|at| at.with_timezone(&Utc)),
        results: staff.for_public(),
        methods,
    })
}

impl PollReport {
    /// "Results as of 7 December 2026, 21:40 UTC".
    pub(crate) fn as_of_text(&self) -> String {
        format!("Results as of {}", self.as_of.format("%-d %B %Y, %H:%M UTC"))
    }

    fn footer(&self) -> slide::SlideFooter {
        slide::SlideFooter { poll_title: self.title.clone(), as_of: self.as_of_text() }
    }

    /// The PNG file name of the question at `position` (`03-q3.png`): in the poll's order.
    fn slide_name(position: usize, question: &PollQuestionResults) -> String {
        let var_name = match question {
            PollQuestionResults::Shown(shown) => &shown.head().var_name,
            PollQuestionResults::Hidden(hidden) => &hidden.var_name,
        };
        format!("{:02}-{}.png", position + 1, var_name)
    }

    /// The slide of the question `var_name`, as PNG.
    ///
    /// # Errors
    /// No such question (404), a rendering failure.
    pub(crate) fn slide_png(&self, var_name: &str) -> Result<ReportFile, AppError> {
        let (position, question) = self
            .results
            .questions
            .iter()
            .enumerate()
            .find(|(_, q)| match q {
                PollQuestionResults::Shown(shown) => shown.head().var_name == var_name,
                PollQuestionResults::Hidden(hidden) => hidden.var_name == var_name,
            })
            .ok_or_else(|| AppError::NotFound(format!("no question '{var_name}' in poll '{}'", self.slug)))?;
        let svg = slide::slide(question, &self.footer()).document(slide::WIDTH, slide::HEIGHT);
        Ok(ReportFile { name: Self::slide_name(position, question), bytes: render::png(&svg)? })
    }

    /// The handout, as PDF.
    ///
    /// # Errors
    /// A rendering failure.
    pub(crate) fn handout_pdf(&self) -> Result<ReportFile, AppError> {
        let pages = handout::pages(self);
        Ok(ReportFile { name: format!("{}-handout.pdf", self.slug), bytes: render::pdf(&pages, &self.title)? })
    }

    /// The handout, every slide and the CSV in one ZIP.
    ///
    /// # Errors
    /// A rendering failure.
    pub(crate) fn bundle(&self, csv: ReportFile) -> Result<ReportFile, AppError> {
        let footer = self.footer();
        let questions: Vec<_> = self.results.questions.iter().enumerate().collect();
        // The slides are independent: drawn on every core this process may use, the handout beside them.
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let per_thread = questions.len().div_ceil(threads).max(1);
        let (handout, slides) = std::thread::scope(|scope| {
            let drawing: Vec<_> = questions
                .chunks(per_thread)
                .map(|chunk| {
                    let footer = &footer;
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|(position, question)| {
                                let svg = slide::slide(question, footer).document(slide::WIDTH, slide::HEIGHT);
                                let name = format!("slides/{}", Self::slide_name(*position, question));
                                Ok(ReportFile { name, bytes: render::png(&svg)? })
                            })
                            .collect::<Result<Vec<_>, AppError>>()
                    })
                })
                .collect();
            let handout = self.handout_pdf();
            let slides: Vec<_> = drawing.into_iter().map(std::thread::ScopedJoinHandle::join).collect();
            (handout, slides)
        });
        let mut files = vec![handout?];
        for slides in slides {
            files.extend(slides.map_err(|_| AppError::internal("drawing the report's slides panicked"))??);
        }
        files.push(csv);
        Ok(ReportFile { name: format!("{}-report.zip", self.slug), bytes: render::zip(&files, self.as_of)? })
    }
}

/// The responses CSV as a report file.
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn responses_csv(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    poll_id: i32,
) -> Result<ReportFile, AppError> {
    let (slug, bytes) = export::responses_csv(db, surveys, poll_id).await?;
    Ok(ReportFile { name: format!("{slug}-responses.csv"), bytes })
}
