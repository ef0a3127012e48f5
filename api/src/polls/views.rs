//! Polls as people see them: stored rows joined with the catalog's question texts and labels.

use crate::polls::model::{PollQuestionView, PollView, PublicPoll, QaMode};
use crate::polls::repository::{Creator, PollRecord};
use crate::surveys::snapshot::SurveySnapshot;

/// The questions of a poll as participants see them, in the poll's order.
pub(crate) fn question_views(snapshot: &SurveySnapshot, poll: &PollRecord) -> Vec<PollQuestionView> {
    poll.questions.iter().filter_map(|question| question.kind().view(question, snapshot)).collect()
}

/// A poll as staff see it.
pub(crate) fn staff_view(
    snapshot: &SurveySnapshot,
    record: PollRecord,
    creator: Option<Creator>,
    respondents: i64,
) -> PollView {
    // Staff see the presenter's notes; the public views are built without them.
    let mut questions = question_views(snapshot, &record);
    for view in &mut questions {
        view.speaker_notes =
            record.question(&view.var_name).map(|q| q.speaker_notes.clone()).filter(|notes| !notes.is_empty());
    }
    let pace = record.pace();
    let poll = record.poll;
    PollView {
        id: poll.id,
        slug: poll.slug,
        title: poll.title,
        description: poll.description,
        is_open: poll.is_open,
        join_code: poll.join_code,
        split_by: poll.split_by,
        created_by: poll.created_by,
        created_by_name: creator.map(|c| c.name),
        created_at: poll.created_at,
        updated_at: poll.updated_at,
        respondents,
        national_during_voting: poll.national_during_voting,
        qa_mode: QaMode::named(&poll.qa_mode),
        pace,
        archived_at: poll.archived_at,
        questions,
    }
}

/// A poll as participants see it.
pub(crate) fn public_view(snapshot: &SurveySnapshot, record: PollRecord) -> PublicPoll {
    let questions = question_views(snapshot, &record);
    let pace = record.pace();
    let poll = record.poll;
    PublicPoll {
        slug: poll.slug,
        title: poll.title,
        description: poll.description,
        is_open: poll.is_open,
        join_code: poll.join_code,
        pace,
        qa_mode: QaMode::named(&poll.qa_mode),
        questions,
    }
}
