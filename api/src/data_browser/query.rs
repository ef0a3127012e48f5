//! One entity's rows as JSON objects: only the browsable columns, filtered, sorted (then by the
//! whole primary key, a total order, so pages and batches neither overlap nor leave gaps),
//! counted, bounded.

use sea_orm::sea_query::extension::postgres::PgExpr;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, IdenStatic, Iterable, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::data_browser::registry::FilterOp;
use crate::data_browser::view::{Bounds, Filter, SortOrder, Typed, View};
use crate::error::AppError;

fn column<E: EntityTrait>(name: &str) -> Result<E::Column, AppError> {
    // The view was checked against the same entity: a miss is a server fault.
    E::Column::iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| AppError::internal(format!("no column '{name}' in the entity")))
}

/// A filter's value as a bound parameter. An integer is bound as a `bigint` and says so in the
/// SQL (`CAST($1 AS bigint)`): without the cast, a statement the service also runs with an
/// `integer` parameter (`… WHERE poll_id = $1`, counting a poll's respondents) has the same text,
/// and the connection's cached prepared statement then refuses the 8-byte value.
fn value(typed: &Typed) -> SimpleExpr {
    match typed {
        Typed::Integer(v) => Expr::val(*v).cast_as("bigint"),
        Typed::Decimal(v) => Expr::val(*v),
        Typed::Text(v) => Expr::val(v.clone()),
        Typed::Boolean(v) => Expr::val(*v),
        Typed::Timestamp(v) => Expr::val(*v),
    }
}

fn condition<E: EntityTrait>(filter: &Filter) -> Result<Condition, AppError> {
    let c = column::<E>(&filter.column)?;
    let expr = || c.into_expr();
    Ok(match (&filter.op, &filter.bounds) {
        (FilterOp::Contains, Bounds::One(Typed::Text(text))) => {
            // Backslash is LIKE's escape character by default in PostgreSQL.
            let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            Condition::all().add(expr().ilike(LikeExpr::new(format!("%{escaped}%"))))
        }
        (_, Bounds::One(v)) => Condition::all().add(expr().eq(value(v))),
        (_, Bounds::Range(lo, hi)) => {
            let mut range = Condition::all();
            if let Some(lo) = lo {
                range = range.add(expr().gte(value(lo)));
            }
            if let Some(hi) = hi {
                range = range.add(expr().lte(value(hi)));
            }
            range
        }
        (_, Bounds::None) => Condition::all(),
    })
}

fn matching<E: EntityTrait>(view: &View) -> Result<Condition, AppError> {
    let mut matching = Condition::all();
    for filter in &view.filters {
        matching = matching.add(condition::<E>(filter)?);
    }
    Ok(matching)
}

/// The rows matching `view`'s filters (how many, and its page of them).
///
/// # Errors
/// Database failure.
pub(crate) async fn page<E: EntityTrait>(
    db: &DatabaseConnection,
    view: &View,
) -> Result<(u64, Vec<serde_json::Value>), AppError>
where
    E::Model: Sync,
{
    let total = count::<E>(db, view).await?;
    let page = rows::<E>(db, view, view.offset(), view.page_size).await?;
    Ok((total, page))
}

/// How many rows match `view`'s filters.
///
/// # Errors
/// Database failure.
pub(crate) async fn count<E: EntityTrait>(db: &DatabaseConnection, view: &View) -> Result<u64, AppError>
where
    E::Model: Sync,
{
    Ok(E::find().filter(matching::<E>(view)?).count(db).await?)
}

/// Up to `limit` of the rows matching `view`'s filters in its order, from the `offset`th (from 0),
/// whatever page the view names: the one reader of rows, for a page and for a CSV's batches.
///
/// # Errors
/// Database failure.
pub(crate) async fn rows<E: EntityTrait>(
    db: &DatabaseConnection,
    view: &View,
    offset: u64,
    limit: u64,
) -> Result<Vec<serde_json::Value>, AppError>
where
    E::Model: Sync,
{
    let mut select = E::find().filter(matching::<E>(view)?).select_only();
    for name in &view.columns {
        select = select.column(column::<E>(name)?);
    }
    let order = || if view.order == SortOrder::Asc { Order::Asc } else { Order::Desc };
    select = select.order_by(column::<E>(&view.sort)?, order());
    for key in view.row_order.iter().filter(|k| **k != view.sort) {
        select = select.order_by(column::<E>(key)?, order());
    }
    Ok(select.limit(limit).offset(offset).into_json().all(db).await?)
}

/// How many rows the entity's table holds.
///
/// # Errors
/// Database failure.
pub(crate) async fn count_all<E: EntityTrait>(db: &DatabaseConnection) -> Result<u64, AppError>
where
    E::Model: Sync,
{
    Ok(E::find().count(db).await?)
}
