//! A requested page of a table: sort, filters and paging from the query string, each checked
//! against the table (400 naming the parameter otherwise). A CSV takes the same view and reads
//! all of it, its paging aside.

use serde::Serialize;
use utoipa::ToSchema;

use crate::data_browser::registry::{ColumnKind, FilterOp, Table};
use crate::error::AppError;

pub(crate) const DEFAULT_PAGE_SIZE: u64 = 50;
/// A page is bounded: no response holds a whole large table.
pub(crate) const MAX_PAGE_SIZE: u64 = 200;
/// The last page asked for (offsets stay far inside PostgreSQL's bigint).
pub(crate) const MAX_PAGE: u64 = 1_000_000_000;

/// One filter, its value checked against the column's type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Filter {
    pub column: String,
    pub op: FilterOp,
    /// As given: a value, or `lo..hi` for a range.
    pub value: String,
    #[serde(skip)]
    pub bounds: Bounds,
}

/// A filter's typed value(s).
#[derive(Debug, Clone, Default)]
pub(crate) enum Bounds {
    #[default]
    None,
    One(Typed),
    Range(Option<Typed>, Option<Typed>),
}

/// A value of a column's type.
#[derive(Debug, Clone)]
pub(crate) enum Typed {
    Integer(i64),
    Decimal(f64),
    Text(String),
    Boolean(bool),
    Timestamp(chrono::DateTime<chrono::FixedOffset>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SortOrder {
    Asc,
    Desc,
}

/// A validated page request.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub page: u64,
    pub page_size: u64,
    /// The sort column (default: the primary key's first column).
    pub sort: String,
    pub order: SortOrder,
    pub filters: Vec<Filter>,
    /// The columns shown (the table's browsable ones).
    pub columns: Vec<String>,
    /// The columns that order rows after the sort column (the whole primary key).
    pub row_order: Vec<String>,
}

impl View {
    /// Reads `page`, `page_size`, `sort`, `order` and every `filter` (`<column>:<op>:<value>`)
    /// from the query string.
    ///
    /// # Errors
    /// A parameter that is not acceptable for `table` (400 naming it).
    pub(crate) fn parse(table: &Table, query: Option<&str>) -> Result<Self, AppError> {
        let mut view = View {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            sort: table.primary_key.first().or(table.columns.first().map(|c| &c.name)).cloned().unwrap_or_default(),
            order: SortOrder::Asc,
            filters: Vec::new(),
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
            row_order: table.row_order.clone(),
        };
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                "page" => view.page = number("page", &value, 1, MAX_PAGE)?,
                "page_size" => view.page_size = number("page_size", &value, 1, MAX_PAGE_SIZE)?,
                "sort" => {
                    let column = table.column(&value).ok_or_else(|| unknown_column("sort", &value))?;
                    if matches!(column.kind, ColumnKind::Json) {
                        return Err(AppError::invalid_parameter(
                            "sort",
                            format!("'{value}' holds JSON and cannot be sorted"),
                        ));
                    }
                    view.sort = value.into_owned();
                }
                "order" => {
                    view.order = match value.as_ref() {
                        "asc" => SortOrder::Asc,
                        "desc" => SortOrder::Desc,
                        other => {
                            return Err(AppError::invalid_parameter(
                                "order",
                                format!("order is asc or desc, not '{other}'"),
                            ));
                        }
                    }
                }
                "filter" => view.filters.push(filter(table, &value)?),
                other => return Err(AppError::invalid_parameter(other, format!("unknown parameter '{other}'"))),
            }
        }
        Ok(view)
    }

    pub(crate) fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }
}

fn unknown_column(parameter: &str, column: &str) -> AppError {
    AppError::invalid_parameter(parameter, format!("no browsable column '{column}'"))
}

fn number(parameter: &str, value: &str, min: u64, max: u64) -> Result<u64, AppError> {
    value.parse::<u64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
        AppError::invalid_parameter(
            parameter,
            format!("{parameter} is a whole number from {min} to {max}, not '{value}'"),
        )
    })
}

fn filter(table: &Table, text: &str) -> Result<Filter, AppError> {
    let bad = |message: String| AppError::invalid_parameter("filter", message);
    let mut parts = text.splitn(3, ':');
    let (Some(name), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad(format!("a filter is <column>:<eq|contains|range>:<value>, not '{text}'")));
    };
    let column = table.column(name).ok_or_else(|| unknown_column("filter", name))?;
    let op = match op {
        "eq" => FilterOp::Eq,
        "contains" => FilterOp::Contains,
        "range" => FilterOp::Range,
        other => return Err(bad(format!("unknown filter '{other}': eq, contains or range"))),
    };
    if !column.filters.contains(&op) {
        return Err(bad(format!("'{name}' ({:?}) cannot be filtered with {op:?}", column.kind).to_lowercase()));
    }
    let typed = |value: &str| {
        typed(column.kind, value)
            .ok_or_else(|| bad(format!("'{value}' is not a {:?} for '{name}'", column.kind).to_lowercase()))
    };
    let bounds = match op {
        FilterOp::Eq | FilterOp::Contains => Bounds::One(typed(value)?),
        FilterOp::Range => {
            let (lo, hi) = value.split_once("..").ok_or_else(|| bad(format!("a range is lo..hi, not '{value}'")))?;
            let side = |s: &str| if s.is_empty() { Ok(None) } else { typed(s).map(Some) };
            let (lo, hi) = (side(lo)?, side(hi)?);
            if lo.is_none() && hi.is_none() {
                return Err(bad("a range needs at least one end".to_owned()));
            }
            Bounds::Range(lo, hi)
        }
    };
    Ok(Filter { column: name.to_owned(), op, value: value.to_owned(), bounds })
}

fn typed(kind: ColumnKind, value: &str) -> Option<Typed> {
    match kind {
        ColumnKind::Integer => value.parse().ok().map(Typed::Integer),
        ColumnKind::Decimal => value.parse::<f64>().ok().filter(|v| v.is_finite()).map(Typed::Decimal),
        ColumnKind::Boolean => value.parse().ok().map(Typed::Boolean),
        ColumnKind::Timestamp => chrono::DateTime::parse_from_rfc3339(value)
            .ok()
            .or_else(|| {
                let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
                Some(day.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
            })
            .map(Typed::Timestamp),
        // Text, with no NUL (PostgreSQL's text cannot hold one).
        ColumnKind::Text => (!value.contains('\0') && value.len() <= 500).then(|| Typed::Text(value.to_owned())),
        ColumnKind::Json | ColumnKind::Array => None,
    }
}
