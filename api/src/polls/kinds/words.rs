//! A words question: up to three short answers per participant, counted by their normalized form
//! for a word cloud. Normalized = Unicode NFKC, lower case, punctuation around words and NLTK's
//! English stop words removed, spacing collapsed ("The  Economy!" → "economy"). Words on
//! `rustrict`'s list of inappropriate words never reach the public unless a presenter allowed
//! them for the question ("dick cheney" is a name), nor do words a presenter hid; staff see all
//! of them, marked. Blocked answers are stored and counted like any other: allowing a word shows
//! the answers already given with it, and blocking it again takes them away.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use rustrict::{CensorStr, Type};
use unicode_normalization::UnicodeNormalization;

use crate::error::AppError;
use crate::polls::kinds::{
    Choice, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, QuestionTally, ResultsInput, StoredAnswer,
    missing, only_field, own_view, text_only_question,
};
use crate::polls::model::{
    Answer, Moderation, NewPollQuestion, PollQuestionView, QuestionResults, WordCount, WordsResults,
};
use crate::surveys::snapshot::SurveySnapshot;
use crate::text_rules::{WORD_ANSWER, has_control_characters};

/// Answers a participant may give to one words question.
pub(crate) const MAX_WORDS: usize = 3;
/// The longest answer, in characters.
pub(crate) const MAX_WORD_LENGTH: usize = WORD_ANSWER.max_chars;
/// Words a results body carries (the word cloud): a frame stays small however many words come.
pub(crate) const TOP_WORDS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordsSpec {
    pub text: String,
}

/// One answer to a words question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// As typed (trimmed): what the CSV and staff keep.
    pub typed: String,
    /// What is counted; empty when the answer held only stop words.
    pub normalized: String,
}

static STOP_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| stop_words::get("en").iter().copied().collect());

/// The counted form of an answer (see the module's documentation), at most `MAX_WORD_LENGTH`
/// characters: NFKC can make one character many (U+FDFA is 18), and the counted form travels in
/// every announcement and frame. Normalizing it again changes nothing (a cut may leave a stop
/// word or punctuation at the end: the steps repeat until nothing changes).
pub(crate) fn normalize(typed: &str) -> String {
    let mut form = normalize_once(typed);
    loop {
        let again = normalize_once(&form);
        if again == form {
            return form;
        }
        form = again;
    }
}

fn normalize_once(typed: &str) -> String {
    let folded: String = typed.nfkc().collect::<String>().to_lowercase();
    let joined = folded
        .split_whitespace()
        .map(|token| token.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|token| !token.is_empty() && !STOP_WORDS.contains(token))
        .collect::<Vec<_>>()
        .join(" ");
    joined.chars().take(MAX_WORD_LENGTH).collect()
}

/// Whether a normalized word is on the built-in list of words never shown.
pub(crate) fn is_blocked(normalized: &str) -> bool {
    normalized.is(Type::INAPPROPRIATE)
}

/// # Errors
/// Missing, empty or overlong text.
pub(crate) fn new_question(new: &NewPollQuestion, at: usize) -> Result<PollQuestion, AppError> {
    text_only_question(new, at, |text| QuestionSpec::Words(WordsSpec { text }))
}

/// A word as a presenter names it to hide it: normalized as answers are.
///
/// # Errors
/// Empty after normalizing, too long, or with control characters.
pub(crate) fn word_to_hide(word: &str) -> Result<String, AppError> {
    // A shown word (normalized) may be longer than what was typed: take up to 200 characters.
    if word.chars().count() > 200 || has_control_characters(word) {
        return Err(AppError::invalid_field("word", "a word is 1 to 200 printable characters"));
    }
    let normalized = normalize(word);
    if normalized.is_empty() {
        return Err(AppError::invalid_field("word", "nothing is left of this word once normalized (stop words only?)"));
    }
    Ok(normalized)
}

/// A blocked word as a presenter names it to let it through: normalized as answers are.
///
/// # Errors
/// As [`word_to_hide`]; a word the blocklist does not block (the public sees it already).
pub(crate) fn word_to_allow(word: &str) -> Result<String, AppError> {
    let normalized = word_to_hide(word)?;
    if !is_blocked(&normalized) {
        return Err(AppError::invalid_field(
            "word",
            format!("“{normalized}” is not blocked: the audience sees it already"),
        ));
    }
    Ok(normalized)
}

/// Participants per normalized word.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordsTally {
    /// Participants who answered.
    pub respondents: i64,
    /// Words counted (each participant's distinct normalized words).
    pub answers: i64,
    pub counts: HashMap<String, i64>,
}

impl WordsTally {
    fn add(&mut self, words: &[Word]) {
        self.respondents += 1;
        let distinct: HashSet<&str> = words.iter().map(|w| w.normalized.as_str()).filter(|w| !w.is_empty()).collect();
        for word in distinct {
            self.answers += 1;
            *self.counts.entry(word.to_owned()).or_default() += 1;
        }
    }
}

/// The most frequent words first, ties in alphabetical order; at most `TOP_WORDS`.
fn ranked<'a>(words: impl Iterator<Item = (&'a String, &'a i64, Option<Moderation>)>) -> Vec<WordCount> {
    let mut ranked: Vec<WordCount> =
        words.map(|(word, &count, moderation)| WordCount { word: word.clone(), count, moderation }).collect();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    ranked.truncate(TOP_WORDS);
    ranked
}

impl QuestionKind for WordsSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Words
    }

    fn view(&self, question: &PollQuestion, _: &SurveySnapshot) -> Option<PollQuestionView> {
        let mut view = own_view(question, QuestionKindName::Words, &self.text, Vec::new());
        view.max_words = Some(MAX_WORDS);
        view.max_word_length = Some(MAX_WORD_LENGTH);
        Some(view)
    }

    fn answer(&self, _: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        only_field(answer, at, "words", QuestionKindName::Words)?;
        let Some(given) = &answer.words else { return Err(missing(at, "words", QuestionKindName::Words)) };
        if given.is_empty() || given.len() > MAX_WORDS {
            return Err(AppError::invalid_field(
                format!("answers[{at}].words"),
                format!("give 1 to {MAX_WORDS} words"),
            ));
        }
        let mut words = Vec::with_capacity(given.len());
        for (i, typed) in given.iter().enumerate() {
            let typed = WORD_ANSWER.check(&format!("answers[{at}].words[{i}]"), typed)?;
            words.push(Word { normalized: normalize(&typed), typed });
        }
        Ok(Choice::Words(words))
    }

    fn fold(&self, _: &PollQuestion, tally: &mut QuestionTally, choice: &Choice, into: crate::polls::kinds::FoldInto) {
        // Word clouds are not split by group: only the overall count.
        if let (QuestionTally::Words(tally), Choice::Words(words), true) = (tally, choice, into.overall) {
            tally.add(words);
        }
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let QuestionTally::Words(tally) = input.tally else {
            return QuestionResults::Words(WordsResults {
                head: input.head(),
                respondents: 0,
                answers: 0,
                shown_answers: 0,
                words: vec![],
            });
        };
        let hidden: HashSet<&str> = input.hidden_words.iter().map(String::as_str).collect();
        let allowed: HashSet<&str> = input.allowed_words.iter().map(String::as_str).collect();
        // A presenter's hiding wins over their allowing: both are theirs, hiding is the later word.
        let moderation_of = |word: &str| {
            if hidden.contains(word) {
                Some(Moderation::Hidden)
            } else if !is_blocked(word) {
                None
            } else if allowed.contains(word) {
                Some(Moderation::Allowed)
            } else {
                Some(Moderation::Blocked)
            }
        };
        let (mut shown, mut blocked, mut hidden_words) = (Vec::new(), Vec::new(), Vec::new());
        for (word, count) in &tally.counts {
            let moderation = moderation_of(word);
            match moderation {
                None | Some(Moderation::Allowed) => shown.push((word, count, moderation)),
                Some(Moderation::Blocked) => blocked.push((word, count, moderation)),
                Some(Moderation::Hidden) => hidden_words.push((word, count, moderation)),
            }
        }
        // The public's top words (allowed ones among them), then (for staff) the moderated ones:
        // the public list is exact however many words are moderated.
        let moderated: i64 = hidden_words.iter().chain(&blocked).map(|entry| *entry.1).sum();
        let mut words = ranked(shown.into_iter());
        words.extend(ranked(hidden_words.into_iter()));
        words.extend(ranked(blocked.into_iter()));
        QuestionResults::Words(WordsResults {
            head: input.head(),
            respondents: tally.respondents,
            answers: tally.answers,
            shown_answers: tally.answers - moderated,
            words,
        })
    }

    fn csv_columns(&self, question: &PollQuestion) -> Vec<String> {
        (1..=MAX_WORDS).map(|i| format!("{}_{i}", question.var_name)).collect()
    }

    fn csv_cells(&self, _: &PollQuestion, _: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        (0..MAX_WORDS).map(|i| answer.and_then(|a| a.words.get(i).cloned()).unwrap_or_default()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_normalized_by_case_spacing_punctuation_and_stop_words() {
        assert_eq!(normalize("  The   Economy! "), "economy");
        assert_eq!(normalize("FREEDOM"), "freedom");
        assert_eq!(normalize("rule of law"), "rule law");
        assert_eq!(normalize("ｆｒｅｅ"), "free"); // full-width letters (NFKC)
        assert_eq!(normalize("the"), "");
        assert_eq!(normalize("#MeToo"), "metoo");
        let expanded = normalize(&"\u{FDFA}".repeat(40));
        assert!((1..=MAX_WORD_LENGTH).contains(&expanded.chars().count()), "{expanded}");
        for typed in ["⒯⒭⒰⒮⒯ ⒯⒭⒰⒮⒯ ⒯⒭⒰⒮⒯ ⒯⒭⒰⒮⒯", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa theory", "x\u{FDFA}"]
        {
            let shown = normalize(typed);
            assert_eq!(normalize(&shown), shown, "{typed}");
            assert_eq!(word_to_hide(&shown).unwrap(), shown, "every shown word can be hidden");
        }
    }

    #[test]
    fn the_blocklist_comes_from_the_package() {
        assert!(is_blocked("fuck"));
        assert!(is_blocked("shit"));
        assert!(!is_blocked("freedom"));
        assert!(!is_blocked("economy"));
        // The issue that brought the allow list: a name the blocklist takes for an insult.
        assert!(is_blocked(&normalize("Dick Cheney")));
        assert_eq!(word_to_allow(" Dick  CHENEY! ").unwrap(), "dick cheney");
        assert!(word_to_allow("freedom").is_err(), "only a blocked word is allowed");
    }

    #[test]
    fn a_participant_counts_once_per_word() {
        let mut tally = WordsTally::default();
        let word = |w: &str| Word { typed: w.to_owned(), normalized: normalize(w) };
        tally.add(&[word("Hope"), word("hope!"), word("the")]);
        tally.add(&[word("hope"), word("fear")]);
        assert_eq!((tally.respondents, tally.answers), (2, 3));
        assert_eq!(tally.counts["hope"], 2);
        assert_eq!(tally.counts["fear"], 1);
    }
}
