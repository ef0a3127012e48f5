//! Relations across PostgreSQL schemas, written by hand: `sea-orm-cli generate entity` discovers
//! one schema per run and leaves out foreign keys that point into another schema.

use sea_orm::entity::prelude::*;

use crate::{polls, questions, surveys, users};

/// `surveys.responses.var_name → questions.questions.var_name`
impl Related<questions::questions::Entity> for surveys::responses::Entity {
    fn to() -> RelationDef {
        surveys::responses::Entity::belongs_to(questions::questions::Entity)
            .from(surveys::responses::Column::VarName)
            .to(questions::questions::Column::VarName)
            .into()
    }
}

impl Related<surveys::responses::Entity> for questions::questions::Entity {
    fn to() -> RelationDef {
        questions::questions::Entity::has_many(surveys::responses::Entity).into()
    }
}

/// `polls.polls.created_by → users.accounts.id`
impl Related<users::accounts::Entity> for polls::polls::Entity {
    fn to() -> RelationDef {
        polls::polls::Entity::belongs_to(users::accounts::Entity)
            .from(polls::polls::Column::CreatedBy)
            .to(users::accounts::Column::Id)
            .into()
    }
}

/// `polls.poll_questions.catalog_var_name → questions.questions.var_name` (catalog questions only)
impl Related<questions::questions::Entity> for polls::poll_questions::Entity {
    fn to() -> RelationDef {
        polls::poll_questions::Entity::belongs_to(questions::questions::Entity)
            .from(polls::poll_questions::Column::CatalogVarName)
            .to(questions::questions::Column::VarName)
            .into()
    }
}
