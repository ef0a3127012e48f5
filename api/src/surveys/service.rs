//! What the survey endpoints do, apart from HTTP: validate requests against the snapshot,
//! compute, and render (and keep) JSON bodies.

use std::sync::Arc;

use bytes::Bytes;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::surveys::cache::SurveyCache;
use crate::surveys::changes::changes;
use crate::surveys::gaps::gaps;
use crate::surveys::groups::Split;
use crate::surveys::principles::{Principles, principle, principle_pairs};
use crate::surveys::proportions::{ProportionsQuery, proportions};
use crate::surveys::snapshot::{Question, QuestionAnswers, SurveySnapshot};

/// What names and words a catalog question: shared by the catalog's and the polls' views of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct QuestionHeading {
    pub var_name: String,
    pub text: String,
    pub short_text: Option<String>,
    pub battery: String,
    /// The battery's prefix, shown above its questions ("How well do the following …").
    pub battery_prefix: Option<String>,
    pub sub_battery: Option<String>,
}

impl QuestionHeading {
    pub(crate) fn of(snapshot: &SurveySnapshot, q: &Question) -> Self {
        Self {
            var_name: q.var_name.clone(),
            text: q.text.clone(),
            short_text: q.short_text.clone(),
            battery: q.battery.clone(),
            battery_prefix: snapshot.battery_prefix(&q.battery),
            sub_battery: q.sub_battery.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct QuestionView {
    #[serde(flatten)]
    pub heading: QuestionHeading,
    /// The response labels; a response's index is its position here.
    pub responses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SubBatteryView {
    pub name: String,
    pub prefix: Option<String>,
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BatteryView {
    pub name: String,
    pub prefix: Option<String>,
    pub sub_batteries: Vec<SubBatteryView>,
    /// Questions that belong to no sub-battery.
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct WaveView {
    pub number: i32,
    pub respondents: i64,
}

/// Proportions request parameters as given, before they are checked against the data.
#[derive(Debug, Clone, Default)]
pub struct ProportionsParams {
    pub waves: Vec<i32>,
    pub group: Option<String>,
    pub split: Option<Split>,
}

fn question_view(snapshot: &SurveySnapshot, q: &Question) -> QuestionView {
    QuestionView { heading: QuestionHeading::of(snapshot, q), responses: q.responses.clone() }
}

pub(crate) async fn batteries(cache: &SurveyCache, db: &DatabaseConnection) -> Result<Vec<BatteryView>, AppError> {
    let snapshot = cache.get(db).await?;
    Ok(snapshot
        .batteries
        .iter()
        .map(|b| {
            let views: Vec<QuestionView> = b
                .questions
                .iter()
                .filter_map(|v| snapshot.questions.get(v))
                .map(|q| question_view(&snapshot, q))
                .collect();
            BatteryView {
                name: b.name.clone(),
                prefix: b.prefix.clone(),
                sub_batteries: b
                    .sub_batteries
                    .iter()
                    .map(|s| SubBatteryView {
                        name: s.name.clone(),
                        prefix: s.prefix.clone(),
                        questions: views
                            .iter()
                            .filter(|q| q.heading.sub_battery.as_ref() == Some(&s.name))
                            .cloned()
                            .collect(),
                    })
                    .collect(),
                questions: views.iter().filter(|q| q.heading.sub_battery.is_none()).cloned().collect(),
            }
        })
        .collect())
}

fn find_question<'s>(snapshot: &'s SurveySnapshot, var_name: &str) -> Result<&'s Question, AppError> {
    snapshot.questions.get(var_name).ok_or_else(|| AppError::NotFound(format!("no question '{var_name}'")))
}

pub(crate) async fn question(
    cache: &SurveyCache,
    db: &DatabaseConnection,
    var_name: &str,
) -> Result<QuestionView, AppError> {
    let snapshot = cache.get(db).await?;
    Ok(question_view(&snapshot, find_question(&snapshot, var_name)?))
}

pub(crate) async fn waves(cache: &SurveyCache, db: &DatabaseConnection) -> Result<Vec<WaveView>, AppError> {
    let snapshot = cache.get(db).await?;
    Ok(snapshot.waves.iter().map(|w| WaveView { number: w.number, respondents: w.respondents }).collect())
}

/// Checks the waves against the survey's; empty means all of them.
fn selected_waves(snapshot: &SurveySnapshot, waves: &[i32]) -> Result<Option<Vec<i32>>, AppError> {
    if waves.is_empty() {
        return Ok(None);
    }
    let mut selected = waves.to_vec();
    selected.sort_unstable();
    selected.dedup();
    for w in &selected {
        if !snapshot.waves.iter().any(|s| s.number == *w) {
            let known: Vec<String> = snapshot.waves.iter().map(|s| s.number.to_string()).collect();
            return Err(AppError::invalid_parameter(
                "wave",
                format!("wave {w} is not a survey wave (waves: {})", known.join(", ")),
            ));
        }
    }
    Ok(Some(selected))
}

fn render<T: Serialize>(value: &T) -> Result<Bytes, AppError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| AppError::internal_caused("rendering JSON", e))
}

/// The proportions body for a question, rendered once per snapshot and request.
///
/// # Errors
/// Unknown question or no survey data (404); a wave, group or split that does not apply (400).
pub async fn proportions_body(
    cache: &SurveyCache,
    db: &DatabaseConnection,
    var_name: &str,
    params: ProportionsParams,
) -> Result<Bytes, AppError> {
    let snapshot = cache.get(db).await?;
    let question = find_question(&snapshot, var_name)?;
    let split = params.split.unwrap_or(Split::Party);
    let group = match &params.group {
        None => None,
        Some(name) => Some(split.group_position(name).ok_or_else(|| {
            let names: Vec<&str> = split.groups().iter().map(|g| g.name).collect();
            AppError::invalid_parameter(
                "group",
                if names.is_empty() {
                    format!("split '{}' has no groups", split.as_str())
                } else {
                    format!("group '{name}' is not one of: {}", names.join(", "))
                },
            )
        })?),
    };
    let query = ProportionsQuery { waves: selected_waves(&snapshot, &params.waves)?, split, group };
    let key = format!("proportions/{var_name}/{query:?}");
    if let Some(body) = snapshot.rendered(&key) {
        return Ok(body);
    }
    let answers = snapshot.answers(db, var_name).await?;
    if answers.respondents.is_empty() {
        return Err(AppError::NotFound(format!("question '{var_name}' has no survey data")));
    }
    let body = render(&proportions(&snapshot, question, &answers, &query))?;
    snapshot.keep_rendered(key, body.clone());
    Ok(body)
}

/// Importance vs performance for every principle asked in both batteries.
///
/// # Errors
/// A wave that is not a survey wave (400).
pub(crate) async fn principles_body(
    cache: &SurveyCache,
    db: &DatabaseConnection,
    waves: &[i32],
    split: Option<Split>,
) -> Result<Bytes, AppError> {
    let snapshot: Arc<SurveySnapshot> = cache.get(db).await?;
    let split = split.unwrap_or(Split::Party);
    let waves = selected_waves(&snapshot, waves)?.unwrap_or_else(|| snapshot.waves.iter().map(|w| w.number).collect());
    let key = format!("principles/{split:?}/{waves:?}");
    if let Some(body) = snapshot.rendered(&key) {
        return Ok(body);
    }
    let mut principles = Vec::new();
    for pair in principle_pairs(&snapshot) {
        let importance = snapshot.answers(db, &pair.0.var_name).await?;
        let performance = snapshot.answers(db, &pair.1.var_name).await?;
        if let Some(p) = principle(&snapshot, pair, (&importance, &performance), split, &waves) {
            principles.push(p);
        }
    }
    let body = render(&Principles { split, waves, principles })?;
    snapshot.keep_rendered(key, body.clone());
    Ok(body)
}

/// A question with survey data: its answers and the waves with at least one valid answer.
struct AnsweredQuestion<'s> {
    question: &'s Question,
    answers: Arc<QuestionAnswers>,
    asked: Vec<i32>,
}

impl AnsweredQuestion<'_> {
    fn waves_asked(&self) -> String {
        self.asked.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
    }

    /// `wave`, checked: a survey wave (else 400) that asked the question (else 404).
    fn asked_in(&self, snapshot: &SurveySnapshot, parameter: &str, wave: i32) -> Result<i32, AppError> {
        if !snapshot.waves.iter().any(|w| w.number == wave) {
            let known: Vec<String> = snapshot.waves.iter().map(|w| w.number.to_string()).collect();
            return Err(AppError::invalid_parameter(
                parameter,
                format!("wave {wave} is not a survey wave (waves: {})", known.join(", ")),
            ));
        }
        if !self.asked.contains(&wave) {
            return Err(AppError::NotFound(format!(
                "wave {wave} did not ask '{}' (waves that did: {})",
                self.question.var_name,
                self.waves_asked()
            )));
        }
        Ok(wave)
    }
}

async fn answered_question<'s>(
    snapshot: &'s SurveySnapshot,
    db: &DatabaseConnection,
    var_name: &str,
) -> Result<AnsweredQuestion<'s>, AppError> {
    let question = find_question(snapshot, var_name)?;
    let answers = snapshot.answers(db, var_name).await?;
    let mut asked: Vec<i32> = answers.respondents.iter().map(|&r| snapshot.respondent(r, Split::None).wave).collect();
    asked.sort_unstable();
    asked.dedup();
    if asked.is_empty() {
        return Err(AppError::NotFound(format!("question '{var_name}' has no survey data")));
    }
    Ok(AnsweredQuestion { question, answers, asked })
}

/// The body kept for `key` in the snapshot, or `compute`d, rendered and kept.
async fn rendered_once<T: Serialize>(
    snapshot: &SurveySnapshot,
    key: String,
    compute: impl AsyncFnOnce() -> Result<T, AppError>,
) -> Result<Bytes, AppError> {
    if let Some(body) = snapshot.rendered(&key) {
        return Ok(body);
    }
    let body = render(&compute().await?)?;
    snapshot.keep_rendered(key, body.clone());
    Ok(body)
}

/// The gaps between a split's groups in one wave (default: the latest that asked the question).
///
/// # Errors
/// Unknown question, no survey data, or a wave that did not ask it (404); `split=none` or a wave
/// that is not a survey wave (400).
pub(crate) async fn gaps_body(
    cache: &SurveyCache,
    db: &DatabaseConnection,
    var_name: &str,
    split: Option<Split>,
    wave: Option<i32>,
) -> Result<Bytes, AppError> {
    let snapshot = cache.get(db).await?;
    let split = split.unwrap_or(Split::Party);
    if split == Split::None {
        return Err(AppError::invalid_parameter("split", "gaps compare groups: split must be party or ideology"));
    }
    let key = format!("gaps/{var_name}/{split:?}/{wave:?}");
    rendered_once(&snapshot, key, async || {
        let asked = answered_question(&snapshot, db, var_name).await?;
        let wave = match wave {
            Some(w) => asked.asked_in(&snapshot, "wave", w)?,
            None => *asked.asked.last().unwrap_or(&0),
        };
        Ok(gaps(&snapshot, asked.question, &asked.answers, split, wave))
    })
    .await
}

/// The changes between two waves per group (default: the last two waves that asked the question).
///
/// # Errors
/// Unknown question, no survey data, a wave that did not ask it, or fewer than two waves that did
/// (404); `from` not before `to`, or a wave that is not a survey wave (400).
pub(crate) async fn changes_body(
    cache: &SurveyCache,
    db: &DatabaseConnection,
    var_name: &str,
    split: Option<Split>,
    (from, to): (Option<i32>, Option<i32>),
) -> Result<Bytes, AppError> {
    let snapshot = cache.get(db).await?;
    let split = split.unwrap_or(Split::Party);
    let key = format!("changes/{var_name}/{split:?}/{from:?}/{to:?}");
    rendered_once(&snapshot, key, async || {
        let asked = answered_question(&snapshot, db, var_name).await?;
        let from = from.map(|w| asked.asked_in(&snapshot, "from", w)).transpose()?;
        let to = to.map(|w| asked.asked_in(&snapshot, "to", w)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(AppError::invalid_parameter("from", format!("from ({from}) must be a wave before to ({to})")));
        }
        // Unset ends: the latest wave that asked it (before `to`, for `from`).
        let to = to.or_else(|| asked.asked.iter().rev().find(|&&w| from.is_none_or(|f| w > f)).copied());
        let from = from.or_else(|| asked.asked.iter().rev().find(|&&w| to.is_some_and(|t| w < t)).copied());
        let (Some(from), Some(to)) = (from, to) else {
            return Err(AppError::NotFound(format!(
                "no two waves to compare: '{var_name}' was asked in wave(s) {} only{}",
                asked.waves_asked(),
                if asked.asked.len() > 1 { " (none after 'from' / before 'to')" } else { "" }
            )));
        };
        Ok(changes(&snapshot, asked.question, &asked.answers, split, (from, to)))
    })
    .await
}
