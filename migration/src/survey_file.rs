//! Loads one survey file (a `csv.gz` listed in data-sources.json) into the `surveys` tables: one
//! respondent per line, one column per catalog question. The first file (`blw-public-waves.csv.gz`)
//! and every wave added later load through this one [`SurveyFile`] migration.
//!
//! A blank cell means the question was not asked in that wave and gets no row. Every other cell is
//! kept verbatim as `raw_value`, coded to its 0-based position in the question's responses when it
//! is exactly one of them, and otherwise left uncoded ("Not sure", "Not asked", "Skipped", stray
//! codes such as `5`) and counted in the report this migration prints. A column that is neither a
//! catalog question nor a known respondent column stops the migration, and so does a file that
//! brings a wave or a case id the database already holds: a file adds waves, it never changes one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::bulk_insert::{CopyTransaction, DeferredConstraints};
use crate::data_change::{DATA_CHANGED_CHANNEL, Direction, REPORT_TARGET, data_changed_payload, notify_data_changed};
use crate::data_source::{SourceError, SourceObject, SourceSet};

/// The data migration `name` loads the survey file `key`; `down` removes exactly that file's
/// waves, respondents and responses.
pub struct SurveyFile {
    pub name: &'static str,
    pub key: &'static str,
}

/// Respondent columns that are not catalog questions; kept verbatim in `respondents.extra_columns`.
pub const EXTRA_RESPONDENT_COLUMNS: [&str; 3] = ["pid3_t", "pid3lean", "democracy_importance"];

impl MigrationName for SurveyFile {
    fn name(&self) -> &str {
        self.name
    }
}

/// What each CSV column holds.
enum Column {
    CaseId,
    Wave,
    Weight,
    Extra(String),
    /// A catalog question: its place in `SurveyRows::questions` and its responses, in order.
    Question(usize, Vec<String>),
}

/// One question's cells: the non-blank answers to it, in file order.
struct QuestionCells {
    var_name: String,
    caseids: Vec<i64>,
    raw_values: Vec<String>,
    /// `None` for a value that is not one of the question's responses.
    indexes: Vec<Option<i16>>,
}

/// The survey rows, column-wise, ready to load.
#[derive(Default)]
struct SurveyRows {
    /// Each wave with the first line that has it.
    waves: BTreeMap<i32, u64>,
    caseids: Vec<i64>,
    /// The line of each respondent.
    line_of_caseid: HashMap<i64, u64>,
    respondent_waves: Vec<i32>,
    weights: Vec<f64>,
    extra_columns: Vec<String>,
    /// The question columns, in file order.
    questions: Vec<QuestionCells>,
    /// var_name → raw value → count, for cells that could not be coded.
    uncoded: BTreeMap<String, BTreeMap<String, u64>>,
}

/// var_name → responses, from the catalog already in the database.
async fn read_catalog<C: ConnectionTrait>(conn: &C) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT var_name, responses FROM questions.questions",
        ))
        .await?;
    rows.into_iter().map(|row| Ok((row.try_get("", "var_name")?, row.try_get("", "responses")?))).collect()
}

fn plan_columns(
    headers: &csv::StringRecord,
    catalog: &HashMap<String, Vec<String>>,
    source: &SourceObject,
    questions: &mut Vec<QuestionCells>,
) -> Result<Vec<Column>, SourceError> {
    let mut seen = BTreeSet::new();
    let columns = headers
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if !seen.insert(name) {
                return Err(source.invalid(1, format!("column '{name}' appears twice")));
            }
            Ok(match name {
                "caseid" => Column::CaseId,
                "wave" => Column::Wave,
                "weight" => Column::Weight,
                _ if EXTRA_RESPONDENT_COLUMNS.contains(&name) => Column::Extra(name.to_owned()),
                _ => match catalog.get(name) {
                    Some(responses) => {
                        questions.push(QuestionCells {
                            var_name: name.to_owned(),
                            caseids: Vec::new(),
                            raw_values: Vec::new(),
                            indexes: Vec::new(),
                        });
                        Column::Question(questions.len() - 1, responses.clone())
                    }
                    None => {
                        return Err(source.invalid(
                            1,
                            format!(
                                "column {} '{name}' is neither a catalog question nor a known respondent \
                                 column (caseid, wave, weight, {})",
                                i + 1,
                                EXTRA_RESPONDENT_COLUMNS.join(", ")
                            ),
                        ));
                    }
                },
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for required in ["caseid", "wave", "weight"] {
        if !seen.contains(required) {
            return Err(source.invalid(1, format!("required column '{required}' is missing")));
        }
    }
    Ok(columns)
}

fn parse_field<T: std::str::FromStr>(
    source: &SourceObject,
    line: u64,
    column: &str,
    raw: &str,
) -> Result<T, SourceError> {
    raw.parse().map_err(|_| source.invalid(line, format!("{column} '{raw}' is not a valid {column}")))
}

/// Transforms the CSV into rows. `catalog` decides which columns are questions and codes answers.
fn survey_rows(source: &SourceObject, catalog: &HashMap<String, Vec<String>>) -> Result<SurveyRows, SourceError> {
    let mut reader = source.csv()?;
    let headers = reader.headers().map_err(|e| source.csv_error(&e))?.clone();
    let mut rows = SurveyRows::default();
    let columns = plan_columns(&headers, catalog, source, &mut rows.questions)?;
    let mut answered: Vec<usize> = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| source.csv_error(&e))? {
        let line = record.position().map_or(0, csv::Position::line);
        let (mut caseid, mut wave, mut weight) = (None, None, None);
        let mut extra = serde_json::Map::new();
        for (column, raw) in columns.iter().zip(record.iter()) {
            match column {
                Column::CaseId => caseid = Some(parse_field::<i64>(source, line, "caseid", raw)?),
                Column::Wave => wave = Some(parse_field::<i32>(source, line, "wave", raw)?),
                Column::Weight => weight = Some(parse_field::<f64>(source, line, "weight", raw)?),
                Column::Extra(name) if !raw.is_empty() => {
                    extra.insert(name.clone(), raw.into());
                }
                Column::Question(slot, responses) if !raw.is_empty() => {
                    let index = responses.iter().position(|r| r == raw);
                    let question = &mut rows.questions[*slot];
                    if index.is_none() {
                        let counts = rows.uncoded.entry(question.var_name.clone()).or_default();
                        *counts.entry(raw.to_owned()).or_default() += 1;
                    }
                    question.raw_values.push(raw.to_owned());
                    question.indexes.push(index.map(|i| i as i16));
                    answered.push(*slot);
                }
                Column::Extra(_) | Column::Question(..) => {}
            }
        }
        let (Some(caseid), Some(wave), Some(weight)) = (caseid, wave, weight) else {
            return Err(source.invalid(line, "caseid, wave or weight is missing"));
        };
        if wave <= 0 {
            return Err(source.invalid(line, format!("wave {wave} must be a positive number")));
        }
        if !(weight.is_finite() && weight > 0.0) {
            return Err(source.invalid(line, format!("weight {weight} must be a positive number")));
        }
        if let Some(first) = rows.line_of_caseid.insert(caseid, line) {
            return Err(source.invalid(line, format!("caseid {caseid} already appears at line {first}")));
        }
        // The caseid is known only once the whole line is read: label this line's cells now.
        for slot in answered.drain(..) {
            rows.questions[slot].caseids.push(caseid);
        }
        rows.waves.entry(wave).or_insert(line);
        rows.caseids.push(caseid);
        rows.respondent_waves.push(wave);
        rows.weights.push(weight);
        rows.extra_columns.push(serde_json::Value::Object(extra).to_string());
    }
    Ok(rows)
}

impl SurveyRows {
    fn cell_count(&self) -> usize {
        self.questions.iter().map(|q| q.caseids.len()).sum()
    }

    /// Every cell as (question, position), ordered by question name (file order within a
    /// question). Loaded in this order, the rows are already in the order of the `var_name`
    /// index, which PostgreSQL then builds without sorting them (~3× faster).
    fn cells_by_question(&self) -> impl Iterator<Item = (&QuestionCells, usize)> {
        let mut questions: Vec<&QuestionCells> = self.questions.iter().collect();
        questions.sort_by(|a, b| a.var_name.cmp(&b.var_name));
        questions.into_iter().flat_map(|q| (0..q.caseids.len()).map(move |i| (q, i)))
    }
}

/// Refuses a file that brings a wave or a case id the database already has, naming its line.
async fn refuse_existing(txn: &mut CopyTransaction, rows: &SurveyRows, key: &str) -> Result<(), DbErr> {
    let waves: Vec<i64> = rows.waves.keys().map(|&w| i64::from(w)).collect();
    let existing = txn.matching(SELECT_EXISTING_WAVES, waves).await?;
    if let Some(&wave) = existing.first() {
        let line = rows.waves.get(&(wave as i32)).copied().unwrap_or_default();
        let message = format!("wave {wave} is already loaded: a new file must bring a new wave");
        return Err(SourceError::Invalid { key: key.to_owned(), line, message }.into());
    }
    let existing = txn.matching(SELECT_EXISTING_CASEIDS, rows.caseids.clone()).await?;
    if let Some(&caseid) = existing.first() {
        let line = rows.line_of_caseid.get(&caseid).copied().unwrap_or_default();
        let message = format!("caseid {caseid} is already loaded (from an earlier survey file)");
        return Err(SourceError::Invalid { key: key.to_owned(), line, message }.into());
    }
    Ok(())
}

const SELECT_EXISTING_WAVES: &str =
    "SELECT number::bigint FROM surveys.waves WHERE number = ANY($1::bigint[]) ORDER BY number";
const SELECT_EXISTING_CASEIDS: &str =
    "SELECT caseid FROM surveys.respondents WHERE caseid = ANY($1::bigint[]) ORDER BY caseid LIMIT 1";

/// One line per question with uncoded values, e.g. `perf_misconduct: 2181 × "Not asked", 91 × "5"`.
fn report_uncoded(name: &str, rows: &SurveyRows) {
    let total: u64 = rows.uncoded.values().flat_map(BTreeMap::values).sum();
    tracing::info!(
        target: REPORT_TARGET,
        "{name}: {} respondents in waves {:?}, {} responses; {total} uncoded in {} questions:",
        rows.caseids.len(),
        rows.waves.keys().collect::<Vec<_>>(),
        rows.cell_count(),
        rows.uncoded.len()
    );
    for (var_name, values) in &rows.uncoded {
        let mut counts: Vec<(&String, &u64)> = values.iter().collect();
        counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = counts.iter().map(|(value, n)| format!("{n} × {value:?}")).collect();
        tracing::info!(target: REPORT_TARGET, "  {var_name}: {}", listed.join(", "));
    }
}

impl SurveyFile {
    async fn read<C: ConnectionTrait>(&self, conn: &C) -> Result<SurveyRows, DbErr> {
        let sources = SourceSet::open(self.name).await?;
        let object = sources.fetch(self.key).await?;
        let catalog = read_catalog(conn).await?;
        Ok(survey_rows(&object, &catalog)?)
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SurveyFile {
    /// `up` loads with COPY, which needs a transaction of its own (see [`CopyTransaction`]);
    /// `down` opens one through the migration manager.
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rows = self.read(manager.get_connection()).await?;
        let mut txn = CopyTransaction::begin(manager.get_connection()).await?;
        refuse_existing(&mut txn, &rows, self.key).await?;
        report_uncoded(self.name, &rows);
        // Responses first: their foreign key depends on the respondents' primary key.
        let response_constraints = DeferredConstraints::drop_from(&mut txn, "surveys.responses").await?;
        let respondent_constraints = DeferredConstraints::drop_from(&mut txn, "surveys.respondents").await?;
        let waves: Vec<i32> = rows.waves.keys().copied().collect();
        // A few rows: one INSERT (a COPY this small waits ~40 ms on Nagle's algorithm).
        sqlx::query("INSERT INTO surveys.waves (number, source_key) SELECT unnest($1::int[]), $2")
            .bind(waves)
            .bind(self.key)
            .execute(txn.connection())
            .await
            .map_err(crate::bulk_insert::db_err)?;
        let columns = ["caseid", "wave", "weight", "extra_columns"];
        txn.copy_in("surveys.respondents", &columns, rows.caseids.len(), 0..rows.caseids.len(), |row, i| {
            row.number(rows.caseids[i]);
            row.number(rows.respondent_waves[i]);
            // Rust prints the shortest text that reads back as the same f64.
            row.number(rows.weights[i]);
            row.text(&rows.extra_columns[i]);
        })
        .await?;
        respondent_constraints.restore(&mut txn).await?;
        let columns = ["caseid", "var_name", "raw_value", "response_index"];
        txn.copy_in(
            "surveys.responses",
            &columns,
            rows.cell_count(),
            rows.cells_by_question(),
            |row, (question, i)| {
                row.number(question.caseids[i]);
                row.text(&question.var_name);
                row.text(&question.raw_values[i]);
                match question.indexes[i] {
                    Some(index) => row.number(index),
                    None => row.null(),
                }
            },
        )
        .await?;
        response_constraints.restore(&mut txn).await?;
        txn.notify(DATA_CHANGED_CHANNEL, &data_changed_payload(self.name, Direction::Up)).await?;
        txn.commit().await
    }

    /// Deletes exactly the respondents, their responses and the waves of the (pinned) source file.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let txn = manager.begin().await?;
        let conn = txn.get_connection();
        let rows = self.read(conn).await?;
        let waves: Vec<i32> = rows.waves.keys().copied().collect();
        for (sql, value) in [
            ("DELETE FROM surveys.responses WHERE caseid = ANY($1)", rows.caseids.clone().into()),
            ("DELETE FROM surveys.respondents WHERE caseid = ANY($1)", rows.caseids.into()),
            ("DELETE FROM surveys.waves WHERE number = ANY($1)", waves.into()),
        ] {
            conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [value])).await?;
        }
        notify_data_changed(conn, self.name, Direction::Down).await?;
        txn.commit().await
    }
}
