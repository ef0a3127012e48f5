//! Poll rows in PostgreSQL, read and written through the generated entities.

use std::collections::{HashMap, HashSet};

use entity::polls::{
    allowed_words, answer_choices, answer_ranks, answer_texts, answer_words, answers, ballot_voids, hidden_words,
    poll_audiences, poll_joins, poll_questions, poll_resets, polls, respondents,
};
use entity::users::accounts;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, DerivePartialModel,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::error::AppError;
use crate::polls::kinds::{
    CatalogSpec, ChoiceSpec, OpenSpec, PredictSpec, QuestionSpec, RankingNationSpec, RankingSpec, ScaleSpec, WordsSpec,
};
use crate::polls::model::{PaceView, Pacing, QaMode, Review};

pub(crate) use crate::polls::kinds::PollQuestion;

/// A stored question row as the api knows it.
///
/// # Errors
/// A kind this build does not know (the schema's CHECK and the api disagree: a server fault).
fn question_of(row: poll_questions::Model) -> Result<PollQuestion, AppError> {
    let text = || row.text.clone().unwrap_or_default();
    let spec = match row.kind.as_str() {
        "catalog" => QuestionSpec::Catalog(CatalogSpec),
        "choice" => QuestionSpec::Choice(ChoiceSpec {
            text: text(),
            options: row.options.clone().unwrap_or_default(),
            max_choices: row.max_choices.unwrap_or(1),
        }),
        "scale" => QuestionSpec::Scale(ScaleSpec {
            text: text(),
            min: row.scale_min.unwrap_or(1),
            max: row.scale_max.unwrap_or(5),
            min_label: row.scale_min_label.clone().unwrap_or_default(),
            max_label: row.scale_max_label.clone().unwrap_or_default(),
        }),
        "words" => QuestionSpec::Words(WordsSpec { text: text() }),
        "open" => QuestionSpec::Open(OpenSpec { text: text() }),
        "ranking" => QuestionSpec::Ranking(RankingSpec {
            text: text(),
            items: row.options.clone().unwrap_or_default(),
            top_k: row.top_k.unwrap_or_default(),
            nation: row.item_var_names.clone().map(|var_names| RankingNationSpec {
                var_names,
                responses: row.nation_responses.clone().unwrap_or_default(),
                wave: row.nation_wave,
            }),
        }),
        "predict" => QuestionSpec::Predict(PredictSpec {
            text: text(),
            catalog_var_name: row.catalog_var_name.clone().unwrap_or_default(),
            responses: row.nation_responses.clone().unwrap_or_default(),
            group: row.nation_group.clone(),
            wave: row.nation_wave,
            show_closest: row.show_closest,
        }),
        other => return Err(AppError::internal(format!("unknown question kind '{other}'"))),
    };
    Ok(PollQuestion {
        var_name: row.var_name,
        offered: row.response_indices,
        results_hidden: row.results_hidden,
        speaker_notes: row.speaker_notes,
        timer_seconds: row.timer_seconds,
        spec,
    })
}

/// The row that stores `question` at `position` of poll `poll_id`.
fn question_row(poll_id: i32, position: i16, question: &PollQuestion) -> poll_questions::ActiveModel {
    let mut row = poll_questions::ActiveModel {
        poll_id: Set(poll_id),
        var_name: Set(question.var_name.clone()),
        position: Set(position),
        response_indices: Set(question.offered.clone()),
        results_hidden: Set(question.results_hidden),
        speaker_notes: Set(question.speaker_notes.clone()),
        timer_seconds: Set(question.timer_seconds),
        kind: Set(question.kind().name().as_str().to_owned()),
        catalog_var_name: Set(None),
        text: Set(None),
        options: Set(None),
        max_choices: Set(None),
        scale_min: Set(None),
        scale_max: Set(None),
        scale_min_label: Set(None),
        scale_max_label: Set(None),
        top_k: Set(None),
        item_var_names: Set(None),
        nation_responses: Set(None),
        nation_wave: Set(None),
        nation_group: Set(None),
        show_closest: Set(false),
    };
    match &question.spec {
        QuestionSpec::Catalog(_) => row.catalog_var_name = Set(Some(question.var_name.clone())),
        QuestionSpec::Choice(choice) => {
            row.text = Set(Some(choice.text.clone()));
            row.options = Set(Some(choice.options.clone()));
            row.max_choices = Set(Some(choice.max_choices));
        }
        QuestionSpec::Scale(scale) => {
            row.text = Set(Some(scale.text.clone()));
            row.scale_min = Set(Some(scale.min));
            row.scale_max = Set(Some(scale.max));
            row.scale_min_label = Set(Some(scale.min_label.clone()));
            row.scale_max_label = Set(Some(scale.max_label.clone()));
        }
        QuestionSpec::Words(words) => row.text = Set(Some(words.text.clone())),
        QuestionSpec::Open(open) => row.text = Set(Some(open.text.clone())),
        QuestionSpec::Ranking(ranking) => {
            row.text = Set(Some(ranking.text.clone()));
            row.options = Set(Some(ranking.items.clone()));
            row.top_k = Set(Some(ranking.top_k));
            if let Some(nation) = &ranking.nation {
                row.item_var_names = Set(Some(nation.var_names.clone()));
                row.nation_responses = Set(Some(nation.responses.clone()));
                row.nation_wave = Set(nation.wave);
            }
        }
        QuestionSpec::Predict(predict) => {
            row.text = Set(Some(predict.text.clone()));
            row.catalog_var_name = Set(Some(predict.catalog_var_name.clone()));
            row.nation_responses = Set(Some(predict.responses.clone()));
            row.nation_wave = Set(predict.wave);
            row.nation_group = Set(predict.group.clone());
            row.show_closest = Set(predict.show_closest);
        }
    }
    row
}

/// A poll row with its questions, in position order.
#[derive(Debug, Clone)]
pub(crate) struct PollRecord {
    pub poll: polls::Model,
    pub questions: Vec<PollQuestion>,
}

impl PollRecord {
    pub(crate) fn question(&self, var_name: &str) -> Option<&PollQuestion> {
        self.questions.iter().find(|q| q.var_name == var_name)
    }

    pub(crate) fn pacing(&self) -> Pacing {
        Pacing::named(&self.poll.pacing)
    }

    /// Where the poll stands: the question the presenter shows and whether answers are taken.
    pub(crate) fn pace(&self) -> PaceView {
        let pacing = self.pacing();
        match pacing {
            Pacing::AllAtOnce => PaceView {
                pacing,
                current_question: self.poll.current_question,
                voting_open: self.poll.is_open,
                voting_closes_at: None,
            },
            Pacing::Presenter => {
                let voting_open = self.poll.is_open && self.poll.current_question_open;
                PaceView {
                    pacing,
                    current_question: self.poll.current_question,
                    voting_open,
                    voting_closes_at: self.poll.current_question_closes_at.filter(|_| voting_open),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum PollKey<'a> {
    Id(i32),
    Slug(&'a str),
}

impl PollKey<'_> {
    fn condition(self) -> SimpleExpr {
        match self {
            PollKey::Id(id) => polls::Column::Id.eq(id),
            PollKey::Slug(slug) => polls::Column::Slug.eq(slug),
        }
    }
}

impl std::fmt::Display for PollKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollKey::Id(id) => write!(f, "{id}"),
            PollKey::Slug(slug) => write!(f, "'{slug}'"),
        }
    }
}

pub(crate) fn not_found(key: PollKey<'_>) -> AppError {
    AppError::NotFound(format!("no poll {key}"))
}

async fn questions_of<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<Vec<PollQuestion>, AppError> {
    let rows = poll_questions::Entity::find()
        .filter(poll_questions::Column::PollId.eq(poll_id))
        .order_by_asc(poll_questions::Column::Position)
        .all(db)
        .await?;
    rows.into_iter().map(question_of).collect()
}

/// The poll with this id or slug.
///
/// # Errors
/// No such poll (404).
pub(crate) async fn find<C: ConnectionTrait>(db: &C, key: PollKey<'_>) -> Result<PollRecord, AppError> {
    let poll = polls::Entity::find().filter(key.condition()).one(db).await?.ok_or_else(|| not_found(key))?;
    Ok(PollRecord { questions: questions_of(db, poll.id).await?, poll })
}

/// The name of the account that created a poll (`polls.created_by → users.accounts`).
#[derive(Debug, DerivePartialModel)]
#[sea_orm(entity = "accounts::Entity")]
pub(crate) struct Creator {
    pub name: String,
}

/// Every poll with its creator, newest first: two queries for any number of polls.
///
/// # Errors
/// Database failure.
pub(crate) async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<(PollRecord, Option<Creator>)>, AppError> {
    // Whole account rows: SeaORM 2.0's two-entity partial models cannot read a poll without a
    // creator (the left join's all-null side is an error there, not `None`).
    let rows = polls::Entity::find()
        .find_also_related(accounts::Entity)
        .order_by_desc(polls::Column::CreatedAt)
        .order_by_desc(polls::Column::Id)
        .all(db)
        .await?;
    let mut questions: HashMap<i32, Vec<PollQuestion>> = HashMap::new();
    let question_rows = poll_questions::Entity::find()
        .order_by_asc(poll_questions::Column::PollId)
        .order_by_asc(poll_questions::Column::Position)
        .all(db)
        .await?;
    for row in question_rows {
        questions.entry(row.poll_id).or_default().push(question_of(row)?);
    }
    Ok(rows
        .into_iter()
        .map(|(poll, account)| {
            let creator = account.map(|a| Creator { name: a.name });
            (PollRecord { questions: questions.remove(&poll.id).unwrap_or_default(), poll }, creator)
        })
        .collect())
}

/// The creator of one poll.
///
/// # Errors
/// Database failure.
pub(crate) async fn creator<C: ConnectionTrait>(db: &C, poll: &polls::Model) -> Result<Option<Creator>, AppError> {
    let Some(account_id) = poll.created_by else { return Ok(None) };
    Ok(accounts::Entity::find_by_id(account_id).into_partial_model::<Creator>().one(db).await?)
}

/// Stores a poll and its questions; returns its id.
///
/// # Errors
/// Database failure.
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    new: polls::ActiveModel,
    questions: &[PollQuestion],
) -> Result<i32, AppError> {
    let poll = new.insert(txn).await?;
    insert_questions(txn, poll.id, questions).await?;
    Ok(poll.id)
}

async fn insert_questions(txn: &DatabaseTransaction, poll_id: i32, questions: &[PollQuestion]) -> Result<(), AppError> {
    let rows = questions.iter().zip(0i16..).map(|(q, position)| question_row(poll_id, position, q));
    poll_questions::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// The poll to edit, its row locked until the transaction ends: an opening, a ballot or another
/// edit cannot slip in between the checks and the writes.
///
/// # Errors
/// No such poll (404); the poll is open (409).
pub(crate) async fn lock_for_edit(txn: &DatabaseTransaction, id: i32) -> Result<PollRecord, AppError> {
    let poll =
        polls::Entity::find_by_id(id).lock_exclusive().one(txn).await?.ok_or_else(|| not_found(PollKey::Id(id)))?;
    if poll.is_open {
        return Err(AppError::Conflict("close the poll before editing it".to_owned()));
    }
    Ok(PollRecord { questions: questions_of(txn, id).await?, poll })
}

/// Replaces an unanswered poll's definition (title, description, pacing, questions, split
/// question), after [`lock_for_edit`]. Rows hanging on the old questions (hidden and allowed
/// words) go with them.
///
/// # Errors
/// Database failure.
pub(crate) async fn replace_definition(
    txn: &DatabaseTransaction,
    id: i32,
    definition: polls::ActiveModel,
    questions: &[PollQuestion],
) -> Result<(), AppError> {
    // The split question may be among those replaced: clear it first (its foreign key is deferred).
    polls::Entity::update_many()
        .col_expr(polls::Column::SplitBy, Expr::value(Option::<String>::None))
        .filter(polls::Column::Id.eq(id))
        .exec(txn)
        .await?;
    poll_questions::Entity::delete_many().filter(poll_questions::Column::PollId.eq(id)).exec(txn).await?;
    insert_questions(txn, id, questions).await?;
    let mut definition = definition;
    definition.id = Set(id);
    definition.updated_at = Set(chrono::Utc::now().fixed_offset());
    definition.current_question = Set(None);
    definition.current_question_open = Set(false);
    definition.current_question_closes_at = Set(None);
    definition.update(txn).await?;
    Ok(())
}

/// Rewrites an answered poll's wording in place (after [`lock_for_edit`] and
/// [`crate::polls::edits::wording_only`]): its title and description, each question's row as
/// `questions` has it. The rows keep their keys, so answers and moderated words stay theirs;
/// where a presenter-paced poll stands stays too.
///
/// # Errors
/// Database failure.
pub(crate) async fn update_wording(
    txn: &DatabaseTransaction,
    id: i32,
    definition: polls::ActiveModel,
    questions: &[PollQuestion],
) -> Result<(), AppError> {
    for (question, position) in questions.iter().zip(0i16..) {
        question_row(id, position, question).update(txn).await?;
    }
    let mut definition = definition;
    definition.id = Set(id);
    definition.updated_at = Set(chrono::Utc::now().fixed_offset());
    definition.update(txn).await?;
    Ok(())
}

/// The offered values (options, responses, points) that have at least one answer, per question key.
pub(crate) type AnsweredValues = HashMap<String, HashSet<i16>>;

/// Which offered values of a poll's questions have answers: single answers and the several
/// options of a multiple choice.
///
/// # Errors
/// Database failure.
pub(crate) async fn answered_values<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<AnsweredValues, AppError> {
    let single: Vec<(String, i16)> = answers::Entity::find()
        .select_only()
        .column(answers::Column::VarName)
        .column(answers::Column::ResponseIndex)
        .distinct()
        .filter(answers::Column::PollId.eq(poll_id))
        .filter(answers::Column::ResponseIndex.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let several: Vec<(String, i16)> = answer_choices::Entity::find()
        .select_only()
        .column(answer_choices::Column::VarName)
        .column(answer_choices::Column::ResponseIndex)
        .distinct()
        .inner_join(answers::Entity)
        .filter(answers::Column::PollId.eq(poll_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut answered = AnsweredValues::new();
    for (var_name, value) in single.into_iter().chain(several) {
        answered.entry(var_name).or_default().insert(value);
    }
    Ok(answered)
}

/// Opens a closed poll with `join_code`; says whether it was closed (an open poll keeps its code).
///
/// # Errors
/// No such poll (404); `join_code` held by another open poll (a unique violation: draw another).
pub(crate) async fn open<C: ConnectionTrait>(db: &C, id: i32, join_code: &str) -> Result<bool, AppError> {
    // The screens open on the join slide (no current question): the presenter starts the first
    // question when the room has joined. A poll reopened later stays where it was.
    let changed = polls::Entity::update_many()
        .col_expr(polls::Column::IsOpen, Expr::value(true))
        .col_expr(polls::Column::JoinCode, Expr::value(join_code))
        .col_expr(
            polls::Column::FirstOpenedAt,
            Expr::col(polls::Column::FirstOpenedAt).if_null(Expr::current_timestamp()),
        )
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .filter(polls::Column::IsOpen.eq(false))
        .filter(polls::Column::ArchivedAt.is_null())
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        let poll = find(db, PollKey::Id(id)).await?;
        if poll.poll.archived_at.is_some() {
            return Err(AppError::Conflict("an archived poll cannot be opened; unarchive it first".to_owned()));
        }
        return Ok(false);
    }
    Ok(true)
}

/// Closes a poll, freeing its join code.
///
/// # Errors
/// No such poll (404).
pub(crate) async fn close<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), AppError> {
    let changed = polls::Entity::update_many()
        .col_expr(polls::Column::IsOpen, Expr::value(false))
        .col_expr(polls::Column::JoinCode, Expr::value(Option::<String>::None))
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(not_found(PollKey::Id(id)));
    }
    Ok(())
}

/// Hides or reveals one question's results.
///
/// # Errors
/// No such poll, or no such question in it (404).
pub(crate) async fn set_results_hidden<C: ConnectionTrait>(
    db: &C,
    id: i32,
    var_name: &str,
    hidden: bool,
) -> Result<(), AppError> {
    let changed = poll_questions::Entity::update_many()
        .col_expr(poll_questions::Column::ResultsHidden, Expr::value(hidden))
        .filter(poll_questions::Column::PollId.eq(id))
        .filter(poll_questions::Column::VarName.eq(var_name))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        find(db, PollKey::Id(id)).await?;
        return Err(AppError::NotFound(format!("poll {id} has no question '{var_name}'")));
    }
    polls::Entity::update_many()
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The slug of the open poll whose join code is `code`.
///
/// # Errors
/// Database failure.
pub(crate) async fn slug_by_join_code<C: ConnectionTrait>(db: &C, code: &str) -> Result<Option<String>, AppError> {
    Ok(polls::Entity::find()
        .select_only()
        .column(polls::Column::Slug)
        .filter(polls::Column::JoinCode.eq(code))
        .filter(polls::Column::IsOpen.eq(true))
        .into_tuple()
        .one(db)
        .await?)
}

/// Deletes a poll; its questions, respondents and answers go with it (ON DELETE CASCADE).
///
/// # Errors
/// No such poll (404).
pub(crate) async fn delete<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), AppError> {
    if polls::Entity::delete_by_id(id).exec(db).await?.rows_affected == 0 {
        return Err(not_found(PollKey::Id(id)));
    }
    Ok(())
}

/// How many participants answered the poll.
///
/// # Errors
/// Database failure.
pub(crate) async fn respondent_count<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<i64, AppError> {
    let n = respondents::Entity::find().filter(respondents::Column::PollId.eq(poll_id)).count(db).await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Participants per poll, for every poll with any.
///
/// # Errors
/// Database failure.
pub(crate) async fn respondent_counts<C: ConnectionTrait>(db: &C) -> Result<HashMap<i32, i64>, AppError> {
    let rows: Vec<(i32, i64)> = respondents::Entity::find()
        .select_only()
        .column(respondents::Column::PollId)
        .column_as(Expr::col(respondents::Column::Id).count(), "n")
        .group_by(respondents::Column::PollId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The respondent who answered `poll_id` with this client token, or else from this device, if any.
///
/// # Errors
/// Database failure.
pub(crate) async fn respondent_of<C: ConnectionTrait>(
    db: &C,
    poll_id: i32,
    token: &str,
    device_id: &str,
) -> Result<Option<i64>, AppError> {
    // The token's own respondent first, as the ballot writer resolves them.
    Ok(respondents::Entity::find()
        .select_only()
        .column(respondents::Column::Id)
        .filter(respondents::Column::PollId.eq(poll_id))
        .filter(
            Condition::any()
                .add(respondents::Column::ClientToken.eq(token))
                .add(respondents::Column::DeviceId.eq(device_id)),
        )
        .order_by_desc(Expr::col(respondents::Column::ClientToken).eq(token))
        .order_by_asc(respondents::Column::Id)
        .into_tuple()
        .one(db)
        .await?)
}

/// A presenter-paced poll's current question and whether it takes answers, as stored now.
///
/// # Errors
/// No such poll (404).
pub(crate) async fn current_question<C: ConnectionTrait>(db: &C, id: i32) -> Result<(Option<i16>, bool), AppError> {
    let poll = polls::Entity::find_by_id(id).one(db).await?.ok_or_else(|| not_found(PollKey::Id(id)))?;
    Ok((poll.current_question, poll.is_open && poll.current_question_open))
}

/// Sets which question a poll's screens show and (presenter-paced) whether it takes answers,
/// starting the question's countdown when its voting opens; gives when that countdown ends.
///
/// # Errors
/// No such poll (404); no question at `position` (422); voting opened on a closed poll (409).
pub(crate) async fn set_current<C: ConnectionTrait>(
    db: &C,
    id: i32,
    position: Option<i16>,
    voting_open: bool,
) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, AppError> {
    // Locked: an edit cannot change the questions between this check and the update.
    let poll =
        polls::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or_else(|| not_found(PollKey::Id(id)))?;
    let record = PollRecord { questions: questions_of(db, id).await?, poll };
    // An all-at-once poll's slide moves the projector only: its questions take answers together.
    let voting_open = voting_open && record.pacing() == Pacing::Presenter;
    if let Some(p) = position
        && usize::try_from(p).map_or(true, |p| p >= record.questions.len())
    {
        let last = record.questions.len().saturating_sub(1);
        return Err(AppError::invalid_field("position", format!("the poll's questions are at positions 0 to {last}")));
    }
    let voting_open = voting_open && position.is_some();
    // A closed poll's screens may still walk through its final results, but no question of it can
    // take answers: "voting open" on every screen while every ballot is refused would mislead.
    if voting_open && !record.poll.is_open {
        return Err(AppError::conflicting_field(
            "voting_open",
            "the poll is closed: open it in the console before opening a question's voting",
        ));
    }
    let timer = position
        .and_then(|p| record.questions.get(usize::try_from(p).ok()?))
        .and_then(|q| q.timer_seconds)
        .filter(|_| voting_open);
    // The database's clock: every process (and every ballot batch) judges the same deadline.
    let closes_at = timer.map_or_else(
        || Expr::value(Option::<chrono::DateTime<chrono::FixedOffset>>::None),
        |seconds| Expr::cust_with_values("now() + make_interval(secs => $1)", [f64::from(seconds)]),
    );
    // The deadline comes back from the update itself (the database computed it).
    let updated = polls::Entity::update_many()
        .col_expr(polls::Column::CurrentQuestion, Expr::value(position))
        .col_expr(polls::Column::CurrentQuestionOpen, Expr::value(voting_open))
        .col_expr(polls::Column::CurrentQuestionClosesAt, closes_at)
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next().and_then(|poll| poll.current_question_closes_at))
}

/// What [`close_when_due`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// The countdown had ended: voting on `current` is closed now.
    Closed { current: Option<i16> },
    /// Not yet (this process's clock ran ahead of the database's): try again at this time.
    NotYet(chrono::DateTime<chrono::FixedOffset>),
    /// No countdown runs (the presenter moved on, or another process closed it).
    None,
}

/// Closes voting on a poll's current question if its countdown has ended (by the database's
/// clock). Only one of several processes trying at once finds it due.
///
/// # Errors
/// Database failure.
pub(crate) async fn close_when_due<C: ConnectionTrait>(db: &C, id: i32) -> Result<Deadline, AppError> {
    let closed = polls::Entity::update_many()
        .col_expr(polls::Column::CurrentQuestionOpen, Expr::value(false))
        .col_expr(
            polls::Column::CurrentQuestionClosesAt,
            Expr::value(Option::<chrono::DateTime<chrono::FixedOffset>>::None),
        )
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .filter(Expr::col(polls::Column::CurrentQuestionClosesAt).lte(Expr::current_timestamp()))
        .exec_with_returning(db)
        .await?;
    if let Some(poll) = closed.into_iter().next() {
        return Ok(Deadline::Closed { current: poll.current_question });
    }
    let poll = polls::Entity::find_by_id(id).one(db).await?;
    Ok(poll.and_then(|p| p.current_question_closes_at).map_or(Deadline::None, Deadline::NotYet))
}

/// The polls whose countdown runs now, with when it ends.
///
/// # Errors
/// Database failure.
pub(crate) async fn running_countdowns<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(i32, chrono::DateTime<chrono::FixedOffset>)>, AppError> {
    let polls = polls::Entity::find().filter(polls::Column::CurrentQuestionClosesAt.is_not_null()).all(db).await?;
    Ok(polls.into_iter().filter_map(|p| Some((p.id, p.current_question_closes_at?))).collect())
}

/// Archives (closed polls only) or restores a poll.
///
/// # Errors
/// No such poll (404); archiving an open poll (409).
pub(crate) async fn set_archived<C: ConnectionTrait>(db: &C, id: i32, archived: bool) -> Result<(), AppError> {
    let record = find(db, PollKey::Id(id)).await?;
    let archived_at = if archived {
        Expr::value(record.poll.archived_at.unwrap_or_else(|| chrono::Utc::now().fixed_offset()))
    } else {
        Expr::value(Option::<chrono::DateTime<chrono::FixedOffset>>::None)
    };
    // Only a closed poll is archived, judged by the update itself: an opening may commit between
    // the read above and this.
    let changed = polls::Entity::update_many()
        .col_expr(polls::Column::ArchivedAt, archived_at)
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .filter(Expr::col(polls::Column::IsOpen).eq(false).or(Expr::value(!archived)))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(AppError::Conflict("close the poll before archiving it".to_owned()));
    }
    Ok(())
}

/// Deletes every participant (and so every answer) of a closed poll, puts a presenter-paced poll
/// back before its first question, and records who did it; returns how many participants went.
///
/// # Errors
/// No such poll (404); the poll is open (409).
pub(crate) async fn reset(txn: &DatabaseTransaction, id: i32, by: i32) -> Result<i64, AppError> {
    let poll =
        polls::Entity::find_by_id(id).lock_exclusive().one(txn).await?.ok_or_else(|| not_found(PollKey::Id(id)))?;
    if poll.is_open {
        return Err(AppError::Conflict("close the poll before resetting its answers".to_owned()));
    }
    let removed = respondents::Entity::delete_many().filter(respondents::Column::PollId.eq(id)).exec(txn).await?;
    let removed = i64::try_from(removed.rows_affected).unwrap_or(i64::MAX);
    // A rehearsal's browsers are not the talk's room.
    poll_joins::Entity::delete_many().filter(poll_joins::Column::PollId.eq(id)).exec(txn).await?;
    poll_audiences::Entity::delete_by_id(id).exec(txn).await?;
    // Nor are its questions to the presenter (their votes and the pin go with them).
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM polls.audience_questions WHERE poll_id = $1",
        [id.into()],
    ))
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM polls.qa_boards WHERE poll_id = $1",
        [id.into()],
    ))
    .await?;
    polls::Entity::update_many()
        .col_expr(polls::Column::CurrentQuestion, Expr::value(Option::<i16>::None))
        .col_expr(polls::Column::CurrentQuestionOpen, Expr::value(false))
        .col_expr(
            polls::Column::CurrentQuestionClosesAt,
            Expr::value(Option::<chrono::DateTime<chrono::FixedOffset>>::None),
        )
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec(txn)
        .await?;
    poll_resets::ActiveModel {
        poll_id: Set(id),
        reset_by: Set(Some(by)),
        respondents_removed: Set(removed),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(removed)
}

/// Whether the room sees the nation's answers while a question still takes answers; whether (and
/// how) the poll takes audience questions (each left as it is when `None`).
///
/// # Errors
/// No such poll (404).
pub(crate) async fn set_room_settings<C: ConnectionTrait>(
    db: &C,
    id: i32,
    national_during_voting: Option<bool>,
    qa_mode: Option<QaMode>,
) -> Result<(), AppError> {
    let mut update = polls::Entity::update_many();
    if let Some(shown) = national_during_voting {
        update = update.col_expr(polls::Column::NationalDuringVoting, Expr::value(shown));
    }
    if let Some(mode) = qa_mode {
        update = update.col_expr(polls::Column::QaMode, Expr::value(mode.as_str()));
    }
    let changed = update
        .col_expr(polls::Column::UpdatedAt, Expr::current_timestamp())
        .filter(polls::Column::Id.eq(id))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(not_found(PollKey::Id(id)));
    }
    Ok(())
}

/// How many browsers have joined the poll (since its last reset).
///
/// # Errors
/// Database failure.
pub(crate) async fn joined<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<i64, AppError> {
    Ok(poll_audiences::Entity::find_by_id(poll_id).one(db).await?.map_or(0, |audience| audience.joined))
}

/// Records that the browser `device_id` joined the open poll `poll_id`: the poll's join count
/// when this is its first join, `None` when it had joined before (or the poll is not open).
///
/// # Errors
/// Database failure.
pub(crate) async fn arrive<C: ConnectionTrait>(db: &C, poll_id: i32, device_id: &str) -> Result<Option<i64>, AppError> {
    // Raw SQL: an insert that does nothing for a browser that joined before, and the count
    // moved on in the same statement only when it did not (sea-query cannot chain the two).
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH joined AS (
                 INSERT INTO polls.poll_joins (poll_id, device_id)
                 SELECT id, $2 FROM polls.polls WHERE id = $1 AND is_open
                 ON CONFLICT DO NOTHING
                 RETURNING poll_id
             )
             INSERT INTO polls.poll_audiences (poll_id, joined)
             SELECT poll_id, 1 FROM joined
             ON CONFLICT (poll_id) DO UPDATE SET joined = polls.poll_audiences.joined + 1
             RETURNING joined",
            [poll_id.into(), device_id.into()],
        ))
        .await?;
    Ok(row.map(|row| row.try_get::<i64>("", "joined")).transpose()?)
}

/// How many times the poll's answers were taken away (resets, voids that removed any): the
/// epoch of its live version, so that a smaller total after either is still a newer version.
///
/// # Errors
/// Database failure.
pub(crate) async fn answers_epoch<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<u64, AppError> {
    let resets = poll_resets::Entity::find().filter(poll_resets::Column::PollId.eq(poll_id)).count(db).await?;
    let voids = ballot_voids::Entity::find()
        .filter(ballot_voids::Column::PollId.eq(poll_id))
        .filter(ballot_voids::Column::RespondentsRemoved.gt(0))
        .count(db)
        .await?;
    Ok(resets + voids)
}

/// The words presenters hid, per question key (normalized).
///
/// # Errors
/// Database failure.
pub(crate) async fn hidden_words<C: ConnectionTrait>(
    db: &C,
    poll_id: i32,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let rows = hidden_words::Entity::find()
        .filter(hidden_words::Column::PollId.eq(poll_id))
        .order_by_asc(hidden_words::Column::Word)
        .all(db)
        .await?;
    let mut by_question: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        by_question.entry(row.var_name).or_default().push(row.word);
    }
    Ok(by_question)
}

/// The words question `var_name` of poll `id`.
///
/// # Errors
/// No such poll or question (404), the question is not a words question (422).
async fn words_question<C: ConnectionTrait>(db: &C, id: i32, var_name: &str) -> Result<(), AppError> {
    let record = find(db, PollKey::Id(id)).await?;
    let Some(question) = record.question(var_name) else {
        return Err(AppError::NotFound(format!("poll {id} has no question '{var_name}'")));
    };
    if !matches!(question.spec, QuestionSpec::Words(_)) {
        return Err(AppError::invalid_field("var_name", format!("'{var_name}' is not a words question")));
    }
    Ok(())
}

/// Records a presenter's decision on one participant's answer to an open question (`by`: who
/// decided; none when it goes back to waiting).
///
/// # Errors
/// No such poll, question or answer (404), the question is not an open question (422).
pub(crate) async fn set_review<C: ConnectionTrait>(
    db: &C,
    (id, var_name): (i32, &str),
    respondent_id: i64,
    review: Review,
    by: Option<i32>,
) -> Result<(), AppError> {
    let record = find(db, PollKey::Id(id)).await?;
    let Some(question) = record.question(var_name) else {
        return Err(AppError::NotFound(format!("poll {id} has no question '{var_name}'")));
    };
    if !matches!(question.spec, QuestionSpec::Open(_)) {
        return Err(AppError::invalid_field("var_name", format!("'{var_name}' is not an open question")));
    }
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE polls.answer_texts t
                SET review = $1, reviewed_by = $2, reviewed_at = CASE WHEN $1 = 'pending' THEN NULL ELSE now() END
               FROM polls.answers a
              WHERE a.respondent_id = t.respondent_id AND a.var_name = t.var_name
                AND a.poll_id = $3 AND t.respondent_id = $4 AND t.var_name = $5",
            [review.as_str().into(), by.into(), id.into(), respondent_id.into(), var_name.into()],
        ))
        .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound(format!(
            "respondent {respondent_id} has not answered '{var_name}' of poll {id}"
        )));
    }
    Ok(())
}

/// Hides (or shows again) a normalized word of a words question.
///
/// # Errors
/// No such poll or question (404), the question is not a words question (422).
pub(crate) async fn set_word_hidden<C: ConnectionTrait>(
    db: &C,
    (id, var_name): (i32, &str),
    word: &str,
    hidden_by: Option<i32>,
) -> Result<(), AppError> {
    words_question(db, id, var_name).await?;
    match hidden_by {
        Some(by) => {
            let row = hidden_words::ActiveModel {
                poll_id: Set(id),
                var_name: Set(var_name.to_owned()),
                word: Set(word.to_owned()),
                hidden_by: Set(Some(by)),
                ..Default::default()
            };
            // Hidden already: nothing to do.
            hidden_words::Entity::insert(row)
                .on_conflict_do_nothing_on([
                    hidden_words::Column::PollId,
                    hidden_words::Column::VarName,
                    hidden_words::Column::Word,
                ])
                .exec(db)
                .await?;
        }
        None => {
            hidden_words::Entity::delete_many()
                .filter(hidden_words::Column::PollId.eq(id))
                .filter(hidden_words::Column::VarName.eq(var_name))
                .filter(hidden_words::Column::Word.eq(word))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// The blocked words presenters allowed, per question key (normalized).
///
/// # Errors
/// Database failure.
pub(crate) async fn allowed_words<C: ConnectionTrait>(
    db: &C,
    poll_id: i32,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let rows = allowed_words::Entity::find()
        .filter(allowed_words::Column::PollId.eq(poll_id))
        .order_by_asc(allowed_words::Column::Word)
        .all(db)
        .await?;
    let mut by_question: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        by_question.entry(row.var_name).or_default().push(row.word);
    }
    Ok(by_question)
}

/// Allows (`allowed_by` the admin) a normalized blocked word of a words question, or blocks it
/// again (`None`).
///
/// # Errors
/// No such poll or question (404), the question is not a words question (422).
pub(crate) async fn set_word_allowed<C: ConnectionTrait>(
    db: &C,
    (id, var_name): (i32, &str),
    word: &str,
    allowed_by: Option<i32>,
) -> Result<(), AppError> {
    words_question(db, id, var_name).await?;
    match allowed_by {
        Some(by) => {
            let row = allowed_words::ActiveModel {
                poll_id: Set(id),
                var_name: Set(var_name.to_owned()),
                word: Set(word.to_owned()),
                allowed_by: Set(Some(by)),
                ..Default::default()
            };
            // Allowed already: who allowed it first, and when, stay on record.
            allowed_words::Entity::insert(row)
                .on_conflict_do_nothing_on([
                    allowed_words::Column::PollId,
                    allowed_words::Column::VarName,
                    allowed_words::Column::Word,
                ])
                .exec(db)
                .await?;
        }
        None => {
            allowed_words::Entity::delete_many()
                .filter(allowed_words::Column::PollId.eq(id))
                .filter(allowed_words::Column::VarName.eq(var_name))
                .filter(allowed_words::Column::Word.eq(word))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Every stored answer of a poll: its rows, its several choices and its words (in their order).
pub(crate) struct StoredAnswers {
    pub answers: Vec<answers::Model>,
    pub choices: Vec<answer_choices::Model>,
    pub words: Vec<answer_words::Model>,
    pub texts: Vec<answer_texts::Model>,
    /// Rankings, each in place order.
    pub ranks: Vec<answer_ranks::Model>,
}

/// Reads every answer of the poll; with a transaction, together with anything else read in it.
///
/// # Errors
/// Database failure.
pub(crate) async fn stored_answers<C: ConnectionTrait>(db: &C, poll_id: i32) -> Result<StoredAnswers, AppError> {
    let answers = answers::Entity::find().filter(answers::Column::PollId.eq(poll_id)).all(db).await?;
    let choices = answer_choices::Entity::find()
        .inner_join(answers::Entity)
        .filter(answers::Column::PollId.eq(poll_id))
        .order_by_asc(answer_choices::Column::ResponseIndex)
        .all(db)
        .await?;
    let words = answer_words::Entity::find()
        .inner_join(answers::Entity)
        .filter(answers::Column::PollId.eq(poll_id))
        .order_by_asc(answer_words::Column::Position)
        .all(db)
        .await?;
    let texts = answer_texts::Entity::find()
        .inner_join(answers::Entity)
        .filter(answers::Column::PollId.eq(poll_id))
        .all(db)
        .await?;
    let ranks = answer_ranks::Entity::find()
        .inner_join(answers::Entity)
        .filter(answers::Column::PollId.eq(poll_id))
        .order_by_asc(answer_ranks::Column::Rank)
        .all(db)
        .await?;
    Ok(StoredAnswers { answers, choices, words, texts, ranks })
}

/// The respondent with this client token if they answered every question in `var_names`.
///
/// # Errors
/// Database failure.
pub(crate) async fn answered_all<C: ConnectionTrait>(
    db: &C,
    poll_id: i32,
    token: &str,
    device_id: &str,
    var_names: &[&str],
) -> Result<Option<i64>, AppError> {
    let Some(respondent_id) = respondent_of(db, poll_id, token, device_id).await? else { return Ok(None) };
    let answered = answers::Entity::find()
        .filter(answers::Column::RespondentId.eq(respondent_id))
        .filter(answers::Column::VarName.is_in(var_names.iter().copied()))
        .count(db)
        .await?;
    Ok((usize::try_from(answered).unwrap_or(0) == var_names.len()).then_some(respondent_id))
}
