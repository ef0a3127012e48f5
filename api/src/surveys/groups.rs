//! How respondents split into groups: by party (from `pid3`) or ideology (from `ideo7`), defined by
//! the response labels so that a reordered catalog cannot silently regroup anyone.

use serde::{Deserialize, Serialize};

/// The split of a result into respondent groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Democrat, Republican, Independent or Other (from `pid3`; "Not sure" is in no group).
    Party,
    /// Liberal, Moderate, Conservative (from `ideo7`).
    Ideology,
    /// Everyone together.
    None,
}

/// One group: its name and the labels of the defining question's responses that belong to it.
pub struct GroupDefinition {
    pub name: &'static str,
    pub labels: &'static [&'static str],
}

const PARTY: [GroupDefinition; 3] = [
    GroupDefinition { name: "Democrat", labels: &["Democrat"] },
    GroupDefinition { name: "Republican", labels: &["Republican"] },
    GroupDefinition { name: "Independent or Other", labels: &["Independent", "Other"] },
];

const IDEOLOGY: [GroupDefinition; 3] = [
    GroupDefinition { name: "Liberal", labels: &["Very liberal", "Somewhat liberal", "Slightly liberal"] },
    GroupDefinition { name: "Moderate", labels: &["Moderate; middle of the road"] },
    GroupDefinition {
        name: "Conservative",
        labels: &["Slightly conservative", "Somewhat conservative", "Very conservative"],
    },
];

impl Split {
    pub const ALL: [Split; 3] = [Split::Party, Split::Ideology, Split::None];

    /// # Errors
    /// Not one of `party`, `ideology`, `none`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "party" => Ok(Split::Party),
            "ideology" => Ok(Split::Ideology),
            "none" => Ok(Split::None),
            other => Err(format!("split must be party, ideology or none, not '{other}'")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Split::Party => "party",
            Split::Ideology => "ideology",
            Split::None => "none",
        }
    }

    /// The catalog question whose answer puts a respondent in a group.
    pub fn defining_question(self) -> Option<&'static str> {
        match self {
            Split::Party => Some("pid3"),
            Split::Ideology => Some("ideo7"),
            Split::None => None,
        }
    }

    /// The split whose groups `var_name` defines (pid3: party, ideo7: ideology), else `None`.
    pub fn defined_by(var_name: &str) -> Split {
        Split::ALL.into_iter().find(|s| s.defining_question() == Some(var_name)).unwrap_or(Split::None)
    }

    pub fn groups(self) -> &'static [GroupDefinition] {
        match self {
            Split::Party => &PARTY,
            Split::Ideology => &IDEOLOGY,
            Split::None => &[],
        }
    }

    /// The position of `name` among this split's groups.
    pub fn group_position(self, name: &str) -> Option<usize> {
        self.groups().iter().position(|g| g.name == name)
    }

    /// For each response index of the defining question (whose responses are `responses`), the
    /// group it belongs to, if any.
    ///
    /// # Errors
    /// A group label is not among the question's responses (the catalog changed).
    pub fn group_of_response(self, responses: &[String]) -> Result<Vec<Option<u8>>, String> {
        let mut mapping = vec![None; responses.len()];
        for (g, group) in self.groups().iter().enumerate() {
            for label in group.labels {
                let index = responses.iter().position(|r| r == label).ok_or_else(|| {
                    format!(
                        "{} has no response '{label}' for group '{}'",
                        self.defining_question().unwrap_or("-"),
                        group.name
                    )
                })?;
                mapping[index] = Some(g as u8);
            }
        }
        Ok(mapping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_groups_follow_labels_and_leave_not_sure_out() {
        let pid3: Vec<String> =
            ["Democrat", "Republican", "Independent", "Other", "Not sure"].map(String::from).to_vec();
        assert_eq!(Split::Party.group_of_response(&pid3).unwrap(), vec![Some(0), Some(1), Some(2), Some(2), None]);
    }

    #[test]
    fn a_missing_label_is_an_error() {
        let pid3: Vec<String> = ["Democrat", "Republican"].map(String::from).to_vec();
        assert!(Split::Party.group_of_response(&pid3).is_err());
    }
}
