//! The groups a poll's results are split into, as every question kind folds its answers into
//! them (made from the poll's split question by `polls::results`).

use std::collections::HashMap;

/// The groups' names, and for each response index of the split question the group it falls in.
#[derive(Debug, Clone, Default)]
pub(crate) struct SplitGroups {
    pub names: Vec<String>,
    pub of_response: HashMap<i16, usize>,
}
