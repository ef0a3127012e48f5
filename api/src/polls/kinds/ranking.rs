//! A ranking question: participants order 3 to 10 items (all of them, or their top k). Results:
//! each item's mean rank with a 95% interval, its Borda score, how often it was put at each place,
//! the room's order, per group of the split question; and, when the items are the catalog's
//! principles, the nation's order by the weighted share giving the chosen responses (e.g.
//! "Essential"), beside the room's, naming the item whose places differ most.
//!
//! An item a participant left out of a top-k ranking counts at the average of the unranked places
//! ((k + 1 + items)/2) in the mean rank, and gets no Borda points (Emerson's modified Borda count:
//! ranked r-th of k, k − r + 1 points). The mean rank's interval is a scale's (logit scale of
//! 1…items, t with n − 1 df: `scale::bounded_mean`). Checked against R
//! (`api/tests/fixtures/r-ranking.R`).

use std::collections::HashSet;

use crate::error::AppError;
use crate::polls::kinds::choice::checked_options;
use crate::polls::kinds::scale::bounded_mean;
use crate::polls::kinds::{
    Choice, FoldInto, PollQuestion, QuestionKind, QuestionKindName, QuestionSpec, QuestionTally, ResultsInput,
    SplitGroups, StoredAnswer, missing, only_fields, own_key, own_text, own_view, speaker_notes_of, timer_of,
};
use crate::polls::model::{
    Answer, GroupRanks, MeanEstimate, NationalItem, NationalTarget, NewPollQuestion, OfferedResponse, PollQuestionView,
    QuestionResults, RankedItem, RankedPrinciples, RankingNation, RankingResults,
};
use crate::surveys::snapshot::SurveySnapshot;

pub(crate) const MIN_ITEMS: usize = 3;
pub(crate) const MAX_ITEMS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RankingSpec {
    pub text: String,
    /// The items' labels (for catalog principles, their short texts when the question was made).
    pub items: Vec<String>,
    /// How many items a participant ranks.
    pub top_k: i16,
    /// The catalog principles the items are, if they are.
    pub nation: Option<RankingNationSpec>,
}

/// What orders the nation, for a ranking of catalog principles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RankingNationSpec {
    pub var_names: Vec<String>,
    /// The responses whose weighted share orders the nation.
    pub responses: Vec<i16>,
    /// `None` only between the definition's checks and the choice of the latest wave.
    pub wave: Option<i32>,
}

/// # Errors
/// Missing text; neither or both of `options` and `item_var_names`; fewer than 3 or more than 10
/// items; a bad, repeated or unknown item; catalog items whose responses differ; a bad response
/// set, wave or `top_k`.
pub(crate) fn new_question(
    snapshot: &SurveySnapshot,
    new: &NewPollQuestion,
    at: usize,
) -> Result<PollQuestion, AppError> {
    let text = own_text(new, at)?;
    let field = |name: &str| format!("questions[{at}].{name}");
    let count_ok = |n: usize| (MIN_ITEMS..=MAX_ITEMS).contains(&n);
    let (items, nation) = match (&new.options, &new.item_var_names) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid_field(
                field("item_var_names"),
                "give the items as options or as item_var_names, not both",
            ));
        }
        (None, None) => {
            return Err(AppError::invalid_field(field("options"), "a ranking question needs its items (options)"));
        }
        (Some(options), None) => {
            if !count_ok(options.len()) {
                return Err(AppError::invalid_field(
                    field("options"),
                    format!("give {MIN_ITEMS} to {MAX_ITEMS} items"),
                ));
            }
            for name in ["response_indices", "wave"] {
                let given = if name == "wave" { new.wave.is_some() } else { new.response_indices.is_some() };
                if given {
                    return Err(AppError::invalid_field(
                        field(name),
                        format!("{name} applies to a ranking of catalog questions (item_var_names) only"),
                    ));
                }
            }
            (checked_options(options, at)?, None)
        }
        (None, Some(var_names)) => catalog_items(snapshot, new, var_names, at)?,
    };
    let n_items = i16::try_from(items.len()).unwrap_or(i16::MAX);
    let top_k = new.top_k.unwrap_or(n_items);
    if !(2..=n_items).contains(&top_k) {
        return Err(AppError::invalid_field(
            field("top_k"),
            format!("top_k is 2 to {n_items} (the number of items), not {top_k}"),
        ));
    }
    Ok(PollQuestion {
        var_name: own_key(at),
        offered: (0..n_items).collect(),
        results_hidden: new.results_hidden,
        speaker_notes: speaker_notes_of(new, at)?,
        timer_seconds: timer_of(new, at)?,
        spec: QuestionSpec::Ranking(RankingSpec { text, items, top_k, nation }),
    })
}

/// Catalog principles as items: their labels and what orders the nation.
fn catalog_items(
    snapshot: &SurveySnapshot,
    new: &NewPollQuestion,
    var_names: &[String],
    at: usize,
) -> Result<(Vec<String>, Option<RankingNationSpec>), AppError> {
    let field = |name: &str| format!("questions[{at}].{name}");
    if !(MIN_ITEMS..=MAX_ITEMS).contains(&var_names.len()) {
        return Err(AppError::invalid_field(
            field("item_var_names"),
            format!("give {MIN_ITEMS} to {MAX_ITEMS} catalog questions"),
        ));
    }
    let mut labels = Vec::with_capacity(var_names.len());
    let mut responses: Option<&Vec<String>> = None;
    for (i, var_name) in var_names.iter().enumerate() {
        let item_field = field(&format!("item_var_names[{i}]"));
        let Some(catalog) = snapshot.questions.get(var_name) else {
            return Err(AppError::invalid_field(item_field, format!("unknown question '{var_name}'")));
        };
        if var_names[..i].contains(var_name) {
            return Err(AppError::invalid_field(item_field, format!("'{var_name}' is an item twice")));
        }
        if responses.is_some_and(|r| r != &catalog.responses) {
            return Err(AppError::invalid_field(
                item_field,
                format!(
                    "'{var_name}' is answered on other responses than the first item: rank one battery's questions"
                ),
            ));
        }
        responses = Some(&catalog.responses);
        labels.push(catalog.short_text.clone().unwrap_or_else(|| catalog.text.clone()));
    }
    let count = i16::try_from(responses.map_or(0, Vec::len)).unwrap_or(i16::MAX);
    let set = new.response_indices.clone().unwrap_or_else(|| vec![count - 1]);
    let set_field = field("response_indices");
    if set.is_empty() {
        return Err(AppError::invalid_field(set_field, "pick at least one response"));
    }
    if let Some(bad) = set.iter().find(|&&k| k < 0 || k >= count) {
        return Err(AppError::invalid_field(set_field, format!("index {bad} is out of range (0–{})", count - 1)));
    }
    if set.iter().collect::<HashSet<_>>().len() != set.len() {
        return Err(AppError::invalid_field(set_field, "a response is picked twice"));
    }
    if set.len() == usize::try_from(count).unwrap_or(0) {
        return Err(AppError::invalid_field(set_field, "every response is picked: every share would be 100%"));
    }
    if let Some(wave) = new.wave
        && !snapshot.waves.iter().any(|w| w.number == wave)
    {
        return Err(AppError::invalid_field(field("wave"), format!("the survey has no wave {wave}")));
    }
    let mut sorted = set;
    sorted.sort_unstable();
    Ok((labels, Some(RankingNationSpec { var_names: var_names.to_vec(), responses: sorted, wave: new.wave })))
}

/// How many participants put each item at each place (`places[item][place − 1]`).
#[derive(Debug, Clone)]
pub(crate) struct RankCounts {
    pub n: i64,
    pub places: Vec<Vec<i64>>,
}

impl RankCounts {
    pub(crate) fn zero(items: usize, top_k: usize) -> Self {
        Self { n: 0, places: vec![vec![0; top_k]; items] }
    }

    fn add(&mut self, ranking: &[i16]) {
        for (place, &item) in ranking.iter().enumerate() {
            if let Some(count) = usize::try_from(item).ok().and_then(|i| self.places.get_mut(i)?.get_mut(place)) {
                *count += 1;
            }
        }
        self.n += 1;
    }

    /// An item's mean rank: ranked places as they are, unranked ones at their average.
    fn mean_rank(&self, item: usize) -> Option<MeanEstimate> {
        let places = &self.places[item];
        let (k, items) = (places.len() as f64, self.places.len() as f64);
        let unranked = self.n - places.iter().sum::<i64>();
        let ranked = places.iter().enumerate().map(|(r, &c)| (r as f64 + 1.0, c));
        bounded_mean(ranked.chain([((k + 1.0 + items) / 2.0, unranked)]), (1.0, items))
    }
}

/// The running counts of a ranking question, overall and per group.
#[derive(Debug, Clone)]
pub(crate) struct RankTally {
    pub overall: RankCounts,
    pub groups: Vec<RankCounts>,
}

/// Item indices by mean rank (ties by Borda score, then index).
fn room_order(items: &[RankedItem]) -> Vec<i16> {
    let mut order: Vec<&RankedItem> = items.iter().collect();
    let mean = |item: &RankedItem| item.mean_rank.as_ref().map_or(f64::INFINITY, |m| m.mean);
    order.sort_by(|a, b| mean(a).total_cmp(&mean(b)).then(b.borda.cmp(&a.borda)).then(a.index.cmp(&b.index)));
    order.into_iter().map(|item| item.index).collect()
}

/// The nation's order beside the room's.
fn ranking_nation(
    spec: &RankingNationSpec,
    labels: Vec<String>,
    national: &[Option<NationalTarget>],
    room_order: &[i16],
    answered: bool,
) -> Option<RankingNation> {
    let shares: Vec<&NationalTarget> = national.iter().map(Option::as_ref).collect::<Option<_>>()?;
    if shares.len() != spec.var_names.len() {
        return None;
    }
    let mut nation_order: Vec<i16> = (0..i16::try_from(shares.len()).ok()?).collect();
    nation_order.sort_by(|&a, &b| {
        shares[usize::try_from(b).unwrap_or(0)]
            .share
            .p
            .total_cmp(&shares[usize::try_from(a).unwrap_or(0)].share.p)
            .then(a.cmp(&b))
    });
    let place_in = |order: &[i16], item: i16| order.iter().position(|&i| i == item).map_or(0, |p| p + 1);
    let items: Vec<NationalItem> = spec
        .var_names
        .iter()
        .zip(&shares)
        .zip(0i16..)
        .map(|((var_name, target), index)| NationalItem {
            index,
            var_name: var_name.clone(),
            n: target.n,
            share: target.share,
            nation_place: place_in(&nation_order, index),
            room_place: place_in(room_order, index),
        })
        .collect();
    let differs_most = answered
        .then(|| {
            room_order.iter().copied().max_by_key(|&item| {
                let national = &items[usize::try_from(item).unwrap_or(0)];
                // The earliest of the largest: `max_by_key` keeps the last maximum, so rank ties
                // by the place reversed.
                (national.room_place.abs_diff(national.nation_place), std::cmp::Reverse(national.room_place))
            })
        })
        .flatten();
    Some(RankingNation { wave: spec.wave.unwrap_or_default(), responses: labels, items, nation_order, differs_most })
}

impl QuestionKind for RankingSpec {
    fn name(&self) -> QuestionKindName {
        QuestionKindName::Ranking
    }

    fn view(&self, question: &PollQuestion, _: &SurveySnapshot) -> Option<PollQuestionView> {
        let items =
            self.items.iter().zip(0i16..).map(|(label, index)| OfferedResponse { index, response: label.clone() });
        let mut view = own_view(question, QuestionKindName::Ranking, &self.text, items.collect());
        view.top_k = Some(self.top_k);
        view.principles = self.nation.as_ref().map(|nation| RankedPrinciples {
            item_var_names: nation.var_names.clone(),
            response_indices: nation.responses.clone(),
            wave: nation.wave.unwrap_or_default(),
        });
        Some(view)
    }

    fn answer(&self, question: &PollQuestion, answer: &Answer, at: usize) -> Result<Choice, AppError> {
        only_fields(answer, at, &["ranking"], QuestionKindName::Ranking)?;
        let Some(ranking) = &answer.ranking else { return Err(missing(at, "ranking", QuestionKindName::Ranking)) };
        let field = format!("answers[{at}].ranking");
        if ranking.len() != usize::try_from(self.top_k).unwrap_or(0) {
            let all = usize::try_from(self.top_k).unwrap_or(0) == self.items.len();
            let message = if all {
                format!("rank all {} items of '{}', not {}", self.items.len(), question.var_name, ranking.len())
            } else {
                format!("rank your top {} of '{}', not {}", self.top_k, question.var_name, ranking.len())
            };
            return Err(AppError::invalid_field(field, message));
        }
        if let Some(bad) = ranking.iter().find(|&&item| !question.offered.contains(&item)) {
            return Err(AppError::invalid_field(
                field,
                format!("'{}' has items 0 to {}, not {bad}", question.var_name, self.items.len() - 1),
            ));
        }
        if ranking.iter().collect::<HashSet<_>>().len() != ranking.len() {
            return Err(AppError::invalid_field(field, "an item is ranked twice"));
        }
        Ok(Choice::Ranking(ranking.clone()))
    }

    fn group_of(&self, _: &Choice, _: &SplitGroups) -> Option<usize> {
        None
    }

    fn fold(&self, _: &PollQuestion, tally: &mut QuestionTally, choice: &Choice, into: FoldInto) {
        let (Choice::Ranking(ranking), QuestionTally::Ranks(tally)) = (choice, tally) else { return };
        if into.overall {
            tally.overall.add(ranking);
        }
        if let Some(group) = into.group.and_then(|g| tally.groups.get_mut(g)) {
            group.add(ranking);
        }
    }

    fn results(&self, input: ResultsInput<'_>) -> QuestionResults {
        let QuestionTally::Ranks(tally) = input.tally else { unreachable!("a ranking question's tally holds ranks") };
        let k = i64::from(self.top_k);
        let items: Vec<RankedItem> = self
            .items
            .iter()
            .zip(0i16..)
            .enumerate()
            .map(|(i, (label, index))| {
                let places = &tally.overall.places[i];
                RankedItem {
                    index,
                    label: label.clone(),
                    mean_rank: tally.overall.mean_rank(i),
                    borda: places.iter().zip(0i64..).map(|(&c, r)| c * (k - r)).sum(),
                    distribution: places.clone(),
                    unranked: tally.overall.n - places.iter().sum::<i64>(),
                }
            })
            .collect();
        let room_order = room_order(&items);
        let groups = input
            .groups
            .names
            .iter()
            .zip(&tally.groups)
            .filter(|(_, counts)| counts.n > 0)
            .map(|(group, counts)| GroupRanks {
                group: group.clone(),
                n: counts.n,
                mean_ranks: (0..self.items.len()).map(|i| counts.mean_rank(i)).collect(),
            })
            .collect();
        let nation = self.nation.as_ref().and_then(|spec| {
            let labels = input.nation_labels.to_vec();
            ranking_nation(spec, labels, input.national, &room_order, tally.overall.n > 0)
        });
        QuestionResults::Ranking(RankingResults {
            head: input.head(),
            responses: input.view.responses,
            top_k: self.top_k,
            respondents: tally.overall.n,
            items,
            room_order,
            groups,
            nation,
        })
    }

    /// One column per item, `<key>_<item number>`: the place a participant gave it (empty:
    /// unranked).
    fn csv_columns(&self, question: &PollQuestion) -> Vec<String> {
        (1..=self.items.len()).map(|i| format!("{}_{i}", question.var_name)).collect()
    }

    fn csv_cells(&self, _: &PollQuestion, _: &PollQuestionView, answer: Option<&StoredAnswer>) -> Vec<String> {
        let ranking = answer.map(|a| a.ranking.as_slice()).unwrap_or_default();
        (0..self.items.len())
            .map(|item| {
                ranking
                    .iter()
                    .position(|&i| usize::try_from(i).ok() == Some(item))
                    .map(|place| (place + 1).to_string())
                    .unwrap_or_default()
            })
            .collect()
    }
}
