//! "Predict the nation": the room guesses, in percent, the weighted share of a national group
//! (or of all US adults) giving some responses to a catalog question in one wave; the results put
//! the guesses beside the survey's estimate and measure the perception gap.
//!
//! The room's mean guess has a scale's 95% interval (logit scale of 0–100, t with n − 1 df:
//! `scale::mean_of`). The gap is mean guess − 100 × the national share, in percentage points. Its
//! interval treats the room and the survey as independent samples: se = √(se_room² + se_nation²)
//! and a t quantile with Welch–Satterthwaite degrees of freedom
//! ν = se⁴ / (se_room⁴/(n_room − 1) + se_nation⁴/(n_nation − 1)) — the national estimate's own
//! df are n − 1, as its interval uses (`weighted_proportions`). Checked against R
//! (`api/tests/fixtures/r-predict.R`: `survey` for the nation, the formulas by hand for the rest).

use std::collections::{BTreeMap, HashSet};

use crate::error::AppError;
use crate::polls::kinds::scale::mean_of;
use crate::polls::kinds::words::is_blocked;
use crate::polls::kinds::{
    Choice, FoldInto, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, QuestionTally, ResultsInput,
    StoredAnswer, missing, not_for_kind, only_fields, own_key, speaker_notes_of, timer_of,
};
use crate::polls::model::{
    Answer, ClosestGuess, GroupGuess, MeanEstimate, NationalTarget, NewPollQuestion, PerceptionGap, PollQuestionView,
    PredictResults, PredictTarget, QuestionResults, Tally,
};
use crate::surveys::groups::Split;
use crate::surveys::snapshot::{Question, SurveySnapshot};
use crate::surveys::weighted_proportions::t_quantile_975_df;
use crate::text_rules::{DISPLAY_NAME, QUESTION_TEXT};

/// Named guesses the results list, nearest the nation's answer first.
const CLOSEST_GUESSES: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PredictSpec {
    pub text: String,
    /// The catalog question whose share is guessed.
    pub catalog_var_name: String,
    /// The responses whose share is guessed (indices into the catalog question's responses).
    pub responses: Vec<i16>,
    /// A party or ideology group's name; `None`: everyone.
    pub group: Option<String>,
    /// Chosen when the question is made (the latest wave with answers, unless the presenter
    /// picked one): `None` only between the definition's checks and that choice.
    pub wave: Option<i32>,
    pub show_closest: bool,
}

/// A participant's guess and, where the question lists the closest guesses, the name they chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Guess {
    pub percent: i16,
    pub display_name: Option<String>,
}

/// The split and group position a group name stands for.
pub(crate) fn group_named(name: &str) -> Option<(Split, usize)> {
    Split::ALL.into_iter().find_map(|split| split.group_position(name).map(|g| (split, g)))
}

/// How the default question names the group.
fn people(group: Option<&str>) -> &'static str {
    match group {
        None => "US adults",
        Some("Democrat") => "Democrats",
        Some("Republican") => "Republicans",
        Some("Independent or Other") => "independents and others",
        Some("Liberal") => "liberals",
        Some("Moderate") => "moderates",
        Some(_) => "conservatives",
    }
}

/// The question the room reads when the presenter gave none.
fn generated_text(catalog: &Question, responses: &[i16], group: Option<&str>) -> String {
    let labels: Vec<String> = responses
        .iter()
        .filter_map(|&k| Some(format!("“{}”", catalog.responses.get(usize::try_from(k).ok()?)?)))
        .collect();
    let text = format!("What share of {} answer {} to: {}", people(group), labels.join(" or "), catalog.text);
    text.chars().take(QUESTION_TEXT.max_chars).collect()
}

/// # Errors
/// An unknown catalog question or group, a bad response set (empty, out of range, repeated, or
/// every response: a share of 100%), a bad text, wave, speaker notes or countdown.
pub(crate) fn new_question(
    snapshot: &SurveySnapshot,
    new: &NewPollQuestion,
    at: usize,
) -> Result<PollQuestion, AppError> {
    let field = |name: &str| format!("questions[{at}].{name}");
    let Some(var_name) = &new.var_name else {
        return Err(AppError::invalid_field(field("var_name"), "say which catalog question the room guesses about"));
    };
    let Some(catalog) = snapshot.questions.get(var_name) else {
        return Err(AppError::invalid_field(field("var_name"), format!("unknown question '{var_name}'")));
    };
    let count = i16::try_from(catalog.responses.len()).unwrap_or(i16::MAX);
    let Some(responses) = new.response_indices.clone() else {
        return Err(AppError::invalid_field(field("response_indices"), "say which responses' share the room guesses"));
    };
    if responses.is_empty() {
        return Err(AppError::invalid_field(field("response_indices"), "pick at least one response"));
    }
    if let Some(bad) = responses.iter().find(|&&k| k < 0 || k >= count) {
        let message = format!("index {bad} is out of range for '{var_name}' (0–{})", count - 1);
        return Err(AppError::invalid_field(field("response_indices"), message));
    }
    if responses.iter().collect::<HashSet<_>>().len() != responses.len() {
        return Err(AppError::invalid_field(field("response_indices"), "a response is picked twice"));
    }
    if responses.len() == catalog.responses.len() {
        return Err(AppError::invalid_field(
            field("response_indices"),
            "every response is picked: the share would be 100%",
        ));
    }
    if let Some(group) = &new.group
        && group_named(group).is_none()
    {
        return Err(AppError::invalid_field(
            field("group"),
            format!(
                "unknown group '{group}' (Democrat, Republican, Independent or Other, Liberal, Moderate, Conservative)"
            ),
        ));
    }
    if let Some(wave) = new.wave
        && !snapshot.waves.iter().any(|w| w.number == wave)
    {
        return Err(AppError::invalid_field(field("wave"), format!("the survey has no wave {wave}")));
    }
    let mut sorted = responses.clone();
    sorted.sort_unstable();
    let text = match &new.text {
        Some(text) => QUESTION_TEXT.check(&field("text"), text)?,
        None => generated_text(catalog, &sorted, new.group.as_deref()),
    };
    Ok(PollQuestion {
        var_name: own_key(at),
        offered: (0..=100).collect(),
        results_hidden: new.results_hidden,
        speaker_notes: speaker_notes_of(new, at)?,
        timer_seconds: timer_of(new, at)?,
        spec: QuestionSpec::Predict(PredictSpec {
            text,
            catalog_var_name: var_name.clone(),
            responses: sorted,
            group: new.group.clone(),
            wave: new.wave,
            show_closest: new.show_closest.unwrap_or(false),
        }),
    })
}

impl PredictSpec {
    /// What the room guesses, with the catalog's wording.
    pub(crate) fn target(&self, snapshot: &SurveySnapshot) -> Option<PredictTarget> {
        let catalog = snapshot.questions.get(&self.catalog_var_name)?;
        Some(PredictTarget {
            question: catalog.text.clone(),
            responses: self
                .responses
                .iter()
                .filter_map(|&k| catalog.responses.get(usize::try_from(k).ok()?).cloned())
                .collect(),
            text_generated: self.text == generated_text(catalog, &self.responses, self.group.as_deref()),
            ..self.stored_target()
        })
    }

    /// What the room guesses as stored, without the catalog's wording.
    fn stored_target(&self) -> PredictTarget {
        PredictTarget {
            var_name: self.catalog_var_name.clone(),
            question: String::new(),
            response_indices: self.responses.clone(),
            responses: Vec::new(),
            group: self.group.clone(),
            wave: self.wave.unwrap_or_default(),
            show_closest: self.show_closest,
            text_generated: false,
        }
    }
}

/// The gap between the room's mean guess and the nation's share (see the module docs).
pub(crate) fn perception_gap(room: &MeanEstimate, nation: &NationalTarget) -> PerceptionGap {
    let difference = room.mean - 100.0 * nation.share.p;
    let none = PerceptionGap { difference, se: None, df: None, ci_low: None, ci_high: None };
    let (Some(se_room), Some(se_nation)) = (room.se, nation.share.se) else { return none };
    let se_nation = 100.0 * se_nation;
    let se = se_room.hypot(se_nation);
    if se == 0.0 {
        return PerceptionGap { se: Some(0.0), ci_low: Some(difference), ci_high: Some(difference), ..none };
    }
    let (n_room, n_nation) = (room.n as f64, nation.n as f64);
    let df = se.powi(4) / (se_room.powi(4) / (n_room - 1.0) + se_nation.powi(4) / (n_nation - 1.0));
    let Some(t) = t_quantile_975_df(df) else { return none };
    PerceptionGap {
        difference,
        se: Some(se),
        df: Some(df),
        ci_low: Some(difference - t * se),
        ci_high: Some(difference + t * se),
    }
}

/// The guesses per percent, overall and per group, and the named ones (for the closest).
#[derive(Debug, Clone)]
pub(crate) struct GuessTally {
    pub overall: Tally,
    pub groups: Vec<Tally>,
    /// Guesses given with a name, by respondent.
    pub named: BTreeMap<i64, (i16, String)>,
}

impl QuestionKind for PredictSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Predict
    }

    fn view(&self, question: &PollQuestion, snapshot: &SurveySnapshot) -> Option<PollQuestionView> {
        let target = self.target(snapshot)?;
        let mut view = crate::polls::kinds::own_view(question, QuestionKindName::Predict, &self.text, Vec::new());
        view.target = Some(target);
        Some(view)
    }

    fn answer(&self, question: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        only_fields(answer, at, &["percent", "display_name"], QuestionKindName::Predict)?;
        let Some(percent) = answer.percent else { return Err(missing(at, "percent", QuestionKindName::Predict)) };
        if !(0..=100).contains(&percent) {
            return Err(AppError::invalid_field(
                format!("answers[{at}].percent"),
                format!("a guess for '{}' is 0 to 100 (percent), not {percent}", question.var_name),
            ));
        }
        let display_name = match &answer.display_name {
            Some(_) if !self.show_closest => return Err(not_for_kind(at, "display_name", QuestionKindName::Predict)),
            Some(name) => {
                Some(DISPLAY_NAME.check(&format!("answers[{at}].display_name"), name)?).filter(|name| !name.is_empty())
            }
            None => None,
        };
        Ok(Choice::Guess(Guess { percent, display_name }))
    }

    fn group_of(&self, _: &Choice, _: &crate::polls::kinds::SplitGroups) -> Option<usize> {
        None
    }

    fn fold(&self, _: &PollQuestion, tally: &mut QuestionTally, choice: &Choice, into: FoldInto) {
        let (Choice::Guess(guess), QuestionTally::Guesses(tally)) = (choice, tally) else { return };
        let Ok(position) = usize::try_from(guess.percent) else { return };
        if into.overall {
            tally.overall.add(&[position]);
            if let Some(name) = &guess.display_name {
                tally.named.insert(into.respondent_id, (guess.percent, name.clone()));
            }
        }
        if let Some(group) = into.group.and_then(|g| tally.groups.get_mut(g)) {
            group.add(&[position]);
        }
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let QuestionTally::Guesses(tally) = input.tally else {
            unreachable!("a predict question's tally holds guesses")
        };
        let points = &input.question.offered;
        let nation = input.national.first().cloned().flatten();
        let mean = mean_of(points, &tally.overall);
        let gap = mean.as_ref().zip(nation.as_ref()).map(|(m, n)| perception_gap(m, n));
        let groups = input
            .groups
            .names
            .iter()
            .zip(&tally.groups)
            .filter_map(|(group, counts)| {
                let mean = mean_of(points, counts)?;
                let gap = nation.as_ref().map(|n| perception_gap(&mean, n));
                Some(GroupGuess { group: group.clone(), mean, gap })
            })
            .collect();
        let closest = match (&nation, self.show_closest) {
            (Some(nation), true) => closest_guesses(&tally.named, 100.0 * nation.share.p),
            _ => Vec::new(),
        };
        QuestionResults::Predict(PredictResults {
            head: input.head(),
            // The view always has it (a question whose catalog entry is gone has no results).
            target: input.view.target.clone().unwrap_or_else(|| self.stored_target()),
            guesses: tally.overall.clone(),
            mean,
            nation,
            gap,
            groups,
            closest,
        })
    }

    fn csv_columns(&self, question: &PollQuestion) -> Vec<String> {
        let mut columns = vec![question.var_name.clone()];
        if self.show_closest {
            columns.push(format!("{}_name", question.var_name));
        }
        columns
    }

    fn csv_cells(&self, _: &PollQuestion, _: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        let mut cells = vec![answer.and_then(|a| a.response_index).map(|v| v.to_string()).unwrap_or_default()];
        if self.show_closest {
            cells.push(answer.and_then(|a| a.display_name.clone()).unwrap_or_default());
        }
        cells
    }
}

/// The named guesses nearest `nation` (percent), nearest first (ties: the earlier guess); a name
/// on the blocklist is not shown.
fn closest_guesses(named: &BTreeMap<i64, (i16, String)>, nation: f64) -> Vec<ClosestGuess> {
    let mut guesses: Vec<(f64, i64, i16, &str)> = named
        .iter()
        .filter(|(_, (_, name))| !is_blocked(&name.to_lowercase()))
        .map(|(&respondent, (percent, name))| {
            ((f64::from(*percent) - nation).abs(), respondent, *percent, name.as_str())
        })
        .collect();
    guesses.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    guesses
        .into_iter()
        .take(CLOSEST_GUESSES)
        .map(|(_, _, percent, name)| ClosestGuess { display_name: name.to_owned(), percent })
        .collect()
}
