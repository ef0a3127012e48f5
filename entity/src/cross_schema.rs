//! Relations across PostgreSQL schemas, written by hand: `sea-orm-cli generate entity` discovers
//! one schema per run and leaves out foreign keys that point into another schema.

use sea_orm::entity::prelude::*;

use crate::{questions, surveys};

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
