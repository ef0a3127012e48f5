//! An open question: each participant answers in their own words (one answer, up to 280
//! characters), and the room sees a list of the answers a presenter approved — a moderated list,
//! not a cloud. Every answer waits until a presenter approves or hides it; answers with a word on
//! `rustrict`'s list of inappropriate words (the words question's blocklist) are marked for staff,
//! and approving one is the presenter's decision, recorded with who made it and when.

use std::collections::{BTreeMap, HashSet};

use crate::error::AppError;
use crate::polls::kinds::words::is_blocked;
use crate::polls::kinds::{
    Choice, FoldInto, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, QuestionTally, ResultsInput,
    StoredAnswer, missing, only_field, own_view, text_only_question,
};
use crate::polls::model::{
    Answer, NewPollQuestion, OpenAnswerView, OpenResults, PollQuestionView, QuestionResults, Review,
};
use crate::surveys::snapshot::SurveySnapshot;
use crate::text_rules::OPEN_ANSWER;

/// The longest answer, in characters.
pub(crate) const MAX_OPEN_ANSWER: usize = OPEN_ANSWER.max_chars;
/// Approved answers a public results body carries (newest first): a frame stays small however
/// many answers come, and a slide shows fewer.
pub(crate) const SHOWN_ANSWERS: usize = 50;
/// Waiting answers a staff results body carries (oldest first: the moderation queue).
const QUEUED_ANSWERS: usize = 100;
/// Hidden answers in a staff results body (newest first); approved ones are listed as the public
/// sees them (`SHOWN_ANSWERS`: the public list is cut from the staff one).
const HIDDEN_ANSWERS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenSpec {
    pub text: String,
}

/// One participant's answer and the presenter's decision on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenAnswer {
    pub text: String,
    pub review: Review,
}

/// # Errors
/// Missing, empty or overlong text.
pub(crate) fn new_question(new: &NewPollQuestion, at: usize) -> Result<PollQuestion, AppError> {
    text_only_question(new, at, |text| QuestionSpec::Open(OpenSpec { text }))
}

/// Every answer, keyed by respondent (ids grow with time: the key order is the order they came).
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenTally {
    answers: BTreeMap<i64, OpenAnswer>,
    /// Respondents whose answer the blocklist matches: checked once, as it comes, not at every
    /// frame.
    blocked: HashSet<i64>,
}

impl OpenTally {
    pub(crate) fn insert(&mut self, respondent_id: i64, answer: OpenAnswer) {
        if is_blocked(&answer.text) {
            self.blocked.insert(respondent_id);
        }
        self.answers.insert(respondent_id, answer);
    }

    fn view(&self, respondent_id: i64, answer: &OpenAnswer) -> OpenAnswerView {
        OpenAnswerView {
            respondent_id: Some(respondent_id),
            text: answer.text.clone(),
            review: Some(answer.review),
            blocked: self.blocked.contains(&respondent_id),
        }
    }

    /// Up to `limit` answers with this review, oldest first or newest first.
    fn listed(&self, review: Review, newest_first: bool, limit: usize) -> Vec<OpenAnswerView> {
        let with_review = |(_, answer): &(&i64, &OpenAnswer)| answer.review == review;
        let pick = |(&id, answer): (&i64, &OpenAnswer)| self.view(id, answer);
        if newest_first {
            self.answers.iter().rev().filter(with_review).take(limit).map(pick).collect()
        } else {
            self.answers.iter().filter(with_review).take(limit).map(pick).collect()
        }
    }

    fn count(&self, review: Review) -> i64 {
        let count = self.answers.values().filter(|a| a.review == review).count();
        i64::try_from(count).unwrap_or(i64::MAX)
    }
}

impl QuestionKind for OpenSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Open
    }

    fn view(&self, question: &PollQuestion, _: &SurveySnapshot) -> Option<PollQuestionView> {
        let mut view = own_view(question, QuestionKindName::Open, &self.text, Vec::new());
        view.max_answer_length = Some(MAX_OPEN_ANSWER);
        Some(view)
    }

    fn answer(&self, _: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        only_field(answer, at, "text", QuestionKindName::Open)?;
        let Some(given) = &answer.text else { return Err(missing(at, "text", QuestionKindName::Open)) };
        let text = OPEN_ANSWER.check(&format!("answers[{at}].text"), given)?;
        Ok(Choice::Open(OpenAnswer { text, review: Review::Pending }))
    }

    fn fold(&self, _: &PollQuestion, tally: &mut QuestionTally, choice: &Choice, into: FoldInto) {
        // Not split by group: the list is one.
        if let (QuestionTally::Open(tally), Choice::Open(answer), true) = (tally, choice, into.overall) {
            tally.insert(into.respondent_id, answer.clone());
        }
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let empty = OpenTally::default();
        let tally = match input.tally {
            QuestionTally::Open(tally) => tally,
            _ => &empty,
        };
        let mut answers = tally.listed(Review::Pending, false, QUEUED_ANSWERS);
        answers.extend(tally.listed(Review::Approved, true, SHOWN_ANSWERS));
        answers.extend(tally.listed(Review::Hidden, true, HIDDEN_ANSWERS));
        QuestionResults::Open(OpenResults {
            head: input.head(),
            respondents: i64::try_from(tally.answers.len()).unwrap_or(i64::MAX),
            approved: tally.count(Review::Approved),
            pending: Some(tally.count(Review::Pending)),
            hidden_answers: Some(tally.count(Review::Hidden)),
            answers,
        })
    }

    fn csv_columns(&self, question: &PollQuestion) -> Vec<String> {
        vec![question.var_name.clone(), format!("{}_review", question.var_name)]
    }

    fn csv_cells(&self, _: &PollQuestion, _: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        match answer.and_then(|a| a.open.as_ref()) {
            Some(open) => vec![open.text.clone(), open.review.as_str().to_owned()],
            None => vec![String::new(), String::new()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str, review: Review) -> OpenAnswer {
        OpenAnswer { text: text.to_owned(), review }
    }

    #[test]
    fn the_queue_is_oldest_first_and_decided_answers_newest_first() {
        let mut tally = OpenTally::default();
        tally.insert(3, answer("third", Review::Pending));
        tally.insert(1, answer("first", Review::Pending));
        tally.insert(2, answer("second", Review::Approved));
        tally.insert(4, answer("fourth", Review::Approved));
        tally.insert(5, answer("shit happens", Review::Hidden));
        let texts = |views: Vec<OpenAnswerView>| views.into_iter().map(|v| v.text).collect::<Vec<_>>();
        assert_eq!(texts(tally.listed(Review::Pending, false, 10)), ["first", "third"]);
        assert_eq!(texts(tally.listed(Review::Approved, true, 10)), ["fourth", "second"]);
        assert_eq!(texts(tally.listed(Review::Approved, true, 1)), ["fourth"]);
        assert_eq!((tally.count(Review::Pending), tally.count(Review::Hidden)), (2, 1));
        assert!(tally.listed(Review::Hidden, true, 10)[0].blocked, "the blocklist marks it for staff");
        assert!(!tally.listed(Review::Approved, true, 10)[0].blocked);
    }
}
