//! Loads the question catalog: `perf-imp.json` gives two parallel batteries (importance and
//! performance of each democratic characteristic, one sub-battery per category in each) and
//! `respondent-profile.json` gives the respondent-profile battery (pid3, pid7, ideo7).

use std::collections::BTreeSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Deserialize;

use crate::data_change::{Direction, REPORT_TARGET, notify_data_changed, reset_identity};
use crate::data_source::{SourceError, SourceSet};

pub struct Data;

const NAME: &str = "m20261125_000001_questions_data";
const PERF_IMP_KEY: &str = "db/schemas/questions/perf-imp.json";
const RESPONDENT_PROFILE_KEY: &str = "db/schemas/questions/respondent-profile.json";

pub const IMPORTANCE_BATTERY: &str = "democratic_characteristics_importance";
pub const PERFORMANCE_BATTERY: &str = "democratic_characteristics_performance";

impl MigrationName for Data {
    fn name(&self) -> &str {
        NAME
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PerfImpFile {
    importance: ResponseScale,
    performance: ResponseScale,
    characteristics: Vec<Characteristic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseScale {
    prefix: String,
    responses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Characteristic {
    variable_name: String,
    question_text: String,
    short_text: Option<String>,
    category: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RespondentProfileFile {
    battery: BatteryJson,
    questions: Vec<ProfileQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatteryJson {
    name: String,
    prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileQuestion {
    var_name: String,
    text: String,
    short_text: Option<String>,
    responses: Vec<String>,
}

/// The rows of the three catalog tables.
#[derive(Default)]
struct CatalogRows {
    batteries: Vec<(String, Option<String>)>,
    /// (battery_name, name)
    sub_batteries: Vec<(String, String)>,
    questions: Vec<QuestionRow>,
}

struct QuestionRow {
    var_name: String,
    text: String,
    short_text: Option<String>,
    battery_name: String,
    sub_battery: Option<String>,
    responses: Vec<String>,
}

/// `perf-imp.json` → the importance and performance batteries. The original design swapped the
/// two battery names; here each battery takes the prefix and responses of its own scale.
fn perf_imp_rows(file: PerfImpFile, rows: &mut CatalogRows) {
    let categories: BTreeSet<&str> = file.characteristics.iter().map(|c| c.category.as_str()).collect();
    for (battery, scale, var_prefix) in
        [(IMPORTANCE_BATTERY, &file.importance, "imp_"), (PERFORMANCE_BATTERY, &file.performance, "perf_")]
    {
        rows.batteries.push((battery.to_owned(), Some(scale.prefix.clone())));
        rows.sub_batteries.extend(categories.iter().map(|category| (battery.to_owned(), (*category).to_owned())));
        rows.questions.extend(file.characteristics.iter().map(|c| QuestionRow {
            var_name: format!("{var_prefix}{}", c.variable_name),
            text: c.question_text.clone(),
            short_text: c.short_text.clone(),
            battery_name: battery.to_owned(),
            sub_battery: Some(c.category.clone()),
            responses: scale.responses.clone(),
        }));
    }
}

/// `respondent-profile.json` → one battery without sub-batteries.
fn respondent_profile_rows(file: RespondentProfileFile, rows: &mut CatalogRows) {
    rows.batteries.push((file.battery.name.clone(), file.battery.prefix));
    rows.questions.extend(file.questions.into_iter().map(|q| QuestionRow {
        var_name: q.var_name,
        text: q.text,
        short_text: q.short_text,
        battery_name: file.battery.name.clone(),
        sub_battery: None,
        responses: q.responses,
    }));
}

/// Rejects what the database would reject less clearly: repeated names and empty scales.
fn validate(rows: &CatalogRows) -> Result<(), SourceError> {
    let invalid = |message: String| SourceError::Inconsistent {
        keys: format!("'{PERF_IMP_KEY}' and '{RESPONDENT_PROFILE_KEY}'"),
        message,
    };
    let mut seen = BTreeSet::new();
    for q in &rows.questions {
        if !seen.insert(q.var_name.as_str()) {
            return Err(invalid(format!("question '{}' is defined twice", q.var_name)));
        }
        if q.responses.is_empty() {
            return Err(invalid(format!("question '{}' has no responses", q.var_name)));
        }
        let distinct: BTreeSet<&String> = q.responses.iter().collect();
        if distinct.len() != q.responses.len() {
            return Err(invalid(format!("question '{}' repeats a response", q.var_name)));
        }
    }
    let mut batteries = BTreeSet::new();
    for (name, _) in &rows.batteries {
        if !batteries.insert(name.as_str()) {
            return Err(invalid(format!("battery '{name}' is defined twice")));
        }
    }
    Ok(())
}

async fn read_catalog(sources: &SourceSet) -> Result<CatalogRows, SourceError> {
    let mut rows = CatalogRows::default();
    let perf_imp = sources.fetch(PERF_IMP_KEY).await?;
    perf_imp_rows(perf_imp.json()?, &mut rows);
    let profile = sources.fetch(RESPONDENT_PROFILE_KEY).await?;
    respondent_profile_rows(profile.json()?, &mut rows);
    validate(&rows)?;
    Ok(rows)
}

fn insert_batteries(rows: &CatalogRows) -> InsertStatement {
    let mut insert = Query::insert();
    insert.into_table(("questions", "batteries")).columns(["name", "prefix"]);
    for (name, prefix) in &rows.batteries {
        insert.values_panic([name.clone().into(), prefix.clone().into()]);
    }
    insert
}

fn insert_sub_batteries(rows: &CatalogRows) -> InsertStatement {
    let mut insert = Query::insert();
    insert.into_table(("questions", "sub_batteries")).columns(["battery_name", "name"]);
    for (battery, name) in &rows.sub_batteries {
        insert.values_panic([battery.clone().into(), name.clone().into()]);
    }
    insert
}

fn insert_questions(rows: &CatalogRows) -> InsertStatement {
    let mut insert = Query::insert();
    insert.into_table(("questions", "questions")).columns([
        "var_name",
        "text",
        "short_text",
        "battery_name",
        "sub_battery",
        "responses",
    ]);
    for q in &rows.questions {
        insert.values_panic([
            q.var_name.clone().into(),
            q.text.clone().into(),
            q.short_text.clone().into(),
            q.battery_name.clone().into(),
            q.sub_battery.clone().into(),
            q.responses.clone().into(),
        ]);
    }
    insert
}

#[async_trait::async_trait]
impl MigrationTrait for Data {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rows = read_catalog(&SourceSet::open(NAME).await?).await?;
        let conn = manager.get_connection();
        conn.execute(&insert_batteries(&rows)).await?;
        if !rows.sub_batteries.is_empty() {
            conn.execute(&insert_sub_batteries(&rows)).await?;
        }
        conn.execute(&insert_questions(&rows)).await?;
        tracing::info!(
            target: REPORT_TARGET,
            "{NAME}: loaded {} batteries, {} sub-batteries, {} questions",
            rows.batteries.len(),
            rows.sub_batteries.len(),
            rows.questions.len()
        );
        notify_data_changed(conn, NAME, Direction::Up).await
    }

    /// Deletes exactly the rows `up` inserted: the same (checksum-pinned) sources name them.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rows = read_catalog(&SourceSet::open(NAME).await?).await?;
        let conn = manager.get_connection();
        let var_names: Vec<String> = rows.questions.iter().map(|q| q.var_name.clone()).collect();
        let (sub_battery_owners, sub_battery_names): (Vec<String>, Vec<String>) =
            rows.sub_batteries.iter().cloned().unzip();
        let batteries: Vec<String> = rows.batteries.iter().map(|(name, _)| name.clone()).collect();
        for (sql, values) in [
            ("DELETE FROM questions.questions WHERE var_name = ANY($1)", vec![var_names.into()]),
            (
                "DELETE FROM questions.sub_batteries s USING unnest($1::text[], $2::text[]) AS d(battery_name, name) \
                 WHERE s.battery_name = d.battery_name AND s.name = d.name",
                vec![sub_battery_owners.into(), sub_battery_names.into()],
            ),
            ("DELETE FROM questions.batteries WHERE name = ANY($1)", vec![batteries.into()]),
        ] {
            conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
        }
        reset_identity(conn, "questions.sub_batteries", "id").await?;
        notify_data_changed(conn, NAME, Direction::Down).await
    }
}
