//! Survey results for the dashboards: waves, weighted proportions, importance vs performance.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::path::AppPath;
use crate::http::extract::query::QueryParams;
use crate::state::AppState;
use crate::surveys::changes::Changes;
use crate::surveys::gaps::Gaps;
use crate::surveys::groups::Split;
use crate::surveys::principles::Principles;
use crate::surveys::proportions::Proportions;
use crate::surveys::service::{self, ProportionsParams, WaveView};

fn json_bytes(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn split_param(params: &QueryParams) -> Result<Option<Split>, AppError> {
    params
        .one("split")?
        .map(|s| Split::parse(s).map_err(|message| AppError::invalid_parameter("split", message)))
        .transpose()
}

/// The survey's waves with their respondent counts.
#[utoipa::path(get, path = "/api/surveys/waves", tag = "surveys",
    responses((status = 200, description = "Waves, ascending", body = Vec<WaveView>)))]
async fn list_waves(State(state): State<AppState>) -> Result<Json<Vec<WaveView>>, AppError> {
    Ok(Json(service::waves(&state.surveys, &state.db).await?))
}

/// Weighted proportions of each response (and of the top two) per wave and group, with 95% CIs.
///
/// Cells: every wave with at least one valid answer (or the selected waves), then all of them
/// pooled (`wave: null`); within each, every group of the split, then all respondents
/// (`group: null`). Only answers that are one of the question's responses count ("Not sure",
/// "Skipped", "Not asked" and stray codes are excluded from `n` and every denominator).
/// `se` follows R `survey` (`svydesign(ids = ~1, weights = ~weight)` on the cell's respondents);
/// the interval is `svyciprop(method = "logit")`'s, `[p, p]` when `p` is 0 or 1, and `se`/CI are
/// null for a single respondent. Cells without any valid answer are left out.
#[utoipa::path(get, path = "/api/surveys/questions/{var_name}/proportions", tag = "surveys",
    params(
        ("var_name" = String, Path, description = "The question", example = "perf_judicial_ind"),
        ("wave" = Option<Vec<i32>>, Query, description = "Only these waves (repeatable: wave=3&wave=8)", minimum = 1),
        ("group" = Option<String>, Query, description = "Only this group of the split, e.g. Democrat"),
        ("split" = Option<Split>, Query, description = "party (default), ideology or none"),
    ),
    responses(
        (status = 200, description = "Proportions per cell", body = Proportions),
        (status = 400, description = "A parameter is invalid; `error.parameter` names it", body = ErrorBody),
        (status = 404, description = "Unknown question, or no survey data for it", body = ErrorBody),
    ))]
async fn question_proportions(
    State(state): State<AppState>,
    AppPath(var_name): AppPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = QueryParams::parse(raw.as_deref(), &["wave", "group", "split"])?;
    let parsed = ProportionsParams {
        waves: params.all("wave", "a wave number")?,
        group: params.one("group")?.map(str::to_owned),
        split: split_param(&params)?,
    };
    Ok(json_bytes(service::proportions_body(&state.surveys, &state.db, &var_name, parsed).await?))
}

/// Importance vs performance: for each principle asked in both batteries, the top-2 share
/// (Important + Essential; Mostly + Fully meets) per group, over the selected waves pooled.
#[utoipa::path(get, path = "/api/surveys/principles", tag = "surveys",
    params(
        ("wave" = Option<Vec<i32>>, Query, description = "Waves to pool (repeatable); default all", minimum = 1),
        ("split" = Option<Split>, Query, description = "party (default), ideology or none"),
    ),
    responses(
        (status = 200, description = "One entry per principle", body = Principles),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
async fn principles(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let params = QueryParams::parse(raw.as_deref(), &["wave", "split"])?;
    let waves: Vec<i32> = params.all("wave", "a wave number")?;
    Ok(json_bytes(service::principles_body(&state.surveys, &state.db, &waves, split_param(&params)?).await?))
}

/// One wave number given at most once.
fn wave_param(params: &QueryParams, name: &str) -> Result<Option<i32>, AppError> {
    let waves: Vec<i32> = params.all(name, "a wave number")?;
    match waves.as_slice() {
        [] => Ok(None),
        [wave] => Ok(Some(*wave)),
        _ => Err(AppError::invalid_parameter(name, format!("{name} may be given only once"))),
    }
}

/// Is the gap between two groups real? Every pair of a split's groups in one wave: the
/// difference `a − b` of their top-two shares and of each response's share, with SE, 95% CI and
/// p-value.
///
/// Method (matches R `survey` to 1e-6): the wave's respondents with a valid answer who are in
/// group `a` or `b`; `svydesign(ids = ~1, weights = ~weight, data)`;
/// `svyby(~y, ~group, des, svymean, covmat = TRUE)`, then `svycontrast` for `a − b`;
/// `df = n_a + n_b − 1`; `CI = d ± qt(0.975, df)·se`; `p = 2·pt(−|d/se|, df)`. `y` is the
/// indicator of the top two responses (`measure: "top2"`) or of one response.
#[utoipa::path(get, path = "/api/surveys/questions/{var_name}/gaps", tag = "surveys",
    params(
        ("var_name" = String, Path, description = "The question", example = "perf_judicial_ind"),
        ("split" = Option<Split>, Query, description = "party (default) or ideology; none has no groups to compare"),
        ("wave" = Option<i32>, Query, description = "The wave; default the latest that asked the question", minimum = 1),
    ),
    responses(
        (status = 200, description = "Gaps per pair of groups", body = Gaps),
        (status = 400, description = "A parameter is invalid; `error.parameter` names it", body = ErrorBody),
        (status = 404, description = "Unknown question, no survey data, or a wave that did not ask it", body = ErrorBody),
    ))]
async fn question_gaps(
    State(state): State<AppState>,
    AppPath(var_name): AppPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = QueryParams::parse(raw.as_deref(), &["wave", "split"])?;
    let (split, wave) = (split_param(&params)?, wave_param(&params, "wave")?);
    Ok(json_bytes(service::gaps_body(&state.surveys, &state.db, &var_name, split, wave).await?))
}

/// Did it change? Per group of the split (and everyone), the change from wave `from` to wave
/// `to` of the top-two share and of each response's share, with SE, 95% CI and p-value.
///
/// Method (matches R `survey` to 1e-6): the group's (or everyone's) respondents with a valid
/// answer in wave `from` or `to`; `svydesign(ids = ~1, weights = ~weight, data)`;
/// `svyby(~y, ~wave, des, svymean, covmat = TRUE)`, then `svycontrast` for `to − from`;
/// `df = n_from + n_to − 1`; `CI = d ± qt(0.975, df)·se`; `p = 2·pt(−|d/se|, df)`.
#[utoipa::path(get, path = "/api/surveys/questions/{var_name}/changes", tag = "surveys",
    params(
        ("var_name" = String, Path, description = "The question", example = "perf_judicial_ind"),
        ("split" = Option<Split>, Query, description = "party (default), ideology or none"),
        ("from" = Option<i32>, Query, description = "The earlier wave; default the wave that asked the question before `to`", minimum = 1),
        ("to" = Option<i32>, Query, description = "The later wave; default the latest that asked the question", minimum = 1),
    ),
    responses(
        (status = 200, description = "Changes per group", body = Changes),
        (status = 400, description = "A parameter is invalid; `error.parameter` names it", body = ErrorBody),
        (status = 404, description = "Unknown question, no survey data, a wave that did not ask it, or fewer than two waves that did", body = ErrorBody),
    ))]
async fn question_changes(
    State(state): State<AppState>,
    AppPath(var_name): AppPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = QueryParams::parse(raw.as_deref(), &["from", "to", "split"])?;
    let waves = (wave_param(&params, "from")?, wave_param(&params, "to")?);
    Ok(json_bytes(service::changes_body(&state.surveys, &state.db, &var_name, split_param(&params)?, waves).await?))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_waves))
        .routes(routes!(question_proportions))
        .routes(routes!(question_gaps))
        .routes(routes!(question_changes))
        .routes(routes!(principles))
}
