//! Poll results, computed from the database (so they are the same in every process and after a
//! restart), beside the weighted national shares from the survey snapshot.

pub(crate) mod export;
pub(crate) mod room_vs_nation;
pub(crate) mod tally;

use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::polls::kinds::open::SHOWN_ANSWERS;
use crate::polls::kinds::predict::group_named;
use crate::polls::kinds::{PollQuestion, QuestionSpec, SplitGroups};
use crate::polls::model::room_vs_nation::{GroupMix, NationalCell, NationalReference};
use crate::polls::model::{
    HiddenQuestionResults, Moderation, NationalGroupShares, NationalShares, NationalTarget, Pacing,
    PollQuestionResults, PollResults, QuestionResults, Tally,
};
use crate::polls::repository::{PollKey, PollRecord};
use crate::polls::results::tally::LiveTally;
use crate::surveys::cache::SurveyCache;
use crate::surveys::groups::Split;
use crate::surveys::proportions::{question_sums, share_of_set, waves_with_answers};
use crate::surveys::snapshot::SurveySnapshot;
use crate::surveys::weighted_proportions::{CellSums, t_quantile_975};

impl SplitGroups {
    /// The groups of the poll's split question (none without one). pid3 and ideo7 use the
    /// survey's party and ideology groups; any other question (a catalog question, a
    /// single-answer choice, a scale) has one group per offered response.
    pub(crate) fn of_poll(snapshot: &SurveySnapshot, poll: &PollRecord) -> Self {
        let Some(split_by) = &poll.poll.split_by else { return Self::default() };
        let Some(question) = poll.question(split_by) else { return Self::default() };
        let split = Split::defined_by(split_by);
        if matches!(question.spec, QuestionSpec::Catalog(_))
            && split != Split::None
            && let Some(catalog) = snapshot.questions.get(split_by)
            && let Ok(mapping) = split.group_of_response(&catalog.responses)
        {
            let names = split.groups().iter().map(|g| g.name.to_owned()).collect();
            let of_response =
                mapping.iter().zip(0i16..).filter_map(|(group, k)| Some((k, usize::from((*group)?)))).collect();
            return Self { names, of_response };
        }
        let Some(view) = question.kind().view(question, snapshot) else { return Self::default() };
        let names = view.responses.iter().map(|r| r.response.clone()).collect();
        let of_response = view.responses.iter().enumerate().map(|(g, r)| (r.index, g)).collect();
        Self { names, of_response }
    }
}

fn shares(counts: &[i64], n: i64) -> Vec<f64> {
    counts.iter().map(|&c| if n > 0 { c as f64 / n as f64 } else { 0.0 }).collect()
}

impl Tally {
    /// No answers yet, over `responses` offered values.
    pub(crate) fn zero(responses: usize) -> Self {
        Self { n: 0, counts: vec![0; responses], shares: vec![0.0; responses] }
    }

    /// One more participant, who chose the responses at `positions` (one, or several for a
    /// multiple-answer choice: then the shares add up to more than 1).
    pub(crate) fn add(&mut self, positions: &[usize]) {
        for &position in positions {
            self.counts[position] += 1;
        }
        self.n += 1;
        self.shares = shares(&self.counts, self.n);
    }
}

/// The nation's view of one poll question: the weighted shares (with SEs and CIs) of the
/// `offered` responses in the latest wave with answers to `var_name`, everyone and per group of
/// `split`, with `group_mix` (the same for every question of a poll: read once per poll).
pub(crate) async fn national_reference(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    (var_name, offered): (&str, &[i16]),
    split: Split,
    group_mix: Option<GroupMix>,
) -> Result<Option<NationalReference>, AppError> {
    let Some(question) = snapshot.questions.get(var_name) else { return Ok(None) };
    let answers = snapshot.answers(db, var_name).await?;
    // One pass over every wave: a wave's row holds that wave's answers alone.
    let sums = question_sums(snapshot, question, &answers, split, None);
    let Some(&wave) = sums.waves.last() else { return Ok(None) };
    let row = &sums.cells[sums.waves.len() - 1];
    let cell_of = |cell: &CellSums| NationalCell {
        n: cell.n,
        shares: offered
            .iter()
            .filter_map(|&k| Some(cell.estimate([usize::try_from(k).ok()?], t_quantile_975(cell.n))))
            .collect(),
    };
    let Some(everyone) = row.last() else { return Ok(None) };
    let groups = split.groups().iter().zip(row.iter()).map(|(_, cell)| cell_of(cell)).collect();
    Ok(Some(NationalReference { wave, everyone: cell_of(everyone), groups, group_mix }))
}

/// The weighted national share of `group` (a party or ideology group's name; `None`: everyone)
/// giving one of `responses` to `var_name` in `wave`, as the dashboards estimate it.
///
/// # Errors
/// Database failure.
pub(crate) async fn national_target(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    (var_name, responses): (&str, &[i16]),
    wave: i32,
    group: Option<&str>,
) -> Result<Option<NationalTarget>, AppError> {
    let Some(question) = snapshot.questions.get(var_name) else { return Ok(None) };
    let answers = snapshot.answers(db, var_name).await?;
    let cell = match group {
        Some(name) => match group_named(name) {
            Some((split, g)) => (split, Some(g)),
            None => return Ok(None),
        },
        None => (Split::None, None),
    };
    let set: Vec<usize> = responses.iter().filter_map(|&k| usize::try_from(k).ok()).collect();
    Ok(share_of_set(snapshot, (question, &answers), wave, cell, &set).map(|(n, share)| NationalTarget { n, share }))
}

/// What a predict question or a ranking of catalog principles compares the room with: the
/// national shares (one for a guess, one per item) and the labels of the responses they count;
/// nothing for other questions.
///
/// # Errors
/// Database failure.
pub(crate) async fn national_targets(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    spec: &QuestionSpec,
) -> Result<(Vec<Option<NationalTarget>>, Vec<String>), AppError> {
    let (var_names, responses, wave, group) = match spec {
        QuestionSpec::Predict(p) => {
            (std::slice::from_ref(&p.catalog_var_name), &p.responses, p.wave, p.group.as_deref())
        }
        QuestionSpec::Ranking(r) => match &r.nation {
            Some(n) => (n.var_names.as_slice(), &n.responses, n.wave, None),
            None => return Ok((Vec::new(), Vec::new())),
        },
        _ => return Ok((Vec::new(), Vec::new())),
    };
    let Some(wave) = wave else { return Ok((Vec::new(), Vec::new())) };
    let mut targets = Vec::with_capacity(var_names.len());
    for var_name in var_names {
        targets.push(national_target(db, snapshot, (var_name, responses), wave, group).await?);
    }
    let labels = var_names
        .first()
        .and_then(|v| snapshot.questions.get(v))
        .map(|q| responses.iter().filter_map(|&k| q.responses.get(usize::try_from(k).ok()?).cloned()).collect())
        .unwrap_or_default();
    Ok((targets, labels))
}

/// Chooses the survey wave of each new predict question and ranking of catalog principles that
/// has none (the latest with at least two answers from the group, or to every item), and checks
/// a chosen one: the room compares itself with an estimate that has an interval.
///
/// # Errors
/// A 422 naming `questions[at].wave` when the survey has too few answers; database failure.
pub(crate) async fn choose_national_waves(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    questions: &mut [PollQuestion],
) -> Result<(), AppError> {
    for (at, question) in questions.iter_mut().enumerate() {
        let (var_names, wave, group) = match &mut question.spec {
            QuestionSpec::Predict(p) => (vec![p.catalog_var_name.clone()], &mut p.wave, p.group.clone()),
            QuestionSpec::Ranking(r) => match &mut r.nation {
                Some(n) => (n.var_names.clone(), &mut n.wave, None),
                None => continue,
            },
            _ => continue,
        };
        let cell = group.as_deref().and_then(group_named).map_or((Split::None, None), |(s, g)| (s, Some(g)));
        // The waves in which every question has two answers from the group.
        let mut common: Option<Vec<i32>> = None;
        for var_name in &var_names {
            let Some(catalog) = snapshot.questions.get(var_name) else { continue };
            let answers = snapshot.answers(db, var_name).await?;
            let waves = waves_with_answers(snapshot, (catalog, &answers), cell, 2);
            common = Some(match common {
                None => waves,
                Some(before) => before.into_iter().filter(|w| waves.contains(w)).collect(),
            });
        }
        let common = common.unwrap_or_default();
        let who = group.map_or_else(|| "respondents".to_owned(), |g| format!("respondents in '{g}'"));
        let field = format!("questions[{at}].wave");
        match *wave {
            Some(chosen) if !common.contains(&chosen) => {
                let message =
                    format!("wave {chosen} has fewer than two {who} answering; waves with answers: {common:?}");
                return Err(AppError::invalid_field(field, message));
            }
            Some(_) => {}
            None => match common.last() {
                Some(&latest) => *wave = Some(latest),
                None => {
                    let message = format!("no wave has two {who} answering");
                    return Err(AppError::invalid_field(field, message));
                }
            },
        }
    }
    Ok(())
}

/// The nation's weighted shares of `split`'s groups among respondents in one of them, in the
/// latest wave that asked the split's question.
pub(crate) async fn group_mix(
    db: &DatabaseConnection,
    snapshot: &SurveySnapshot,
    split: Split,
) -> Result<Option<GroupMix>, AppError> {
    let Some(var_name) = split.defining_question() else { return Ok(None) };
    let Some(question) = snapshot.questions.get(var_name) else { return Ok(None) };
    let answers = snapshot.answers(db, var_name).await?;
    let sums = question_sums(snapshot, question, &answers, split, None);
    let Some(&wave) = sums.waves.last() else { return Ok(None) };
    let groups = &sums.cells[sums.waves.len() - 1][..split.groups().len()];
    let total: f64 = groups.iter().map(|c| c.sum_w).sum();
    if total <= 0.0 {
        return Ok(None);
    }
    Ok(Some(GroupMix { wave, shares: groups.iter().map(|c| c.sum_w / total).collect() }))
}

/// The shares the results have always shown beside the room's (without their uncertainty).
pub(crate) fn national_shares(reference: &NationalReference, split: Split) -> NationalShares {
    let p = |cell: &NationalCell| cell.shares.iter().map(|s| s.p).collect();
    NationalShares {
        wave: reference.wave,
        n: reference.everyone.n,
        shares: p(&reference.everyone),
        groups: split
            .groups()
            .iter()
            .zip(&reference.groups)
            .filter(|(_, cell)| cell.n > 0)
            .map(|(g, cell)| NationalGroupShares { group: g.name.to_owned(), n: cell.n, shares: p(cell) })
            .collect(),
    }
}

impl PollResults {
    /// Whether the question at `position` takes answers now: on a presenter-paced poll, the
    /// current question while its voting is open; on an all-at-once poll, every question while the
    /// poll is open.
    fn takes_answers(&self, position: usize) -> bool {
        match self.pace.pacing {
            Pacing::Presenter => {
                self.pace.voting_open
                    && self.pace.current_question.and_then(|c| usize::try_from(c).ok()) == Some(position)
            }
            Pacing::AllAtOnce => self.is_open,
        }
    }

    /// Whether the public must not see the nation's answers to the question at `position` yet (a
    /// guess of the nation's answer never sees it while guesses are taken).
    fn nation_withheld(&self, position: usize) -> bool {
        let is_guess = matches!(
            self.questions.get(position),
            Some(PollQuestionResults::Shown(shown)) if matches!(shown.as_ref(), QuestionResults::Predict(_))
        );
        (is_guess || !self.national_during_voting) && self.takes_answers(position)
    }

    /// The results as they stand once the voting is over: closed, no voting, no join code (so
    /// the nation's answers are no longer withheld). A frozen copy and a report show this.
    pub(crate) fn into_final(mut self) -> Self {
        self.is_open = false;
        self.pace.voting_open = false;
        self.pace.voting_closes_at = None;
        self.join_code = None;
        self
    }

    /// What the public sees: hidden questions as `{"var_name", "text", "hidden": true,
    /// "answered"}`, word clouds without blocked or hidden words (allowed ones unmarked), open
    /// answers a presenter approved (without who gave them), and no
    /// national answers to a question that still takes answers (unless the presenter chose to
    /// show them).
    pub(crate) fn for_public(&self) -> PollResults {
        // While the split question is hidden, nothing derived from its answers is public either:
        // groups' counts would add up to its hidden counts.
        let split_hidden = self.split_by.as_ref().is_some_and(|split| {
            self.questions
                .iter()
                .any(|q| matches!(q, PollQuestionResults::Shown(r) if &r.head().var_name == split && r.head().hidden))
        });
        let questions = self
            .questions
            .iter()
            .enumerate()
            .map(|(position, q)| match q {
                PollQuestionResults::Shown(r) if r.head().hidden => {
                    PollQuestionResults::Hidden(HiddenQuestionResults {
                        var_name: r.head().var_name.clone(),
                        text: r.head().text.clone(),
                        hidden: true,
                        answered: r.answered(),
                    })
                }
                PollQuestionResults::Shown(shown) => {
                    let mut shown = shown.clone();
                    match shown.as_mut() {
                        QuestionResults::Words(words) => {
                            // An allowed word is shown as any other: the public does not learn
                            // that it was blocked.
                            words.words.retain(|w| matches!(w.moderation, None | Some(Moderation::Allowed)));
                            for word in &mut words.words {
                                word.moderation = None;
                            }
                            words.answers = words.shown_answers;
                        }
                        QuestionResults::Open(open) => open.for_public(SHOWN_ANSWERS),
                        other => {
                            if split_hidden {
                                other.forget_groups();
                            }
                            if self.nation_withheld(position) {
                                other.forget_nation();
                            }
                        }
                    }
                    PollQuestionResults::Shown(shown)
                }
                other => other.clone(),
            })
            .collect();
        let mut qa = self.qa.clone();
        if let Some(qa) = qa.as_mut() {
            qa.for_public();
        }
        PollResults { questions, qa, ..self.clone() }
    }

    /// Whether the public sees less than staff: a hidden question, a moderated word (an allowed
    /// word's mark, at least), the nation's answers to a question still taking answers.
    pub(crate) fn hides_any(&self) -> bool {
        // Staff see each audience question's review.
        let qa_marked = self.qa.as_ref().is_some_and(|qa| !qa.questions.is_empty() || qa.pinned.is_some());
        qa_marked
            || self.questions.iter().enumerate().any(|(position, q)| match q {
                PollQuestionResults::Shown(shown) => match shown.as_ref() {
                    QuestionResults::Words(words) => {
                        words.head.hidden || words.words.iter().any(|w| w.moderation.is_some())
                    }
                    // Staff see who gave each answer and its review.
                    QuestionResults::Open(open) => open.head.hidden || !open.answers.is_empty(),
                    QuestionResults::Catalog(catalog) => {
                        catalog.head.hidden
                            || ((catalog.national.is_some() || catalog.room_vs_nation.is_some())
                                && self.nation_withheld(position))
                    }
                    QuestionResults::Ranking(ranking) => {
                        ranking.head.hidden || (ranking.nation.is_some() && self.nation_withheld(position))
                    }
                    QuestionResults::Predict(predict) => {
                        predict.head.hidden || (predict.nation.is_some() && self.nation_withheld(position))
                    }
                    other => other.head().hidden,
                },
                PollQuestionResults::Hidden(_) => false,
            })
    }
}

impl QuestionResults {
    /// Leaves out everything split by the poll's split question: groups' counts and means, the
    /// matched and reweighted comparisons with the nation.
    fn forget_groups(&mut self) {
        match self {
            QuestionResults::Catalog(r) => {
                r.groups.clear();
                if let Some(comparison) = r.room_vs_nation.as_mut() {
                    comparison.groups.clear();
                    comparison.reweighted = None;
                }
            }
            QuestionResults::Choice(r) => r.groups.clear(),
            QuestionResults::Scale(r) => {
                r.groups.clear();
                r.group_means.clear();
            }
            QuestionResults::Ranking(r) => r.groups.clear(),
            QuestionResults::Predict(r) => r.groups.clear(),
            QuestionResults::Words(_) | QuestionResults::Open(_) => {}
        }
    }

    /// Leaves out the nation's answers (a catalog question's national shares and its comparison
    /// with the room).
    fn forget_nation(&mut self) {
        match self {
            QuestionResults::Catalog(r) => {
                r.national = None;
                r.room_vs_nation = None;
            }
            QuestionResults::Ranking(r) => r.nation = None,
            QuestionResults::Predict(r) => {
                r.nation = None;
                r.gap = None;
                r.closest.clear();
                for group in &mut r.groups {
                    group.gap = None;
                }
            }
            _ => {}
        }
    }

    /// How many participants answered the question.
    fn answered(&self) -> i64 {
        match self {
            QuestionResults::Catalog(r) => r.overall.n,
            QuestionResults::Choice(r) => r.overall.n,
            QuestionResults::Scale(r) => r.overall.n,
            QuestionResults::Words(r) => r.respondents,
            QuestionResults::Open(r) => r.respondents,
            QuestionResults::Ranking(r) => r.respondents,
            QuestionResults::Predict(r) => r.guesses.n,
        }
    }

    pub(crate) fn head(&self) -> &crate::polls::model::ResultsHead {
        match self {
            QuestionResults::Catalog(r) => &r.head,
            QuestionResults::Choice(r) => &r.head,
            QuestionResults::Scale(r) => &r.head,
            QuestionResults::Words(r) => &r.head,
            QuestionResults::Open(r) => &r.head,
            QuestionResults::Ranking(r) => &r.head,
            QuestionResults::Predict(r) => &r.head,
        }
    }
}

/// Everything about a poll's results, hidden questions included: what staff see.
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn results(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    key: PollKey<'_>,
) -> Result<PollResults, AppError> {
    let mut tally = LiveTally::load(db, surveys, key).await?;
    Ok(tally.results())
}

/// The staff results and what they were read from, in one read: for a copy or a report that
/// also shows the questions.
///
/// # Errors
/// No such poll (404), database failure.
pub(crate) async fn results_and_sources(
    db: &DatabaseConnection,
    surveys: &SurveyCache,
    key: PollKey<'_>,
) -> Result<(PollResults, tally::ResultsSources), AppError> {
    let mut tally = LiveTally::load(db, surveys, key).await?;
    let results = tally.results();
    Ok((results, tally.into_sources()))
}
