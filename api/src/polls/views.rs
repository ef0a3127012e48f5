//! Polls as people see them: stored rows joined with the catalog's question texts and labels.

use super::model::{OfferedResponse, PollQuestionView, PollView, PublicPoll};
use super::repository::{Creator, PollRecord};
use crate::surveys::service::QuestionHeading;
use crate::surveys::snapshot::SurveySnapshot;

/// The questions of a poll with their offered responses, in the poll's order.
pub fn question_views(snapshot: &SurveySnapshot, poll: &PollRecord) -> Vec<PollQuestionView> {
    poll.questions
        .iter()
        .filter_map(|question| {
            let q = snapshot.questions.get(&question.var_name)?;
            Some(PollQuestionView {
                heading: QuestionHeading::of(snapshot, q),
                responses: question
                    .offered
                    .iter()
                    .filter_map(|&k| {
                        let response = q.responses.get(usize::try_from(k).ok()?)?;
                        Some(OfferedResponse { index: k, response: response.clone() })
                    })
                    .collect(),
                results_hidden: question.results_hidden,
            })
        })
        .collect()
}

/// A poll as staff see it.
pub fn staff_view(
    snapshot: &SurveySnapshot,
    record: PollRecord,
    creator: Option<Creator>,
    respondents: i64,
) -> PollView {
    let questions = question_views(snapshot, &record);
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
        questions,
    }
}

/// A poll as participants see it.
pub fn public_view(snapshot: &SurveySnapshot, record: PollRecord) -> PublicPoll {
    let questions = question_views(snapshot, &record);
    let poll = record.poll;
    PublicPoll {
        slug: poll.slug,
        title: poll.title,
        description: poll.description,
        is_open: poll.is_open,
        join_code: poll.join_code,
        questions,
    }
}
