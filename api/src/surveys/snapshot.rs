//! The survey data the visualization endpoints compute from, read from PostgreSQL once and kept in
//! memory until a data migration changes it (see `cache.rs`). Respondents are loaded up front;
//! each question's valid answers on first use, so a very large survey costs memory only for the
//! questions people look at.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryOrder, QuerySelect, Statement};
use tokio::sync::OnceCell;

use crate::surveys::groups::Split;

/// A catalog question as the endpoints show it.
#[derive(Debug, Clone)]
pub struct Question {
    pub var_name: String,
    pub text: String,
    pub short_text: Option<String>,
    pub battery: String,
    pub sub_battery: Option<String>,
    pub responses: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SubBattery {
    pub name: String,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Battery {
    pub name: String,
    pub prefix: Option<String>,
    pub sub_batteries: Vec<SubBattery>,
    /// Var names, ordered by sub-battery then name.
    pub questions: Vec<String>,
}

#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct WaveSummary {
    pub number: i32,
    pub respondents: i64,
}

/// Respondents, column-wise, sorted by caseid.
struct Respondents {
    caseids: Vec<i64>,
    waves: Vec<i32>,
    weights: Vec<f64>,
    /// Group index per split (party, ideology), `None` outside every group.
    party: Vec<Option<u8>>,
    ideology: Vec<Option<u8>>,
}

/// One question's valid answers: respondent positions and response indexes.
#[derive(Default)]
pub struct QuestionAnswers {
    pub respondents: Vec<u32>,
    pub responses: Vec<u8>,
}

pub struct SurveySnapshot {
    pub batteries: Vec<Battery>,
    pub questions: HashMap<String, Question>,
    pub waves: Vec<WaveSummary>,
    respondents: Respondents,
    answers: HashMap<String, OnceCell<Arc<QuestionAnswers>>>,
    /// Response bodies already rendered from this snapshot, by request key.
    rendered: std::sync::RwLock<HashMap<String, bytes::Bytes>>,
}

/// Enough for every question × split × single-wave or group filter; beyond it, bodies are
/// rendered per request (still from memory) rather than growing without bound.
const RENDERED_CAPACITY: usize = 8192;

/// A respondent as a computation sees it.
#[derive(Debug, Clone, Copy)]
pub struct RespondentView {
    pub wave: i32,
    pub weight: f64,
    pub group: Option<u8>,
}

async fn load_catalog(db: &DatabaseConnection) -> Result<(Vec<Battery>, HashMap<String, Question>), DbErr> {
    use entity::questions::{batteries, questions, sub_batteries};
    let battery_rows = batteries::Entity::find().order_by_asc(batteries::Column::Name).all(db).await?;
    let sub_rows = sub_batteries::Entity::find().order_by_asc(sub_batteries::Column::Id).all(db).await?;
    let question_rows = questions::Entity::find().order_by_asc(questions::Column::VarName).all(db).await?;
    let mut batteries: Vec<Battery> = battery_rows
        .into_iter()
        .map(|b| Battery { name: b.name, prefix: b.prefix, sub_batteries: Vec::new(), questions: Vec::new() })
        .collect();
    let position: HashMap<String, usize> = batteries.iter().enumerate().map(|(i, b)| (b.name.clone(), i)).collect();
    for s in sub_rows {
        if let Some(&i) = position.get(&s.battery_name) {
            batteries[i].sub_batteries.push(SubBattery { name: s.name, prefix: s.prefix });
        }
    }
    let mut questions = HashMap::new();
    for battery in &mut batteries {
        let order = |q: &questions::Model| {
            battery.sub_batteries.iter().position(|s| Some(&s.name) == q.sub_battery.as_ref()).unwrap_or(usize::MAX)
        };
        let mut own: Vec<&questions::Model> = question_rows.iter().filter(|q| q.battery_name == battery.name).collect();
        own.sort_by_key(|q| (order(q), q.var_name.clone()));
        battery.questions = own.iter().map(|q| q.var_name.clone()).collect();
    }
    for q in question_rows {
        questions.insert(
            q.var_name.clone(),
            Question {
                var_name: q.var_name,
                text: q.text,
                short_text: q.short_text,
                battery: q.battery_name,
                sub_battery: q.sub_battery,
                responses: q.responses,
            },
        );
    }
    Ok((batteries, questions))
}

fn group_mapping(split: Split, questions: &HashMap<String, Question>) -> Result<Vec<Option<u8>>, DbErr> {
    let var_name = split.defining_question().unwrap_or_default();
    match questions.get(var_name) {
        Some(q) => split.group_of_response(&q.responses).map_err(DbErr::Custom),
        // No such question in the catalog: nobody is in a group of this split.
        None => Ok(Vec::new()),
    }
}

/// Every respondent, column-wise, paired by position.
#[derive(Debug, Default, FromQueryResult)]
struct RespondentColumns {
    caseids: Vec<i64>,
    waves: Vec<i32>,
    weights: Vec<f64>,
}

/// Raw SQL: one row of arrays instead of a row per respondent (a million respondents decode in a
/// blink); `array_agg` has no query-builder form that SeaORM decodes into vectors.
/// Sorted by caseid here rather than by three `ORDER BY`s in PostgreSQL (one sort, not three).
async fn load_respondent_columns(db: &DatabaseConnection) -> Result<RespondentColumns, DbErr> {
    let statement = Statement::from_string(
        DbBackend::Postgres,
        "SELECT coalesce(array_agg(caseid), '{}') AS caseids, coalesce(array_agg(wave), '{}') AS waves,
                coalesce(array_agg(weight), '{}') AS weights
         FROM surveys.respondents",
    );
    let columns = RespondentColumns::find_by_statement(statement).one(db).await?.unwrap_or_default();
    let mut order: Vec<usize> = (0..columns.caseids.len()).collect();
    order.sort_unstable_by_key(|&i| columns.caseids[i]);
    Ok(RespondentColumns {
        caseids: order.iter().map(|&i| columns.caseids[i]).collect(),
        waves: order.iter().map(|&i| columns.waves[i]).collect(),
        weights: order.iter().map(|&i| columns.weights[i]).collect(),
    })
}

/// One question's valid answers, column-wise: caseids and response indexes paired by position.
#[derive(Debug, FromQueryResult)]
struct AnswerColumns {
    var_name: String,
    caseids: Vec<i64>,
    responses: Vec<i16>,
}

/// Valid answers grouped by question; all questions, or only `only`. Raw SQL for the same reason
/// as the respondents: arrays per group.
async fn load_answer_columns(db: &DatabaseConnection, only: Option<Vec<String>>) -> Result<Vec<AnswerColumns>, DbErr> {
    // No ORDER BY: a hash aggregate over one scan, 2-3× faster than reading the table in index
    // order; the two arrays of a group still pair up row by row.
    let select = "SELECT var_name, array_agg(caseid) AS caseids, array_agg(response_index) AS responses
                  FROM surveys.responses WHERE response_index IS NOT NULL";
    let statement = match only {
        Some(var_names) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("{select} AND var_name = ANY($1) GROUP BY var_name"),
            [var_names.into()],
        ),
        None => Statement::from_string(DbBackend::Postgres, format!("{select} GROUP BY var_name")),
    };
    AnswerColumns::find_by_statement(statement).all(db).await
}

/// Up to this many respondents every question's answers are read at once when the snapshot loads
/// (one query, ~25 ms for the BLW file, ten times faster than one query per question); above it,
/// each question is read when first asked for, so memory follows what people look at.
const PRELOAD_ALL_UP_TO: usize = 100_000;

/// Pairs answers with respondent positions (`all_caseids` is sorted); answers to respondents
/// that are not in the snapshot are skipped.
fn answers_by_position(all_caseids: &[i64], caseids: Vec<i64>, indexes: Vec<i16>) -> Result<QuestionAnswers, DbErr> {
    let (mut respondents, mut responses) = (Vec::with_capacity(caseids.len()), Vec::with_capacity(caseids.len()));
    for (caseid, index) in caseids.into_iter().zip(indexes) {
        if let Ok(at) = all_caseids.binary_search(&caseid) {
            respondents.push(at as u32);
            responses
                .push(u8::try_from(index).map_err(|_| DbErr::Custom(format!("response index {index} out of range")))?);
        }
    }
    Ok(QuestionAnswers { respondents, responses })
}

/// Each respondent's group in `split`, from the answers to its defining question.
fn group_per_respondent(count: usize, defining: &QuestionAnswers, mapping: &[Option<u8>]) -> Vec<Option<u8>> {
    let mut groups = vec![None; count];
    for (&r, &k) in defining.respondents.iter().zip(&defining.responses) {
        groups[r as usize] = mapping.get(usize::from(k)).copied().flatten();
    }
    groups
}

/// Every wave with its respondent count (`surveys.waves ⟵ surveys.respondents`).
async fn load_waves(db: &DatabaseConnection) -> Result<Vec<WaveSummary>, DbErr> {
    use entity::surveys::{respondents, waves};
    waves::Entity::find()
        .select_only()
        .column(waves::Column::Number)
        .column_as(Expr::col(respondents::Column::Caseid).count(), "respondents")
        .left_join(respondents::Entity)
        .group_by(waves::Column::Number)
        .order_by_asc(waves::Column::Number)
        .into_model::<WaveSummary>()
        .all(db)
        .await
}

impl SurveySnapshot {
    /// Reads the catalog, the waves and every respondent.
    ///
    /// # Errors
    /// Any database error, or a catalog without the labels the splits are defined by.
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        // The wave counts say how big the survey is, which decides what to read up front.
        let waves = load_waves(db).await?;
        let respondent_count: i64 = waves.iter().map(|w| w.respondents).sum();
        // Everything at once for a survey of ordinary size; else just the questions that define
        // groups, which every computation needs. Either way they are kept as answers.
        let splits = [Split::Party, Split::Ideology];
        let only = (respondent_count > PRELOAD_ALL_UP_TO as i64)
            .then(|| splits.iter().filter_map(|s| s.defining_question()).map(str::to_owned).collect());
        // Independent reads, each on its own pooled connection, side by side.
        let ((batteries, questions), RespondentColumns { caseids, waves: waves_of, weights }, loaded) =
            tokio::try_join!(load_catalog(db), load_respondent_columns(db), load_answer_columns(db, only))?;
        let answers: HashMap<String, OnceCell<Arc<QuestionAnswers>>> =
            questions.keys().map(|k| (k.clone(), OnceCell::new())).collect();
        for AnswerColumns { var_name, caseids: ids, responses } in loaded {
            if let Some(cell) = answers.get(&var_name) {
                let _ = cell.set(Arc::new(answers_by_position(&caseids, ids, responses)?));
            }
        }
        let mut groups = Vec::new();
        for split in splits {
            let var_name = split.defining_question().unwrap_or_default();
            let defining = answers.get(var_name).and_then(OnceCell::get).cloned().unwrap_or_default();
            groups.push(group_per_respondent(caseids.len(), &defining, &group_mapping(split, &questions)?));
        }
        let ideology = groups.pop().unwrap_or_default();
        let party = groups.pop().unwrap_or_default();
        let respondents = Respondents { caseids, waves: waves_of, weights, party, ideology };
        Ok(Self { batteries, questions, waves, respondents, answers, rendered: Default::default() })
    }

    /// The valid answers to `var_name` (a catalog question), read on first use.
    ///
    /// # Errors
    /// Any database error.
    pub async fn answers(&self, db: &DatabaseConnection, var_name: &str) -> Result<Arc<QuestionAnswers>, DbErr> {
        let Some(cell) = self.answers.get(var_name) else {
            return Ok(Arc::new(QuestionAnswers { respondents: Vec::new(), responses: Vec::new() }));
        };
        cell.get_or_try_init(|| self.load_answers(db, var_name)).await.cloned()
    }

    async fn load_answers(&self, db: &DatabaseConnection, var_name: &str) -> Result<Arc<QuestionAnswers>, DbErr> {
        let loaded = load_answer_columns(db, Some(vec![var_name.to_owned()])).await?;
        match loaded.into_iter().next() {
            Some(columns) => {
                Ok(Arc::new(answers_by_position(&self.respondents.caseids, columns.caseids, columns.responses)?))
            }
            None => Ok(Arc::default()),
        }
    }

    /// The prefix of battery `name`, shown above its questions.
    pub fn battery_prefix(&self, name: &str) -> Option<String> {
        self.batteries.iter().find(|b| b.name == name).and_then(|b| b.prefix.clone())
    }

    /// A body rendered earlier for `key`.
    pub fn rendered(&self, key: &str) -> Option<bytes::Bytes> {
        self.rendered.read().ok()?.get(key).cloned()
    }

    /// Keeps `body` for `key` while there is room.
    pub fn keep_rendered(&self, key: String, body: bytes::Bytes) {
        if let Ok(mut rendered) = self.rendered.write()
            && rendered.len() < RENDERED_CAPACITY
        {
            rendered.insert(key, body);
        }
    }

    /// Respondent `position` as `split` groups them.
    pub fn respondent(&self, position: u32, split: Split) -> RespondentView {
        let i = position as usize;
        let r = &self.respondents;
        RespondentView {
            wave: r.waves[i],
            weight: r.weights[i],
            group: match split {
                Split::Party => r.party[i],
                Split::Ideology => r.ideology[i],
                Split::None => None,
            },
        }
    }
}
