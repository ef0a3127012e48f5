//! A ranking question's results: each item's mean rank and Borda score, how often it was put at
//! each place, the room's order, and (for the catalog's principles) the nation's order beside it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::polls::model::{MeanEstimate, OfferedResponse, ResultsHead};
use crate::surveys::weighted_proportions::Share;

/// What a ranking of catalog principles ranks, and what orders the nation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct RankedPrinciples {
    /// The catalog questions the items are, in item order.
    pub item_var_names: Vec<String>,
    /// The responses whose weighted share orders the nation.
    pub response_indices: Vec<i16>,
    pub wave: i32,
}

/// One item as the room ranked it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RankedItem {
    /// The item's index among the question's items (`responses[index]`).
    pub index: i16,
    pub label: String,
    /// The mean rank (1 = first) with a 95% interval on the logit scale of 1…items; an item a
    /// participant left unranked (top-k rankings) counts at the average of the unranked places.
    /// Null before the first answer.
    pub mean_rank: Option<MeanEstimate>,
    /// Emerson's modified Borda count: ranked r-th of k, an item gets k − r + 1 points; unranked, 0.
    pub borda: i64,
    /// Participants who put it at place 1, 2, … k.
    pub distribution: Vec<i64>,
    /// Participants who left it unranked (top-k rankings).
    pub unranked: i64,
}

/// The mean ranks of one group of the poll's split question, in item order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct GroupRanks {
    pub group: String,
    pub n: i64,
    pub mean_ranks: Vec<Option<MeanEstimate>>,
}

/// One catalog principle as the nation rates it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct NationalItem {
    pub index: i16,
    pub var_name: String,
    /// Unweighted respondents with a valid answer in the wave.
    pub n: u64,
    /// The weighted share giving the chosen responses, as the dashboards compute it.
    pub share: Share,
    /// Its place in the nation's order (1 = the highest share).
    pub nation_place: usize,
    /// Its place in the room's order (1 = the lowest mean rank).
    pub room_place: usize,
}

/// The room's order beside the nation's, for a ranking of catalog principles.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RankingNation {
    pub wave: i32,
    /// The responses whose weighted share orders the nation (e.g. "Essential").
    pub responses: Vec<String>,
    /// In item order.
    pub items: Vec<NationalItem>,
    /// Item indices, highest share first (ties by index).
    pub nation_order: Vec<i16>,
    /// The item whose places differ most (ties: the one the room puts first); null before the
    /// first answer.
    pub differs_most: Option<i16>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RankingResults {
    #[serde(flatten)]
    pub head: ResultsHead,
    /// The items (`index` = the item).
    pub responses: Vec<OfferedResponse>,
    /// How many items a participant ranks.
    pub top_k: i16,
    /// Participants who answered.
    pub respondents: i64,
    /// In item order.
    pub items: Vec<RankedItem>,
    /// Item indices by mean rank (ties by Borda score, then index).
    pub room_order: Vec<i16>,
    /// Per group of the poll's split question (empty without one).
    pub groups: Vec<GroupRanks>,
    /// The nation's order, for catalog principles (withheld from the public while the question
    /// takes answers, as a catalog question's national answers are, unless the presenter chose
    /// to show them).
    pub nation: Option<RankingNation>,
}
