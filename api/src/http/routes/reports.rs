//! The record after a talk: the report of a poll in one ZIP (handout, slides, CSV), or its parts.
//! Staff only; drawn from the results as the room sees them once the voting is over.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::path::AppPath;
use crate::http::extract::staff::StaffUser;
use crate::polls::report::{self, PollReport, ReportFile};
use crate::state::AppState;

/// Drawing is CPU work: off the request threads.
async fn drawn(
    report: PollReport,
    draw: impl FnOnce(&PollReport) -> Result<ReportFile, AppError> + Send + 'static,
) -> Result<ReportFile, AppError> {
    tokio::task::spawn_blocking(move || draw(&report))
        .await
        .map_err(|e| AppError::internal_caused("drawing the report", e))?
}

/// The whole report in one ZIP: the PDF handout (each question's chart and numbers, and a
/// methods box), one 16:9 PNG per question under `slides/`, and the responses CSV.
#[utoipa::path(get, path = "/api/admin/polls/{id}/report", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 404, body = ErrorBody),
    ))]
async fn get_report(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Response, AppError> {
    // Both run to the end: `try_join!` would drop one mid-query when the other fails (a poll that
    // does not exist), and a transaction dropped while it starts was handed back to the pool still
    // open (sqlx before 0.9.1), failing later requests on that connection.
    let (report, csv) = tokio::join!(
        report::gather(&state.db, &state.surveys, id),
        report::responses_csv(&state.db, &state.surveys, id)
    );
    let (report, csv) = (report?, csv?);
    let zip = drawn(report, move |report| report.bundle(csv)).await?;
    Ok(super::downloads::attachment(&zip.name, "application/zip", zip.bytes))
}

/// The PDF handout: title, date, a methods box (respondents, voided bursts, hidden words, the
/// split and reweighting, the national survey's waves and n), then each question's chart and
/// numbers. Its text is text (searchable).
#[utoipa::path(get, path = "/api/admin/polls/{id}/report/handout", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = ErrorBody),
    ))]
async fn get_handout(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Response, AppError> {
    let report = report::gather(&state.db, &state.surveys, id).await?;
    let pdf = drawn(report, PollReport::handout_pdf).await?;
    Ok(super::downloads::attachment(&pdf.name, "application/pdf", pdf.bytes))
}

/// One question's slide: a 1920 × 1080 PNG of its results as the projector showed them.
#[utoipa::path(get, path = "/api/admin/polls/{id}/report/slides/{var_name}", tag = "admin polls",
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "One of the poll's questions"),
    ),
    responses(
        (status = 200, content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "No such poll, or no such question in it", body = ErrorBody),
    ))]
async fn get_slide(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath((id, var_name)): AppPath<(i32, String)>,
) -> Result<Response, AppError> {
    let report = report::gather(&state.db, &state.surveys, id).await?;
    let png = drawn(report, move |report| report.slide_png(&var_name)).await?;
    Ok(super::downloads::attachment(&png.name, "image/png", png.bytes))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_report)).routes(routes!(get_handout)).routes(routes!(get_slide))
}
