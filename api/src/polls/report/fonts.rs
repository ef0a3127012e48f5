//! The report's one typeface, DejaVu Sans (regular and bold), built into the binary: a report
//! looks the same on every machine and in the container image, and no system font is read (a
//! font the renderer cannot find drops its text without an error). Licence:
//! `api/assets/fonts/LICENSE` (Bitstream Vera; DejaVu changes are in the public domain).

use std::sync::{Arc, LazyLock};

use resvg::usvg::fontdb;

/// The family every text element of a report names.
pub(crate) const FAMILY: &str = "DejaVu Sans";

const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// The fonts, as the SVG renderers look them up.
pub(crate) static FONT_DATABASE: LazyLock<Arc<fontdb::Database>> = LazyLock::new(|| {
    let mut database = fontdb::Database::new();
    database.load_font_data(REGULAR.to_vec());
    database.load_font_data(BOLD.to_vec());
    Arc::new(database)
});

/// Advance widths per character (in font units) and the units per em, for laying text out
/// before it is drawn: SVG has no line wrapping.
struct Metrics {
    units_per_em: f32,
    faces: [ttf_parser::Face<'static>; 2],
}

// The fonts are built in: failing to parse them is a broken build, caught by every report test.
#[allow(clippy::expect_used)]
static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let face = |data| ttf_parser::Face::parse(data, 0).expect("the built-in font parses");
    let faces = [face(REGULAR), face(BOLD)];
    Metrics { units_per_em: f32::from(faces[0].units_per_em()), faces }
});

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// How wide `text` is at `size` (the same unit as `size`).
pub(crate) fn text_width(text: &str, size: f32, weight: Weight) -> f32 {
    let metrics = &*METRICS;
    let face = &metrics.faces[usize::from(weight == Weight::Bold)];
    let units: f32 = text
        .chars()
        .map(|c| {
            let glyph = face.glyph_index(c).or_else(|| face.glyph_index('?'));
            glyph.and_then(|g| face.glyph_hor_advance(g)).map_or(0.0, f32::from)
        })
        .sum();
    units * size / metrics.units_per_em
}

/// `text` broken into lines no wider than `width` at word boundaries (a word wider than a line
/// is cut where it must be), at most `max_lines`: the last line of a longer text ends in "…".
pub(crate) fn wrap(text: &str, size: f32, weight: Weight, width: f32, max_lines: usize) -> Vec<String> {
    let fits = |line: &str| text_width(line, size, weight) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word too long for any line: cut it character by character.
        let mut rest = word;
        while !fits(rest) {
            let cut = rest
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .take_while(|&end| fits(&rest[..end]))
                .last()
                .unwrap_or_else(|| rest.chars().next().map_or(rest.len(), char::len_utf8));
            lines.push(rest[..cut].to_owned());
            rest = &rest[cut..];
        }
        line = rest.to_owned();
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && !fits(&format!("{last}…")) {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let text = "How important is it that elections are free from foreign influence in the United States";
        let lines = wrap(text, 20.0, Weight::Regular, 300.0, 10);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        assert!(lines.iter().all(|l| text_width(l, 20.0, Weight::Regular) <= 300.0));
    }

    #[test]
    fn a_long_text_ends_in_an_ellipsis_and_a_long_word_is_cut() {
        let lines = wrap(&"word ".repeat(200), 20.0, Weight::Bold, 200.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        let cut = wrap(&"x".repeat(100), 20.0, Weight::Regular, 100.0, 50);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), "x".repeat(100));
    }

    #[test]
    fn bold_is_wider_than_regular() {
        assert!(text_width("Democracy", 10.0, Weight::Bold) > text_width("Democracy", 10.0, Weight::Regular));
        assert!(text_width("Democracy", 10.0, Weight::Regular) > 0.0);
    }
}
