//! Editing a poll that has answers: only its wording may change — the title, the description, a
//! question's text, a scale's end labels, the label of an option nobody chose — so that every
//! stored answer keeps meaning what it meant when it was given. What answers are stored and
//! counted by (the questions' number, order, keys and kinds, the values offered, the answers
//! allowed per participant, a ranking's items, what a guess is about, the split question, the
//! pacing) is fixed until the answers are reset: a change to it is a 409 naming the field and the
//! question.
//!
//! A question is known by its place: an edit that swaps the texts of two questions of the same
//! kind is two text edits (the console does not offer moving a question of an answered poll).

use crate::error::AppError;
use crate::polls::kinds::{PollQuestion, QuestionSpec};
use crate::polls::model::NewPoll;
use crate::polls::repository::{AnsweredValues, PollRecord};

/// A 409 for `field`, saying what is fixed and how to change it anyway.
fn fixed(field: impl Into<String>, what: impl std::fmt::Display) -> AppError {
    AppError::conflicting_field(field, format!("the poll has answers: {what}; reset its answers to change it"))
}

/// Checks that `new` (whose questions, validated, are `questions`) changes nothing of `stored`
/// but its wording; `answered` says which offered values have answers.
///
/// # Errors
/// A 409 naming the first field that would change what the answers mean.
pub(crate) fn wording_only(
    stored: &PollRecord,
    new: &NewPoll,
    questions: &[PollQuestion],
    answered: &AnsweredValues,
) -> Result<(), AppError> {
    if questions.len() != stored.questions.len() {
        return Err(fixed(
            "questions",
            format!("questions cannot be added or removed (it has {})", stored.questions.len()),
        ));
    }
    for (at, (old, new)) in stored.questions.iter().zip(questions).enumerate() {
        question_wording_only(at, old, new, answered)?;
    }
    if new.pacing != stored.pacing() {
        return Err(fixed("pacing", "its pacing is fixed"));
    }
    if new.split_by.as_deref() != stored.poll.split_by.as_deref() {
        return Err(fixed("split_by", "the question that splits its results is fixed"));
    }
    Ok(())
}

fn question_wording_only(
    at: usize,
    old: &PollQuestion,
    new: &PollQuestion,
    answered: &AnsweredValues,
) -> Result<(), AppError> {
    let field = |part: &str| format!("questions[{at}]{part}");
    let name = format!("question {} ({})", at + 1, old.var_name);
    let (old_kind, new_kind) = (old.kind().name(), new.kind().name());
    if old_kind != new_kind {
        return Err(fixed(field(""), format!("{name} stays a {} question", old_kind.as_str())));
    }
    if old.var_name != new.var_name {
        return Err(fixed(field(".var_name"), format!("{name} cannot be replaced by another, nor moved")));
    }
    match (&old.spec, &new.spec) {
        (QuestionSpec::Catalog(_), QuestionSpec::Catalog(_)) if old.offered != new.offered => {
            Err(fixed(field(".response_indices"), format!("the responses {name} offers are fixed")))
        }
        (QuestionSpec::Choice(before), QuestionSpec::Choice(after)) => {
            if before.options.len() != after.options.len() {
                return Err(fixed(field(".options"), format!("options of {name} cannot be added or removed")));
            }
            if before.max_choices != after.max_choices {
                return Err(fixed(
                    field(".max_choices"),
                    format!("how many options a participant may pick in {name} is fixed"),
                ));
            }
            let chosen = answered.get(&old.var_name);
            for (i, (label, relabel)) in before.options.iter().zip(&after.options).enumerate() {
                let has_answers = i16::try_from(i).is_ok_and(|i| chosen.is_some_and(|c| c.contains(&i)));
                if label != relabel && has_answers {
                    return Err(fixed(
                        field(&format!(".options[{i}]")),
                        format!("option {} of {name}, “{label}”, was chosen: its label is fixed", i + 1),
                    ));
                }
            }
            Ok(())
        }
        (QuestionSpec::Ranking(before), QuestionSpec::Ranking(after)) => {
            if before.items.len() != after.items.len() || before.top_k != after.top_k {
                return Err(fixed(field(".options"), format!("the items of {name} and how many are ranked are fixed")));
            }
            if before.nation != after.nation {
                return Err(fixed(field(".item_var_names"), format!("the catalog questions {name} ranks are fixed")));
            }
            Ok(())
        }
        (QuestionSpec::Predict(before), QuestionSpec::Predict(after))
            if (&before.catalog_var_name, &before.responses, &before.group, before.wave, before.show_closest)
                != (&after.catalog_var_name, &after.responses, &after.group, after.wave, after.show_closest) =>
        {
            Err(fixed(field(".var_name"), format!("what {name} asks the room to guess is fixed")))
        }
        (QuestionSpec::Scale(before), QuestionSpec::Scale(after))
            if (before.min, before.max) != (after.min, after.max) =>
        {
            Err(fixed(field(".min"), format!("the scale of {name} stays {}–{}", before.min, before.max)))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use entity::polls::polls;

    use super::*;
    use crate::polls::kinds::{ChoiceSpec, ScaleSpec, WordsSpec};
    use crate::polls::model::Pacing;

    fn choice(options: &[&str], max_choices: i16) -> PollQuestion {
        PollQuestion {
            var_name: "q1".to_owned(),
            offered: (0..i16::try_from(options.len()).unwrap()).collect(),
            results_hidden: false,
            speaker_notes: String::new(),
            timer_seconds: None,
            spec: QuestionSpec::Choice(ChoiceSpec {
                text: "Coffee or tea?".to_owned(),
                options: options.iter().map(|o| (*o).to_owned()).collect(),
                max_choices,
            }),
        }
    }

    fn scale(text: &str, max: i16, max_label: &str) -> PollQuestion {
        PollQuestion {
            var_name: "q2".to_owned(),
            offered: (1..=max).collect(),
            results_hidden: false,
            speaker_notes: String::new(),
            timer_seconds: None,
            spec: QuestionSpec::Scale(ScaleSpec {
                text: text.to_owned(),
                min: 1,
                max,
                min_label: String::new(),
                max_label: max_label.to_owned(),
            }),
        }
    }

    fn record(questions: Vec<PollQuestion>) -> PollRecord {
        let poll = polls::Model {
            id: 1,
            slug: "a-poll-1234".to_owned(),
            title: "A poll".to_owned(),
            description: String::new(),
            is_open: false,
            split_by: None,
            created_by: None,
            created_at: chrono::Utc::now().fixed_offset(),
            updated_at: chrono::Utc::now().fixed_offset(),
            join_code: None,
            pacing: Pacing::AllAtOnce.as_str().to_owned(),
            current_question: None,
            current_question_open: false,
            archived_at: None,
            first_opened_at: None,
            national_during_voting: false,
            current_question_closes_at: None,
            qa_mode: "off".to_owned(),
        };
        PollRecord { poll, questions }
    }

    fn definition() -> NewPoll {
        NewPoll {
            title: "A poll".to_owned(),
            description: String::new(),
            pacing: Pacing::AllAtOnce,
            questions: Vec::new(),
            split_by: None,
            national_during_voting: false,
            qa_mode: crate::polls::model::QaMode::Off,
        }
    }

    fn refusal(result: Result<(), AppError>) -> (String, String) {
        match result {
            Err(AppError::ConflictingField { field, message }) => (field, message),
            other => panic!("expected a conflicting field, got {other:?}"),
        }
    }

    #[test]
    fn wording_may_change_and_unchosen_options_may_be_relabelled() {
        let stored = record(vec![choice(&["Cofee", "Tea", "Mate"], 1), scale("How hopeful?", 5, "Very")]);
        let answered: AnsweredValues = HashMap::from([("q1".to_owned(), HashSet::from([1]))]);
        let mut edited = vec![choice(&["Coffee", "Tea", "Maté"], 1), scale("How hopeful are you?", 5, "Very much")];
        if let QuestionSpec::Choice(spec) = &mut edited[0].spec {
            spec.text = "Coffee or tea, then?".to_owned();
        }
        assert!(wording_only(&stored, &definition(), &edited, &answered).is_ok());
    }

    #[test]
    fn what_answers_are_counted_by_is_fixed_and_the_refusal_names_it() {
        let stored = record(vec![choice(&["Coffee", "Tea"], 1), scale("How hopeful?", 5, "")]);
        let answered: AnsweredValues = HashMap::from([("q1".to_owned(), HashSet::from([0]))]);
        let check = |questions: Vec<PollQuestion>| refusal(wording_only(&stored, &definition(), &questions, &answered));

        let (field, message) = check(vec![choice(&["Coffee!", "Tea"], 1), scale("How hopeful?", 5, "")]);
        assert_eq!(field, "questions[0].options[0]");
        assert!(message.contains("option 1 of question 1 (q1), “Coffee”, was chosen"), "{message}");
        assert_eq!(check(vec![choice(&["Coffee", "Tea", "Mate"], 1), scale("x", 5, "")]).0, "questions[0].options");
        assert_eq!(check(vec![choice(&["Coffee", "Tea"], 2), scale("x", 5, "")]).0, "questions[0].max_choices");
        assert_eq!(check(vec![choice(&["Coffee", "Tea"], 1), scale("x", 7, "")]).0, "questions[1].min");
        assert_eq!(check(vec![choice(&["Coffee", "Tea"], 1)]).0, "questions");
        let words = PollQuestion {
            var_name: "q2".to_owned(),
            offered: Vec::new(),
            results_hidden: false,
            speaker_notes: String::new(),
            timer_seconds: None,
            spec: QuestionSpec::Words(WordsSpec { text: "x".to_owned() }),
        };
        let (field, message) = check(vec![choice(&["Coffee", "Tea"], 1), words]);
        assert_eq!(field, "questions[1]");
        assert!(message.contains("question 2 (q2) stays a scale question"), "{message}");

        let same = vec![choice(&["Coffee", "Tea"], 1), scale("How hopeful?", 5, "")];
        let paced = NewPoll { pacing: Pacing::Presenter, ..definition() };
        assert_eq!(refusal(wording_only(&stored, &paced, &same, &answered)).0, "pacing");
        let split = NewPoll { split_by: Some("q1".to_owned()), ..definition() };
        assert_eq!(refusal(wording_only(&stored, &split, &same, &answered)).0, "split_by");
    }
}
