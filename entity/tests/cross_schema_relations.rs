//! The hand-written relations across PostgreSQL schemas (`cross_schema.rs`) join the columns
//! their foreign keys name, on a migrated database.

use entity::polls::{poll_questions, polls};
use entity::questions::questions;
use entity::surveys::responses;
use entity::users::accounts;
use migration::{Migrator, MigratorTrait};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use testkit::TestDatabase;

async fn migrated() -> TestDatabase {
    let db = TestDatabase::create().await;
    let data = migration::data_source::DataSourceSettings::local(testkit::repo_data_dir()).expect("manifest");
    migration::data_source::with_data_source(data, Migrator::up(&db.conn, None)).await.expect("migrate up");
    db
}

#[tokio::test]
async fn survey_responses_join_their_catalog_questions_both_ways() {
    let db = migrated().await;
    let joined = responses::Entity::find().find_also_related(questions::Entity).limit(200).all(&db.conn).await.unwrap();
    assert_eq!(joined.len(), 200);
    for (response, question) in &joined {
        assert_eq!(question.as_ref().map(|q| &q.var_name), Some(&response.var_name));
    }
    let pid3 = questions::Entity::find_by_id("pid3".to_owned()).one(&db.conn).await.unwrap().expect("pid3");
    let via_relation = pid3.find_related(responses::Entity).count(&db.conn).await.unwrap();
    let by_column =
        responses::Entity::find().filter(responses::Column::VarName.eq("pid3")).count(&db.conn).await.unwrap();
    assert!(by_column > 0);
    assert_eq!(via_relation, by_column);
}

#[tokio::test]
async fn polls_join_their_creator_and_their_questions_join_the_catalog() {
    let db = migrated().await;
    // No development accounts are loaded by default: make one.
    let account = accounts::ActiveModel {
        email: Set("creator@example.org".to_owned()),
        name: Set("Poll Creator".to_owned()),
        role: Set("admin".to_owned()),
        password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_owned()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .unwrap();
    let poll = polls::ActiveModel {
        slug: Set("relations-test".to_owned()),
        title: Set("Relations".to_owned()),
        description: Set(String::new()),
        created_by: Set(Some(account.id)),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .unwrap();
    poll_questions::ActiveModel {
        poll_id: Set(poll.id),
        var_name: Set("pid3".to_owned()),
        catalog_var_name: Set(Some("pid3".to_owned())),
        position: Set(0),
        response_indices: Set(vec![0, 1]),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .unwrap();
    // A presenter's own question has no catalog question.
    poll_questions::ActiveModel {
        poll_id: Set(poll.id),
        var_name: Set("q2".to_owned()),
        kind: Set("choice".to_owned()),
        text: Set(Some("Where are you joining from?".to_owned())),
        options: Set(Some(vec!["Here".to_owned(), "Elsewhere".to_owned()])),
        max_choices: Set(Some(1)),
        position: Set(1),
        response_indices: Set(vec![0, 1]),
        ..Default::default()
    }
    .insert(&db.conn)
    .await
    .unwrap();

    let (_, creator) = polls::Entity::find_by_id(poll.id)
        .find_also_related(accounts::Entity)
        .one(&db.conn)
        .await
        .unwrap()
        .expect("the poll");
    assert_eq!(creator.map(|c| c.email), Some(account.email));

    let rows = poll_questions::Entity::find()
        .find_also_related(questions::Entity)
        .filter(poll_questions::Column::PollId.eq(poll.id))
        .order_by_asc(poll_questions::Column::Position)
        .all(&db.conn)
        .await
        .unwrap();
    let catalogs: Vec<Option<String>> = rows.into_iter().map(|(_, catalog)| catalog.map(|q| q.var_name)).collect();
    assert_eq!(catalogs, [Some("pid3".to_owned()), None]);
}
