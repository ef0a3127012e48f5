//! The staff data browser: the four schemas' tables, a table's rows page by page (JSON), and a
//! whole view as one streamed CSV file. Analysts and admins read; nobody writes through it.

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use futures_util::TryStreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::data_browser::export::{self, MAX_CSV_ROWS};
use crate::data_browser::registry::{ColumnInfo, Table};
use crate::data_browser::view::{Filter, SortOrder, View};
use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::path::AppPath;
use crate::http::extract::staff::StaffUser;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub(super) struct DataCatalog {
    /// questions, users, surveys, polls.
    pub schemas: Vec<SchemaTables>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct SchemaTables {
    pub name: String,
    pub tables: Vec<TableRows>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct TableRows {
    pub name: String,
    /// Rows in the table now.
    pub rows: u64,
}

/// A page of a table's rows.
#[derive(Serialize, ToSchema)]
pub(super) struct TablePage {
    pub schema: String,
    pub table: String,
    pub primary_key: Vec<String>,
    /// The browsable columns, in the table's order (secrets are never among them).
    pub columns: Vec<ColumnInfo>,
    pub page: u64,
    pub page_size: u64,
    /// Rows matching the filters.
    pub total: u64,
    pub sort: String,
    pub order: SortOrder,
    pub filters: Vec<Filter>,
    /// Objects keyed by column name.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
    /// The most rows the view's CSV (`…/csv`) holds: a view with more is refused there.
    pub csv_max_rows: u64,
}

/// The schemas and their browsable tables with their row counts.
#[utoipa::path(get, path = "/api/admin/data", tag = "data",
    responses((status = 200, body = DataCatalog), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_tables(State(state): State<AppState>, _staff: StaffUser) -> Result<Json<DataCatalog>, AppError> {
    let mut schemas: Vec<SchemaTables> = Vec::new();
    for table in state.data_tables.tables(&state.db).await? {
        let rows = TableRows { name: table.name.to_owned(), rows: table.rows(&state.db).await? };
        match schemas.iter_mut().find(|s| s.name == table.schema) {
            Some(schema) => schema.tables.push(rows),
            None => schemas.push(SchemaTables { name: table.schema.to_owned(), tables: vec![rows] }),
        }
    }
    Ok(Json(DataCatalog { schemas }))
}

async fn read_page(state: &AppState, (schema, name): (&str, &str), query: Option<&str>) -> Result<TablePage, AppError> {
    let table: &Table = state.data_tables.table(&state.db, schema, name).await?;
    let view = View::parse(table, query)?;
    let (total, rows) = (table.read)(&state.db, &view).await?;
    Ok(TablePage {
        schema: table.schema.to_owned(),
        table: table.name.to_owned(),
        primary_key: table.primary_key.clone(),
        columns: table.columns.clone(),
        page: view.page,
        page_size: view.page_size,
        total,
        sort: view.sort,
        order: view.order,
        filters: view.filters,
        rows,
        csv_max_rows: MAX_CSV_ROWS,
    })
}

/// A page of a table's rows, sorted by any column (then the primary key) and filtered per column
/// (`filter` repeats: `<column>:eq:<value>`, `<column>:contains:<text>` for text, ignoring case,
/// `<column>:range:<lo>..<hi>` for numbers and times, either end optional). A column that is a
/// foreign key says which row it refers to (`link`); `referenced_by` lists what refers to it.
#[utoipa::path(get, path = "/api/admin/data/{schema}/{table}", tag = "data",
    params(
        ("schema" = String, Path, description = "questions, users, surveys or polls"),
        ("table" = String, Path, description = "A browsable table of that schema"),
        ("page" = Option<u64>, Query, description = "From 1 (default 1)", minimum = 1, maximum = 1000000000),
        ("page_size" = Option<u64>, Query, description = "Rows per page, 1–200 (default 50)", minimum = 1, maximum = 200),
        ("sort" = Option<String>, Query, description = "A column (default: the primary key's first)"),
        ("order" = Option<SortOrder>, Query, description = "asc (default) or desc"),
        ("filter" = Option<Vec<String>>, Query, description = "<column>:<eq|contains|range>:<value>; repeat for several", explode = true),
    ),
    responses(
        (status = 200, body = TablePage),
        (status = 400, description = "An unknown table, column, filter or parameter, or a value not of its column's type; `error.parameter` names it", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
async fn get_rows(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath((schema, table)): AppPath<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<TablePage>, AppError> {
    Ok(Json(read_page(&state, (&schema, &table), query.as_deref()).await?))
}

/// The whole view as CSV — every row matching the filters, in the same order as the pages (the
/// sort column, then the primary key) — streamed in batches as it is read: a header of column
/// names, then the rows (text that could start a spreadsheet formula gets a leading `'`; JSON and
/// arrays as JSON text; null as an empty cell). At most 100,000 rows (`csv_max_rows` in a page):
/// the rows are counted first, and a larger view gets a 400 (`error.parameter` = `filter`, the
/// message naming the count and the maximum) before any row is sent. `page` and `page_size` are
/// still accepted (and checked) so that links made for a page keep working, but they no longer
/// limit the file.
#[utoipa::path(get, path = "/api/admin/data/{schema}/{table}/csv", tag = "data",
    params(
        ("schema" = String, Path, description = "questions, users, surveys or polls"),
        ("table" = String, Path, description = "A browsable table of that schema"),
        ("page" = Option<u64>, Query, description = "Accepted for compatibility and ignored: the CSV is the whole view", minimum = 1, maximum = 1000000000, deprecated),
        ("page_size" = Option<u64>, Query, description = "Accepted for compatibility and ignored: the CSV is the whole view", minimum = 1, maximum = 200, deprecated),
        ("sort" = Option<String>, Query, description = "A column (default: the primary key's first)"),
        ("order" = Option<SortOrder>, Query, description = "asc (default) or desc"),
        ("filter" = Option<Vec<String>>, Query, description = "<column>:<eq|contains|range>:<value>; repeat for several", explode = true),
    ),
    responses(
        (status = 200, description = "text/csv, streamed: the whole view (at most 100,000 rows)", content_type = "text/csv", body = String),
        (status = 400, description = "An unknown table, column, filter or parameter, or a view of more than 100,000 rows (`error.parameter` is `filter`: narrow the view)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ))]
async fn get_rows_csv(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath((schema, table)): AppPath<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let table: &Table = state.data_tables.table(&state.db, &schema, &table).await?;
    let view = View::parse(table, query.as_deref())?;
    let file = export::csv_file(&state.db, table, view, MAX_CSV_ROWS).await?;
    // A failure part way ends the body early: the download fails rather than looking whole.
    let body = Body::from_stream(file.body.inspect_err(|e| tracing::error!(error = ?e, "CSV download cut short")));
    Ok(super::downloads::csv_attachment(&file.file_name, body))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tables)).routes(routes!(get_rows)).routes(routes!(get_rows_csv))
}
