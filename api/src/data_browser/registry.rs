//! Which tables the data browser shows and how: each browsable entity once, its columns read
//! from the entity (name, type, nullability, primary key) and its links from PostgreSQL's foreign
//! keys. Secrets never leave: a column listed in [`SECRET_COLUMNS`] is neither shown, sorted,
//! filtered nor exported, and `polls.signing_keys` is not browsable at all.

use std::collections::HashMap;

use entity::{polls, questions, surveys, users};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, IdenStatic, Iterable, PrimaryKeyToColumn,
    Statement,
};
use serde::Serialize;
use tokio::sync::OnceCell;
use utoipa::ToSchema;

use crate::data_browser::query;
use crate::data_browser::view::View;
use crate::error::AppError;

/// Columns that hold secrets or credentials: password and session-token hashes, a participant's
/// client token (it answers for them) and device id (half of their device cookie).
pub(crate) const SECRET_COLUMNS: &[(&str, &str, &str)] = &[
    ("users", "accounts", "password_hash"),
    ("users", "sessions", "token_hash"),
    ("polls", "respondents", "client_token"),
    ("polls", "respondents", "device_id"),
    ("polls", "poll_joins", "device_id"),
    ("polls", "presenter_links", "secret_hash"),
    ("polls", "audience_questions", "device_id"),
    ("polls", "audience_question_votes", "device_id"),
];

/// How a column's values are typed, filtered and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ColumnKind {
    Integer,
    Decimal,
    Text,
    Boolean,
    Timestamp,
    Json,
    Array,
}

impl ColumnKind {
    fn of(column_type: &ColumnType) -> Self {
        match column_type {
            ColumnType::TinyInteger
            | ColumnType::SmallInteger
            | ColumnType::Integer
            | ColumnType::BigInteger
            | ColumnType::TinyUnsigned
            | ColumnType::SmallUnsigned
            | ColumnType::Unsigned
            | ColumnType::BigUnsigned => Self::Integer,
            ColumnType::Float | ColumnType::Double | ColumnType::Decimal(_) | ColumnType::Money(_) => Self::Decimal,
            ColumnType::Boolean => Self::Boolean,
            ColumnType::DateTime | ColumnType::Timestamp | ColumnType::TimestampWithTimeZone | ColumnType::Date => {
                Self::Timestamp
            }
            ColumnType::Json | ColumnType::JsonBinary => Self::Json,
            ColumnType::Array(_) => Self::Array,
            _ => Self::Text,
        }
    }

    /// The filters this kind of column takes.
    pub(crate) fn filters(self) -> &'static [FilterOp] {
        match self {
            Self::Integer | Self::Decimal | Self::Timestamp => &[FilterOp::Eq, FilterOp::Range],
            Self::Text => &[FilterOp::Eq, FilterOp::Contains],
            Self::Boolean => &[FilterOp::Eq],
            Self::Json | Self::Array => &[],
        }
    }
}

/// A filter's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FilterOp {
    /// The value equals.
    Eq,
    /// Text containing the value, ignoring case.
    Contains,
    /// `lo..hi`, inclusive; either side may be left out.
    Range,
}

/// Another table's column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ColumnRef {
    pub schema: String,
    pub table: String,
    pub column: String,
    /// Further column pairs of a foreign key over several columns: (this table's, the other's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<(String, String)>,
}

/// A browsable column.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
    pub nullable: bool,
    pub filters: Vec<FilterOp>,
    /// The row this value refers to (a foreign key), if any.
    pub link: Option<ColumnRef>,
    /// Tables whose rows refer to this column's value.
    pub referenced_by: Vec<ColumnRef>,
}

/// What the browser knows of an entity before links are added.
pub(crate) struct EntityShape {
    pub columns: Vec<(String, ColumnKind, bool)>,
    pub primary_key: Vec<String>,
}

/// Reads a page of rows as JSON objects, and counts the rows matching the view.
pub(crate) type ReadPage =
    for<'a> fn(&'a DatabaseConnection, &'a View) -> BoxFuture<'a, Result<(u64, Vec<serde_json::Value>), AppError>>;
/// Counts the rows matching a view's filters.
pub(crate) type CountView = for<'a> fn(&'a DatabaseConnection, &'a View) -> BoxFuture<'a, Result<u64, AppError>>;
/// Reads up to `limit` rows of a view from the `offset`th, in its order (the page it names aside).
pub(crate) type ReadRows =
    for<'a> fn(&'a DatabaseConnection, &'a View, u64, u64) -> BoxFuture<'a, Result<Vec<serde_json::Value>, AppError>>;
type CountAll = for<'a> fn(&'a DatabaseConnection) -> BoxFuture<'a, Result<u64, AppError>>;

/// One browsable table.
pub(crate) struct Table {
    pub schema: &'static str,
    pub name: &'static str,
    /// The primary key's browsable columns.
    pub primary_key: Vec<String>,
    /// The whole primary key, secret columns too: the last sort keys, so pages never overlap.
    pub row_order: Vec<String>,
    pub columns: Vec<ColumnInfo>,
    pub read: ReadPage,
    pub count: CountView,
    pub read_rows: ReadRows,
    count_all: CountAll,
}

impl Table {
    pub(crate) fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// # Errors
    /// Database failure.
    pub(crate) async fn rows(&self, db: &DatabaseConnection) -> Result<u64, AppError> {
        (self.count_all)(db).await
    }
}

fn shape<E: EntityTrait>() -> EntityShape {
    let (schema, table) =
        (E::default().schema_name().map(|s| s.to_string()).unwrap_or_default(), E::default().table_name().to_owned());
    let secret =
        |column: &str| SECRET_COLUMNS.iter().any(|s| (s.0, s.1, s.2) == (schema.as_str(), table.as_str(), column));
    let columns = E::Column::iter()
        .map(|c| (c.as_str().to_owned(), c.def()))
        .filter(|(name, _)| !secret(name))
        .map(|(name, def)| (name, ColumnKind::of(def.get_column_type()), def.is_null()))
        .collect();
    let primary_key = E::PrimaryKey::iter().map(|k| k.into_column().as_str().to_owned()).collect();
    EntityShape { columns, primary_key }
}

fn read<'a, E: EntityTrait>(
    db: &'a DatabaseConnection,
    view: &'a View,
) -> BoxFuture<'a, Result<(u64, Vec<serde_json::Value>), AppError>>
where
    E::Model: Sync,
{
    Box::pin(query::page::<E>(db, view))
}

fn count<'a, E: EntityTrait>(db: &'a DatabaseConnection, view: &'a View) -> BoxFuture<'a, Result<u64, AppError>>
where
    E::Model: Sync,
{
    Box::pin(query::count::<E>(db, view))
}

fn read_rows<'a, E: EntityTrait>(
    db: &'a DatabaseConnection,
    view: &'a View,
    offset: u64,
    limit: u64,
) -> BoxFuture<'a, Result<Vec<serde_json::Value>, AppError>>
where
    E::Model: Sync,
{
    Box::pin(query::rows::<E>(db, view, offset, limit))
}

fn count_all<E: EntityTrait>(db: &DatabaseConnection) -> BoxFuture<'_, Result<u64, AppError>>
where
    E::Model: Sync,
{
    Box::pin(query::count_all::<E>(db))
}

/// An entity in the registry: its place, shape and readers.
struct Entry {
    schema: &'static str,
    name: &'static str,
    shape: fn() -> EntityShape,
    read: ReadPage,
    count: CountView,
    read_rows: ReadRows,
    count_all: CountAll,
}

macro_rules! entries {
    ($($schema:literal $table:literal => $entity:ty),* $(,)?) => {
        vec![$(Entry {
            schema: $schema,
            name: $table,
            shape: shape::<$entity>,
            read: read::<$entity>,
            count: count::<$entity>,
            read_rows: read_rows::<$entity>,
            count_all: count_all::<$entity>,
        }),*]
    };
}

/// Every browsable entity, by schema (`polls.signing_keys` is left out: it is nothing but a secret).
fn entries() -> Vec<Entry> {
    entries![
        "questions" "batteries" => questions::batteries::Entity,
        "questions" "sub_batteries" => questions::sub_batteries::Entity,
        "questions" "questions" => questions::questions::Entity,
        "users" "accounts" => users::accounts::Entity,
        "users" "sessions" => users::sessions::Entity,
        "users" "login_failures" => users::login_failures::Entity,
        "users" "client_allowances" => users::client_allowances::Entity,
        "surveys" "waves" => surveys::waves::Entity,
        "surveys" "respondents" => surveys::respondents::Entity,
        "surveys" "responses" => surveys::responses::Entity,
        "polls" "polls" => polls::polls::Entity,
        "polls" "poll_questions" => polls::poll_questions::Entity,
        "polls" "respondents" => polls::respondents::Entity,
        "polls" "answers" => polls::answers::Entity,
        "polls" "answer_choices" => polls::answer_choices::Entity,
        "polls" "answer_words" => polls::answer_words::Entity,
        "polls" "hidden_words" => polls::hidden_words::Entity,
        "polls" "allowed_words" => polls::allowed_words::Entity,
        "polls" "answer_texts" => polls::answer_texts::Entity,
        "polls" "answer_ranks" => polls::answer_ranks::Entity,
        "polls" "presenter_links" => polls::presenter_links::Entity,
        "polls" "frozen_results" => polls::frozen_results::Entity,
        "polls" "audience_questions" => polls::audience_questions::Entity,
        "polls" "audience_question_votes" => polls::audience_question_votes::Entity,
        "polls" "qa_boards" => polls::qa_boards::Entity,
        "polls" "poll_resets" => polls::poll_resets::Entity,
        "polls" "ballot_voids" => polls::ballot_voids::Entity,
        "polls" "poll_joins" => polls::poll_joins::Entity,
        "polls" "poll_audiences" => polls::poll_audiences::Entity,
    ]
}

/// A foreign key as PostgreSQL has it.
#[derive(Debug, FromQueryResult)]
struct ForeignKey {
    from_schema: String,
    from_table: String,
    from_columns: Vec<String>,
    to_schema: String,
    to_table: String,
    to_columns: Vec<String>,
}

/// The browsable tables with their links: read once (the schema changes only with a migration,
/// which restarts nothing but is followed by a deploy).
#[derive(Default)]
pub(crate) struct Registry {
    tables: OnceCell<Vec<Table>>,
}

impl Registry {
    /// # Errors
    /// Database failure (reading the foreign keys the first time).
    pub(crate) async fn tables(&self, db: &DatabaseConnection) -> Result<&[Table], AppError> {
        let tables = self.tables.get_or_try_init(|| build(db)).await?;
        Ok(tables)
    }

    /// # Errors
    /// No such browsable table (400 naming `table`), database failure.
    pub(crate) async fn table(&self, db: &DatabaseConnection, schema: &str, name: &str) -> Result<&Table, AppError> {
        self.tables(db)
            .await?
            .iter()
            .find(|t| t.schema == schema && t.name == name)
            .ok_or_else(|| AppError::invalid_parameter("table", format!("no browsable table '{schema}.{name}'")))
    }
}

/// The other end of a foreign key, seen from this one: a key over several columns is shown on
/// its last column, the others paired alongside as (this table's column, the other's).
fn reference((schema, table): (&str, &str), theirs: &[String], ours: &[String]) -> Option<ColumnRef> {
    let (column, theirs) = theirs.split_last()?;
    let also = ours.iter().zip(theirs).map(|(a, b)| (a.clone(), b.clone())).collect();
    Some(ColumnRef { schema: schema.to_owned(), table: table.to_owned(), column: column.clone(), also })
}

async fn build(db: &DatabaseConnection) -> Result<Vec<Table>, AppError> {
    // Raw SQL: the catalog's foreign keys, which no entity describes across schemas.
    let keys = ForeignKey::find_by_statement(Statement::from_string(
        DbBackend::Postgres,
        "SELECT fn.nspname AS from_schema, fc.relname AS from_table,
                (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS from_columns,
                tn.nspname AS to_schema, tc.relname AS to_table,
                (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS to_columns
         FROM pg_constraint c
         JOIN pg_class fc ON fc.oid = c.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
         JOIN pg_class tc ON tc.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
         WHERE c.contype = 'f' AND fn.nspname IN ('questions', 'users', 'surveys', 'polls')
         ORDER BY c.conname",
    ))
    .all(db)
    .await?;
    let entries = entries();
    let shapes: HashMap<(&str, &str), EntityShape> =
        entries.iter().map(|e| ((e.schema, e.name), (e.shape)())).collect();
    let visible = |schema: &str, table: &str, column: &str| {
        shapes.get(&(schema, table)).is_some_and(|s| s.columns.iter().any(|c| c.0 == column))
    };
    let keys: Vec<&ForeignKey> = keys
        .iter()
        .filter(|k| {
            k.from_columns.iter().all(|c| visible(&k.from_schema, &k.from_table, c))
                && k.to_columns.iter().all(|c| visible(&k.to_schema, &k.to_table, c))
        })
        .collect();
    Ok(entries
        .iter()
        .map(|entry| {
            let shape = &shapes[&(entry.schema, entry.name)];
            let columns = shape
                .columns
                .iter()
                .map(|(name, kind, nullable)| {
                    let link = keys
                        .iter()
                        .filter(|k| k.from_schema == entry.schema && k.from_table == entry.name)
                        .find(|k| k.from_columns.last() == Some(name))
                        .and_then(|k| reference((&k.to_schema, &k.to_table), &k.to_columns, &k.from_columns));
                    let referenced_by = keys
                        .iter()
                        .filter(|k| {
                            k.to_schema == entry.schema && k.to_table == entry.name && k.to_columns.last() == Some(name)
                        })
                        .filter_map(|k| reference((&k.from_schema, &k.from_table), &k.from_columns, &k.to_columns))
                        .collect();
                    ColumnInfo {
                        name: name.clone(),
                        kind: *kind,
                        nullable: *nullable,
                        filters: kind.filters().to_vec(),
                        link,
                        referenced_by,
                    }
                })
                .collect();
            Table {
                schema: entry.schema,
                name: entry.name,
                primary_key: shape
                    .primary_key
                    .iter()
                    .filter(|k| shape.columns.iter().any(|c| &c.0 == *k))
                    .cloned()
                    .collect(),
                row_order: shape.primary_key.clone(),
                columns,
                read: entry.read,
                count: entry.count,
                read_rows: entry.read_rows,
                count_all: entry.count_all,
            }
        })
        .collect())
}
