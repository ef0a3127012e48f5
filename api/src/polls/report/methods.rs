//! The handout's methods box: who answered, what was removed or hidden and why, how the room
//! was split or reweighted, and where the national figures come from.

use entity::polls::{ballot_voids, poll_resets};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::svg::{integer, percent0};
use crate::error::AppError;
use crate::polls::model::{Moderation, PollQuestionResults, PollResults, QuestionResults};
use crate::polls::results::tally::ResultsSources;

/// The paragraphs, from the staff results (`staff`: what was hidden is counted, never shown).
///
/// # Errors
/// Database failure.
pub(super) async fn paragraphs(
    db: &DatabaseConnection,
    sources: &ResultsSources,
    staff: &PollResults,
) -> Result<Vec<String>, AppError> {
    let id = sources.record.poll.id;
    let mut paragraphs = vec![format!(
        "Respondents: {} participants answered at least one question; {} browsers joined the poll.",
        integer(staff.respondents),
        integer(staff.joined)
    )];

    let last_reset = poll_resets::Entity::find()
        .filter(poll_resets::Column::PollId.eq(id))
        .order_by_desc(poll_resets::Column::ResetAt)
        .one(db)
        .await?;
    let mut voids = ballot_voids::Entity::find().filter(ballot_voids::Column::PollId.eq(id));
    if let Some(reset) = &last_reset {
        paragraphs.push(format!(
            "The poll's answers were last reset on {}: everything here counts the answers given since.",
            reset.reset_at.format("%-d %B %Y at %H:%M UTC")
        ));
        voids = voids.filter(ballot_voids::Column::VoidedAt.gt(reset.reset_at));
    }
    let voids = voids.all(db).await?;
    let removed: i64 = voids.iter().map(|v| v.respondents_removed).sum();
    paragraphs.push(match voids.len() {
        0 => "Voided bursts: none (no ballots were removed as a scripted burst).".to_owned(),
        bursts => format!(
            "Voided bursts: {bursts} burst{} of ballots from one client in a short window removed, {} respondent{} with all their answers; they are counted nowhere here.",
            if bursts == 1 { "" } else { "s" },
            integer(removed),
            if removed == 1 { "" } else { "s" }
        ),
    });

    let mut moderation = Vec::new();
    let mut not_revealed = 0;
    for question in &staff.questions {
        let PollQuestionResults::Shown(shown) = question else { continue };
        let var_name = &shown.head().var_name;
        if shown.head().hidden {
            not_revealed += 1;
        }
        match shown.as_ref() {
            QuestionResults::Words(words) => {
                let by_presenter = sources.hidden_words.get(var_name).map_or(0, Vec::len);
                let blocked = words.words.iter().filter(|w| w.moderation == Some(Moderation::Blocked)).count();
                if by_presenter + blocked > 0 {
                    moderation.push(format!(
                        "{var_name}: {by_presenter} word{} hidden by the presenter, {blocked} of the 100 most frequent on the built-in blocklist",
                        if by_presenter == 1 { "" } else { "s" }
                    ));
                }
            }
            QuestionResults::Open(open) => moderation.push(format!(
                "{var_name}: {} open answer{} approved for the room, {} kept from it, {} not reviewed",
                integer(open.approved),
                if open.approved == 1 { "" } else { "s" },
                integer(open.hidden_answers.unwrap_or(0)),
                integer(open.pending.unwrap_or(0))
            )),
            _ => {}
        }
    }
    paragraphs.push(if moderation.is_empty() {
        "Hidden words and answers: none.".to_owned()
    } else {
        format!("Hidden words and answers (counted, never shown): {}.", moderation.join("; "))
    });
    if not_revealed > 0 {
        paragraphs.push(format!(
            "{not_revealed} question{} results were never revealed to the room: this report shows only how many answered.",
            if not_revealed == 1 { "'s" } else { "s'" }
        ));
    }

    paragraphs.push(split_paragraph(sources, staff));
    paragraphs.push(national_paragraph(staff));
    paragraphs.push(
        "Statistics: the nation's shares are weighted survey estimates with 95% logit intervals (as R's survey::svyciprop); \
         the room's mean answers and guesses have 95% t intervals; a difference from the nation is called real when p < 0.05 \
         with at least 30 answers in the room."
            .to_owned(),
    );
    Ok(paragraphs)
}

/// How the room was split, and (for survey splits) reweighted to the nation's mix of groups.
fn split_paragraph(sources: &ResultsSources, staff: &PollResults) -> String {
    let Some(split_by) = &staff.split_by else {
        return "Split: the room was not split into groups, and not reweighted.".to_owned();
    };
    let question_text = sources
        .views
        .iter()
        .find(|v| &v.var_name == split_by)
        .map_or(split_by, |v| v.short_text.as_ref().unwrap_or(&v.text));
    let mut paragraph = format!("Split: the room's answers are also shown per answer to “{question_text}”.");
    let reweighted = staff.questions.iter().find_map(|q| match q {
        PollQuestionResults::Shown(shown) => match shown.as_ref() {
            QuestionResults::Catalog(c) => c.room_vs_nation.as_ref()?.reweighted.clone(),
            _ => None,
        },
        PollQuestionResults::Hidden(_) => None,
    });
    if let Some(reweighted) = reweighted {
        let mix: Vec<String> = reweighted
            .mix
            .iter()
            .map(|g| format!("{} {} of the nation, {} of the room", g.group, percent0(g.nation), percent0(g.room)))
            .collect();
        paragraph.push_str(&format!(
            " Catalog questions also compare the room reweighted to the nation's mix of these groups (BLW survey wave {}): {}; \
             {} participants in no group were left out of the reweighted figures; Kish's effective sample size of the reweighted room {:.1}.",
            reweighted.mix_wave,
            mix.join(", "),
            integer(reweighted.left_out),
            reweighted.n_eff
        ));
    } else {
        paragraph.push_str(" The room was not reweighted.");
    }
    paragraph
}

/// Which survey wave and how many respondents each national figure comes from.
fn national_paragraph(staff: &PollResults) -> String {
    let sources: Vec<String> = staff
        .questions
        .iter()
        .filter_map(|q| match q {
            PollQuestionResults::Shown(shown) => match shown.as_ref() {
                QuestionResults::Catalog(c) => {
                    let n = c.national.as_ref()?;
                    Some(format!("{}: wave {}, n = {}", c.head.var_name, n.wave, integer(i64::try_from(n.n).ok()?)))
                }
                QuestionResults::Ranking(r) => {
                    let n = r.nation.as_ref()?;
                    let respondents = n.items.iter().map(|i| i.n).min()?;
                    Some(format!(
                        "{}: wave {}, n ≥ {}",
                        r.head.var_name,
                        n.wave,
                        integer(i64::try_from(respondents).ok()?)
                    ))
                }
                QuestionResults::Predict(p) => {
                    let n = p.nation.as_ref()?;
                    Some(format!(
                        "{}: wave {}, n = {}",
                        p.head.var_name,
                        p.target.wave,
                        integer(i64::try_from(n.n).ok()?)
                    ))
                }
                _ => None,
            },
            PollQuestionResults::Hidden(_) => None,
        })
        .collect();
    if sources.is_empty() {
        "National figures: none (no question of this poll is compared with the nation).".to_owned()
    } else {
        format!(
            "National figures: the Bright Line Watch survey of US adults, weighted; each question uses the latest wave that asked it ({}).",
            sources.join("; ")
        )
    }
}
