//! Running polls: admins create, open/close and delete; analysts read and export.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::http::ErrorBody;
use crate::http::extract::client::ClientAddress;
use crate::http::extract::json::AppJson;
use crate::http::extract::path::AppPath;
use crate::http::extract::staff::{AdminUser, StaffUser};
use crate::polls::ballots::activity::{self, PollActivity};
use crate::polls::ballots::voids::{self, BallotVoid, VoidRequest};
use crate::polls::live::frames::Audience;
use crate::polls::live::stream::StaffAccess;
use crate::polls::model::{
    AllowedWord, CreatedPresenterLink, CurrentQuestion, FrozenResults, HiddenWord, NewPoll, NewPresenterLink, Pacing,
    PollPatch, PollResults, PollView, PresenterLinkView, QuestionPatch, ResetConfirmation, ReviewDecision, StreamEvent,
};
use crate::polls::repository::PollKey;
use crate::polls::results::export;
use crate::polls::results::results;
use crate::polls::service;
use crate::polls::{frozen_results, presenter_links};
use crate::state::AppState;

/// Creates a poll (closed until opened).
#[utoipa::path(post, path = "/api/admin/polls", tag = "admin polls", request_body = NewPoll,
    responses(
        (status = 201, body = PollView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid poll; `error.field` names the field", body = ErrorBody),
    ))]
async fn create_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppJson(new): AppJson<NewPoll>,
) -> Result<(StatusCode, Json<PollView>), AppError> {
    let poll = service::create(&state.db, &state.surveys, admin.id, new).await?;
    tracing::info!(by = admin.id, poll = poll.id, slug = %poll.slug, "poll created");
    Ok((StatusCode::CREATED, Json(poll)))
}

/// Every poll, newest first.
#[utoipa::path(get, path = "/api/admin/polls", tag = "admin polls",
    responses((status = 200, body = Vec<PollView>), (status = 401, body = ErrorBody)))]
async fn list_polls(State(state): State<AppState>, _staff: StaffUser) -> Result<Json<Vec<PollView>>, AppError> {
    Ok(Json(service::list(&state.db, &state.surveys).await?))
}

/// One poll.
#[utoipa::path(get, path = "/api/admin/polls/{id}", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollView), (status = 404, body = ErrorBody)))]
async fn get_admin_poll(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<PollView>, AppError> {
    Ok(Json(service::get(&state.db, &state.surveys, id).await?))
}

/// Ballots per minute over the last 15 minutes (every minute listed, oldest first): a burst from
/// one script stands out against a hall voting question by question.
#[utoipa::path(get, path = "/api/admin/polls/{id}/activity", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollActivity), (status = 404, body = ErrorBody)))]
async fn get_poll_activity(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<PollActivity>, AppError> {
    Ok(Json(activity::per_minute(&state.db, id).await?))
}

/// Voids a burst of ballots: removes the respondents one client (as the activity view names it)
/// first answered with in `[from, to)`, with all their answers. Every screen's totals follow;
/// the void is logged and listed in the activity view. Admins only.
#[utoipa::path(post, path = "/api/admin/polls/{id}/voids", tag = "admin polls", request_body = VoidRequest,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 201, description = "Voided (possibly nothing: `respondents_removed` says)", body = BallotVoid),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A malformed `client`, or a window that does not end after it starts (`to`)", body = ErrorBody),
    ))]
async fn void_ballots(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(request): AppJson<VoidRequest>,
) -> Result<(StatusCode, Json<BallotVoid>), AppError> {
    Ok((StatusCode::CREATED, Json(voids::void_burst(&state.db, id, admin.id, &request).await?)))
}

/// Opens or closes a poll (its screens open on the join slide: the presenter starts the first
/// question), archives or restores it, or says whether the room sees the nation's answers to a
/// question while it still takes answers (`national_during_voting`, off by default), or whether
/// and how it takes audience questions (`qa_mode`).
#[utoipa::path(patch, path = "/api/admin/polls/{id}", tag = "admin polls", request_body = PollPatch,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, body = PollView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Opening an archived poll, or archiving an open one", body = ErrorBody),
        (status = 422, description = "None of `is_open`, `archived`, `national_during_voting`, `qa_mode` given", body = ErrorBody),
    ))]
async fn update_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(patch): AppJson<PollPatch>,
) -> Result<Json<PollView>, AppError> {
    let (db, surveys) = (&state.db, &state.surveys);
    let (national, qa_mode) = (patch.national_during_voting, patch.qa_mode);
    if national.is_some() || qa_mode.is_some() {
        let poll = service::set_room_settings(db, surveys, id, national, qa_mode).await?;
        if patch.is_open.is_none() && patch.archived.is_none() {
            tracing::info!(by = admin.id, poll = id, national_during_voting = ?national, qa_mode = ?qa_mode, "poll updated");
            return Ok(Json(poll));
        }
    }
    let poll = match (patch.is_open, patch.archived) {
        (None, None) => {
            return Err(AppError::invalid_field(
                "is_open",
                "give is_open, archived, national_during_voting and/or qa_mode",
            ));
        }
        (Some(true), Some(true)) => return Err(AppError::Conflict("an archived poll cannot be open".to_owned())),
        // Closing before archiving, unarchiving before opening: the order that can succeed.
        (Some(is_open), Some(archived)) if archived || !is_open => {
            service::set_open(db, surveys, id, is_open).await?;
            service::set_archived(db, surveys, id, archived).await?
        }
        (Some(is_open), Some(archived)) => {
            service::set_archived(db, surveys, id, archived).await?;
            service::set_open(db, surveys, id, is_open).await?
        }
        (Some(is_open), None) => service::set_open(db, surveys, id, is_open).await?,
        (None, Some(archived)) => service::set_archived(db, surveys, id, archived).await?,
    };
    // This process's ballots follow at once, not when the announcement comes back.
    if let Some(is_open) = patch.is_open {
        state.poll_states.correct(id, Some(is_open));
        if poll.pace.pacing == Pacing::Presenter {
            state.poll_states.correct_current(id, poll.pace.current_question, poll.pace.voting_open);
        }
    }
    tracing::info!(
        by = admin.id,
        poll = id,
        is_open = ?patch.is_open,
        archived = ?patch.archived,
        national_during_voting = ?patch.national_during_voting,
        qa_mode = ?patch.qa_mode,
        "poll updated"
    );
    Ok(Json(poll))
}

/// Replaces a closed poll's definition (title, description, pacing, questions, split question);
/// its slug stays. Once the poll has answers only its wording may change — the title, the
/// description, a question's text, a scale's end labels, the label of an option nobody chose —
/// and the answers stay; every screen watching the poll follows.
#[utoipa::path(put, path = "/api/admin/polls/{id}", tag = "admin polls", request_body = NewPoll,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, body = PollView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The poll is open; or it has answers and the edit changes more than wording (questions added, removed, moved or of another kind, options added or removed or a chosen option relabelled, answers per participant, a scale's range, a catalog question's responses, the pacing or the split): `error.field` names the field", body = ErrorBody),
        (status = 422, description = "Invalid poll; `error.field` names the field", body = ErrorBody),
    ))]
async fn edit_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(new): AppJson<NewPoll>,
) -> Result<Json<PollView>, AppError> {
    let poll = service::edit(&state.db, &state.surveys, id, new).await?;
    tracing::info!(by = admin.id, poll = id, "poll edited");
    Ok(Json(poll))
}

/// A closed copy of the poll for the next talk: the same questions and settings, no answers.
#[utoipa::path(post, path = "/api/admin/polls/{id}/duplicate", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 201, body = PollView), (status = 404, body = ErrorBody)))]
async fn duplicate_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
) -> Result<(StatusCode, Json<PollView>), AppError> {
    let poll = service::duplicate(&state.db, &state.surveys, id, admin.id).await?;
    tracing::info!(by = admin.id, poll = id, copy = poll.id, "poll duplicated");
    Ok((StatusCode::CREATED, Json(poll)))
}

/// Deletes every answer of a closed poll (after a rehearsal): confirm with the poll's title (any
/// case; its slug is taken too). The reset is logged and recorded with who made it.
#[utoipa::path(post, path = "/api/admin/polls/{id}/reset", tag = "admin polls", request_body = ResetConfirmation,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, body = PollView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The poll is open", body = ErrorBody),
        (status = 422, description = "`confirm` is not the poll's title; the message quotes the title to type", body = ErrorBody),
    ))]
async fn reset_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(confirmation): AppJson<ResetConfirmation>,
) -> Result<Json<PollView>, AppError> {
    Ok(Json(service::reset(&state.db, &state.surveys, id, admin.id, &confirmation.confirm).await?))
}

/// Shows a question of a presenter-paced poll on every screen (or the waiting screen with
/// `position: null`), taking answers to it while `voting_open` — an open poll only: a closed
/// poll's screens move through its final results (`voting_open: false`).
#[utoipa::path(put, path = "/api/admin/polls/{id}/current", tag = "admin polls", request_body = CurrentQuestion,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 200, body = PollView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`voting_open` on a closed poll (its screens may still move through the final results with `voting_open: false`); `error.field` is `voting_open`", body = ErrorBody),
        (status = 422, description = "No question at `position`", body = ErrorBody),
    ))]
async fn set_current_question(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(current): AppJson<CurrentQuestion>,
) -> Result<Json<PollView>, AppError> {
    let services = (&state.db, state.surveys.as_ref(), state.poll_states.as_ref());
    let poll = service::set_current(services, id, current.position, current.voting_open).await?;
    tracing::info!(by = admin.id, poll = id, position = ?current.position, voting_open = current.voting_open, "poll paced");
    Ok(Json(poll))
}

/// Hides a word of a words question from every public screen at once (staff still see it,
/// marked; the CSV keeps it). The word is normalized as answers are.
#[utoipa::path(post, path = "/api/admin/polls/{id}/questions/{var_name}/hidden-words", tag = "admin polls",
    request_body = HiddenWord,
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "A words question of the poll"),
    ),
    responses(
        (status = 204, description = "Hidden"),
        (status = 404, description = "No such poll, or no such question in it", body = ErrorBody),
        (status = 422, description = "Not a words question, or not a word", body = ErrorBody),
    ))]
async fn hide_word(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name)): AppPath<(i32, String)>,
    AppJson(hidden): AppJson<HiddenWord>,
) -> Result<StatusCode, AppError> {
    service::set_word_hidden(&state.db, (id, &var_name), &hidden.word, Some(admin.id)).await?;
    tracing::info!(by = admin.id, poll = id, var_name, "word hidden");
    Ok(StatusCode::NO_CONTENT)
}

/// Shows a hidden word again.
#[utoipa::path(delete, path = "/api/admin/polls/{id}/questions/{var_name}/hidden-words/{word}", tag = "admin polls",
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "A words question of the poll"),
        ("word" = String, Path, description = "The word, as hidden"),
    ),
    responses(
        (status = 204, description = "Shown again (or was not hidden)"),
        (status = 404, description = "No such poll, or no such question in it", body = ErrorBody),
        (status = 422, description = "Not a words question, or not a word", body = ErrorBody),
    ))]
async fn show_word(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name, word)): AppPath<(i32, String, String)>,
) -> Result<StatusCode, AppError> {
    service::set_word_hidden(&state.db, (id, &var_name), &word, None).await?;
    tracing::info!(by = admin.id, poll = id, var_name, "word shown again");
    Ok(StatusCode::NO_CONTENT)
}

/// Lets a word that the built-in blocklist keeps from the public through for one words question
/// of this poll ("Dick Cheney" is a name, not an insult): every public screen shows it at once,
/// answers already given with it included. The word is normalized as answers are; who allowed it
/// and when are recorded, and the allowing is logged.
#[utoipa::path(post, path = "/api/admin/polls/{id}/questions/{var_name}/allowed-words", tag = "admin polls",
    request_body = AllowedWord,
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "A words question of the poll"),
    ),
    responses(
        (status = 204, description = "Allowed (or was already)"),
        (status = 404, description = "No such poll, or no such question in it", body = ErrorBody),
        (status = 422, description = "Not a words question, not a word, or a word the blocklist does not block", body = ErrorBody),
    ))]
async fn allow_word(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name)): AppPath<(i32, String)>,
    AppJson(allowed): AppJson<AllowedWord>,
) -> Result<StatusCode, AppError> {
    let word = service::set_word_allowed(&state.db, (id, &var_name), &allowed.word, Some(admin.id)).await?;
    tracing::warn!(by = admin.id, poll = id, var_name, word, "blocked word allowed");
    Ok(StatusCode::NO_CONTENT)
}

/// Blocks an allowed word again: every public screen leaves it out at once.
#[utoipa::path(delete, path = "/api/admin/polls/{id}/questions/{var_name}/allowed-words/{word}", tag = "admin polls",
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "A words question of the poll"),
        ("word" = String, Path, description = "The word, as allowed"),
    ),
    responses(
        (status = 204, description = "Blocked again (or was not allowed)"),
        (status = 404, description = "No such poll, or no such question in it", body = ErrorBody),
        (status = 422, description = "Not a words question, or not a word", body = ErrorBody),
    ))]
async fn disallow_word(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name, word)): AppPath<(i32, String, String)>,
) -> Result<StatusCode, AppError> {
    let word = service::set_word_allowed(&state.db, (id, &var_name), &word, None).await?;
    tracing::warn!(by = admin.id, poll = id, var_name, word, "allowed word blocked again");
    Ok(StatusCode::NO_CONTENT)
}

/// Decides on one participant's answer to an open question: `approved` shows it on every public
/// screen at once, `hidden` keeps it away, `pending` puts it back in the queue. Who decided and
/// when are recorded (the CSV and the data browser keep them), and the decision is logged.
#[utoipa::path(put, path = "/api/admin/polls/{id}/questions/{var_name}/answers/{respondent_id}/review",
    tag = "admin polls", request_body = ReviewDecision,
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "An open question of the poll"),
        ("respondent_id" = i64, Path, description = "Whose answer (staff results list it with each answer)", minimum = 1),
    ),
    responses(
        (status = 204, description = "Decided"),
        (status = 404, description = "No such poll, question or answer", body = ErrorBody),
        (status = 422, description = "Not an open question, or not a decision", body = ErrorBody),
    ))]
async fn review_answer(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name, respondent_id)): AppPath<(i32, String, i64)>,
    AppJson(decision): AppJson<ReviewDecision>,
) -> Result<StatusCode, AppError> {
    service::review_answer(&state.db, (id, &var_name), respondent_id, decision.review, admin.id).await?;
    tracing::info!(
        by = admin.id,
        poll = id,
        var_name,
        respondent_id,
        review = decision.review.as_str(),
        "open answer reviewed"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a poll with all its respondents and answers.
#[utoipa::path(delete, path = "/api/admin/polls/{id}", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
async fn delete_poll(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
) -> Result<StatusCode, AppError> {
    service::delete(&state.db, id).await?;
    tracing::info!(by = admin.id, poll = id, "poll deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Every participant's answers, one row per participant: a catalog or choice question one
/// column (the response label; several options joined with "; "), a scale its value, a words
/// question three columns `<key>_1`…`<key>_3` (as typed); blank where unanswered.
#[utoipa::path(get, path = "/api/admin/polls/{id}/responses.csv", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn export_responses(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Response, AppError> {
    let (slug, body) = export::responses_csv(&state.db, &state.surveys, id).await?;
    Ok(super::downloads::csv_attachment(&format!("{slug}-responses.csv"), body))
}

/// Hides (`true`) or reveals (`false`) one question's results to the public; every screen
/// watching the poll hears it with the next live update.
#[utoipa::path(patch, path = "/api/admin/polls/{id}/questions/{var_name}", tag = "admin polls",
    request_body = QuestionPatch,
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("var_name" = String, Path, description = "One of the poll's questions"),
    ),
    responses((status = 200, body = PollView), (status = 404, description = "No such poll, or no such question in it", body = ErrorBody)))]
async fn update_question(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, var_name)): AppPath<(i32, String)>,
    AppJson(patch): AppJson<QuestionPatch>,
) -> Result<Json<PollView>, AppError> {
    let poll = service::set_results_hidden(&state.db, &state.surveys, id, &var_name, patch.results_hidden).await?;
    tracing::info!(by = admin.id, poll = id, var_name, results_hidden = patch.results_hidden, "question updated");
    Ok(Json(poll))
}

/// Everything about the poll's results, hidden questions included (what the console shows).
#[utoipa::path(get, path = "/api/admin/polls/{id}/results", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = PollResults), (status = 404, body = ErrorBody)))]
async fn get_staff_results(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<PollResults>, AppError> {
    Ok(Json(results(&state.db, &state.surveys, PollKey::Id(id)).await?))
}

/// The live results stream with hidden questions included (what the console shows). It ends
/// when its session does (logout, a password change, the account deactivated), by the next
/// frame or heartbeat.
#[utoipa::path(get, path = "/api/admin/polls/{id}/results/stream", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1), crate::http::routes::polls::ResumeFrom),
    responses(
        (status = 200, description = "text/event-stream of snapshot, delta and closed events", content_type = "text/event-stream", body = StreamEvent),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many streams open from this address", body = ErrorBody),
    ))]
async fn stream_staff_results(
    State(state): State<AppState>,
    _staff: StaffUser,
    ClientAddress(client): ClientAddress,
    AppPath(id): AppPath<i32>,
    headers: axum::http::HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    // The stream carries hidden results: it ends with the session that opened it.
    let token = crate::http::cookies::session_token(&headers)
        .ok_or_else(|| AppError::Unauthorized("not logged in".to_owned()))?;
    let session = StaffAccess::Session { db: state.db.clone(), token };
    crate::http::routes::polls::stream_of(
        &state,
        client,
        (id, Audience::Staff),
        (&headers, query.as_deref()),
        Some(session),
    )
    .await
}

/// Makes a presenter link for this poll: a secret a slide deck sends (`Authorization: Bearer`)
/// to pace the poll, reveal and hide results and hide words — nothing else — until it expires or
/// is revoked. The secret is in this answer only.
#[utoipa::path(post, path = "/api/admin/polls/{id}/presenter-links", tag = "admin polls",
    request_body = NewPresenterLink,
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses(
        (status = 201, body = CreatedPresenterLink),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A lifetime out of range, or a bad label", body = ErrorBody),
    ))]
async fn create_presenter_link(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
    AppJson(new): AppJson<NewPresenterLink>,
) -> Result<(StatusCode, Json<CreatedPresenterLink>), AppError> {
    Ok((StatusCode::CREATED, Json(presenter_links::create(&state.db, id, admin.id, &new).await?)))
}

/// The poll's presenter links, newest first: when each expires, whether it was revoked, how
/// often and when it was last used (never the secrets).
#[utoipa::path(get, path = "/api/admin/polls/{id}/presenter-links", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = Vec<PresenterLinkView>), (status = 404, body = ErrorBody)))]
async fn list_presenter_links(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<Vec<PresenterLinkView>>, AppError> {
    Ok(Json(presenter_links::list(&state.db, id).await?))
}

/// Revokes a presenter link: its next use, on any process, is refused.
#[utoipa::path(delete, path = "/api/admin/polls/{id}/presenter-links/{link_id}", tag = "admin polls",
    params(
        ("id" = i32, Path, description = "Poll id", minimum = 1),
        ("link_id" = i64, Path, description = "The link", minimum = 1),
    ),
    responses((status = 204, description = "Revoked (or was already)"), (status = 404, body = ErrorBody)))]
async fn revoke_presenter_link(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath((id, link_id)): AppPath<(i32, i64)>,
) -> Result<StatusCode, AppError> {
    presenter_links::revoke(&state.db, id, link_id, admin.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Freezes the poll's public results as they are now, under a citable URL (`/results/<key>`):
/// later votes, resets and deleting the poll do not change them.
#[utoipa::path(post, path = "/api/admin/polls/{id}/frozen-results", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 201, body = FrozenResults), (status = 404, body = ErrorBody)))]
async fn freeze_results(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<i32>,
) -> Result<(StatusCode, Json<FrozenResults>), AppError> {
    Ok((StatusCode::CREATED, Json(frozen_results::freeze(&state.db, &state.surveys, id, admin.id).await?)))
}

/// The poll's frozen copies, newest first (each with its citable URL).
#[utoipa::path(get, path = "/api/admin/polls/{id}/frozen-results", tag = "admin polls",
    params(("id" = i32, Path, description = "Poll id", minimum = 1)),
    responses((status = 200, body = Vec<FrozenResults>), (status = 404, body = ErrorBody)))]
async fn list_frozen_results(
    State(state): State<AppState>,
    _staff: StaffUser,
    AppPath(id): AppPath<i32>,
) -> Result<Json<Vec<FrozenResults>>, AppError> {
    service::get(&state.db, &state.surveys, id).await?;
    Ok(Json(frozen_results::of_poll(&state.db, id).await?))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_poll, list_polls))
        .routes(routes!(get_admin_poll, update_poll, edit_poll, delete_poll))
        .routes(routes!(duplicate_poll))
        .routes(routes!(reset_poll))
        .routes(routes!(set_current_question))
        .routes(routes!(hide_word))
        .routes(routes!(show_word))
        .routes(routes!(allow_word))
        .routes(routes!(disallow_word))
        .routes(routes!(review_answer))
        .routes(routes!(export_responses))
        .routes(routes!(get_poll_activity))
        .routes(routes!(void_ballots))
        .routes(routes!(update_question))
        .routes(routes!(get_staff_results))
        .routes(routes!(stream_staff_results))
        .routes(routes!(create_presenter_link, list_presenter_links))
        .routes(routes!(revoke_presenter_link))
        .routes(routes!(freeze_results, list_frozen_results))
}
