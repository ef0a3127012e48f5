//! Rules for free text that people type (titles, names): trimmed, not empty unless allowed, not
//! longer than its limit, and no control characters (a NUL cannot even be stored in PostgreSQL
//! text, and the others have no business in a label; descriptions may have line breaks), nor
//! invisible formatting characters — bidi overrides and isolates, zero-width spaces and joiners —
//! with which "Admin\u{200b}" would look like "Admin" or a title could read backwards.

use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub(crate) struct TextRule {
    pub max_chars: usize,
    pub required: bool,
    pub multiline: bool,
}

pub(crate) const POLL_TITLE: TextRule = TextRule { max_chars: 200, required: true, multiline: false };
pub(crate) const POLL_DESCRIPTION: TextRule = TextRule { max_chars: 2_000, required: false, multiline: true };
pub(crate) const QUESTION_TEXT: TextRule = TextRule { max_chars: 500, required: true, multiline: false };
/// A presenter's notes on one question, shown on the presenter view only.
pub(crate) const SPEAKER_NOTES: TextRule = TextRule { max_chars: 2_000, required: false, multiline: true };
pub(crate) const OPTION_LABEL: TextRule = TextRule { max_chars: 100, required: true, multiline: false };
/// One answer to a words question.
pub(crate) const WORD_ANSWER: TextRule = TextRule { max_chars: 40, required: true, multiline: false };
/// One answer to an open question: a sentence, not an essay (a slide shows several).
pub(crate) const OPEN_ANSWER: TextRule = TextRule { max_chars: 280, required: true, multiline: false };
/// The name a participant may give with an audience question (anonymous without one).
pub(crate) const DISPLAY_NAME: TextRule = TextRule { max_chars: 40, required: false, multiline: false };
/// What a presenter link is for, as the console lists it.
pub(crate) const PRESENTER_LINK_LABEL: TextRule = TextRule { max_chars: 100, required: false, multiline: false };
pub(crate) const SCALE_LABEL: TextRule = TextRule { max_chars: 60, required: false, multiline: false };
pub(crate) const ACCOUNT_NAME: TextRule = TextRule { max_chars: 100, required: true, multiline: false };

impl TextRule {
    /// `value` trimmed, or a 422 naming `field`.
    ///
    /// # Errors
    /// Empty (when required), longer than allowed, or a control character.
    pub(crate) fn check(self, field: &str, value: &str) -> Result<String, AppError> {
        let value = value.trim();
        if self.required && value.is_empty() {
            return Err(AppError::invalid_field(field, format!("{field} must not be empty")));
        }
        if value.chars().count() > self.max_chars {
            return Err(AppError::invalid_field(
                field,
                format!("{field} must be at most {} characters", self.max_chars),
            ));
        }
        if value.chars().any(|c| c.is_control() && !(self.multiline && matches!(c, '\n' | '\r' | '\t'))) {
            return Err(AppError::invalid_field(field, format!("{field} must not contain control characters")));
        }
        if value.chars().any(is_invisible_format) {
            return Err(AppError::invalid_field(
                field,
                format!("{field} must not contain invisible characters (zero-width or text-direction marks)"),
            ));
        }
        Ok(value.to_owned())
    }
}

/// Unicode's invisible format characters that change how text looks or reads without being seen:
/// the soft hyphen, the Arabic letter mark, zero-width spaces and (non-)joiners, direction marks,
/// embeddings, overrides and isolates, word joiners and invisible operators, the byte-order mark,
/// interlinear annotation marks.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            // Invisible letters and joiners that render as nothing: the combining grapheme
            // joiner, Hangul fillers, tag characters.
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Whether `value` holds a control character (NUL included).
pub(crate) fn has_control_characters(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// A cell a spreadsheet will not run: text a participant typed that starts like a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return) gets a leading `'` (OWASP's advice for CSV injection).
pub(crate) fn inert(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        assert_eq!(POLL_TITLE.check("title", "  Hello ").unwrap(), "Hello");
        assert!(POLL_TITLE.check("title", "   ").is_err());
        assert!(POLL_TITLE.check("title", &"x".repeat(201)).is_err());
        assert!(POLL_TITLE.check("title", "a\u{0}b").is_err());
        assert!(POLL_TITLE.check("title", "a\nb").is_err());
        assert_eq!(POLL_DESCRIPTION.check("description", "").unwrap(), "");
        assert_eq!(POLL_DESCRIPTION.check("description", "a\nb").unwrap(), "a\nb");
        assert!(POLL_DESCRIPTION.check("description", "a\u{0}b").is_err());
        assert!(has_control_characters("token\u{0}"));
        for invisible in ["Admin\u{200b}", "\u{202e}nimdA", "a\u{2066}b", "\u{feff}x", "soft\u{ad}hyphen"] {
            assert!(ACCOUNT_NAME.check("name", invisible).is_err(), "{invisible:?}");
            assert!(POLL_TITLE.check("title", invisible).is_err(), "{invisible:?}");
        }
        assert_eq!(ACCOUNT_NAME.check("name", "Zoë Ångström-Łukasz").unwrap(), "Zoë Ångström-Łukasz");
    }

    #[test]
    fn formulas_are_made_text() {
        assert_eq!(inert("=HYPERLINK(\"http://x\")".to_owned()), "'=HYPERLINK(\"http://x\")");
        assert_eq!(inert("@SUM(A1)".to_owned()), "'@SUM(A1)");
        assert_eq!(inert("-1+2".to_owned()), "'-1+2");
        assert_eq!(inert("freedom".to_owned()), "freedom");
        assert_eq!(inert(String::new()), "");
    }
}
