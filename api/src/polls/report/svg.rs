//! A small SVG writer for the report's slides and pages: rectangles, lines and text in the
//! report's typeface, escaped, with numbers printed as the projector prints them.

use std::fmt::Write;

use super::fonts::{FAMILY, Weight};

/// The report's colours: the room, the nation, text, rules.
pub(crate) const ROOM: &str = "#1d4ed8";
pub(crate) const NATION: &str = "#b45309";
pub(crate) const INK: &str = "#111827";
pub(crate) const MUTED: &str = "#4b5563";
pub(crate) const RULE: &str = "#d1d5db";
pub(crate) const TRACK: &str = "#f3f4f6";

/// Where a text's `x` is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// One SVG drawing being written.
#[derive(Debug, Default)]
pub(crate) struct Svg {
    body: String,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no place for other control characters.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Svg {
    pub(crate) fn rect(&mut self, (x, y): (f32, f32), (width, height): (f32, f32), fill: &str) {
        // An empty bar (a share of 0) draws nothing; SVG calls a zero width invalid.
        if width > 0.0 && height > 0.0 {
            let _ = write!(
                self.body,
                r#"<rect x="{x:.2}" y="{y:.2}" width="{width:.2}" height="{height:.2}" fill="{fill}"/>"#
            );
        }
    }

    /// An unfilled rectangle (a box around the methods).
    pub(crate) fn frame(&mut self, (x, y): (f32, f32), (width, height): (f32, f32), stroke: &str) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{width:.2}" height="{height:.2}" fill="none" stroke="{stroke}" stroke-width="1"/>"#
        );
    }

    pub(crate) fn line(&mut self, (x1, y1): (f32, f32), (x2, y2): (f32, f32), stroke: &str, width: f32) {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{width:.2}"/>"#
        );
    }

    pub(crate) fn circle(&mut self, (x, y): (f32, f32), radius: f32, fill: &str) {
        let _ = write!(self.body, r#"<circle cx="{x:.2}" cy="{y:.2}" r="{radius:.2}" fill="{fill}"/>"#);
    }

    /// One line of text; `y` is its baseline.
    pub(crate) fn text(&mut self, (x, y): (f32, f32), size: f32, style: (Weight, &str, Anchor), content: &str) {
        let (weight, fill, anchor) = style;
        let weight = if weight == Weight::Bold { "bold" } else { "normal" };
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = write!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-family="{FAMILY}" font-size="{size:.2}" font-weight="{weight}" fill="{fill}" text-anchor="{anchor}" xml:space="preserve">{}</text>"#,
            escape(content)
        );
    }

    /// Lines of text `leading` apart, the first baseline at `y`; returns the baseline after the last.
    pub(crate) fn lines(
        &mut self,
        (x, y): (f32, f32),
        size: f32,
        leading: f32,
        style: (Weight, &str, Anchor),
        lines: &[String],
    ) -> f32 {
        let mut baseline = y;
        for line in lines {
            self.text((x, baseline), size, style, line);
            baseline += leading;
        }
        baseline
    }

    /// Another drawing placed at `(x, y)`, scaled by `scale`.
    pub(crate) fn place(&mut self, (x, y): (f32, f32), scale: f32, inner: &Self) {
        let _ = write!(self.body, r#"<g transform="translate({x:.2} {y:.2}) scale({scale:.5})">{}</g>"#, inner.body);
    }

    /// The finished document, `width` × `height` with a white background.
    pub(crate) fn document(&self, width: f32, height: f32) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="white"/>{}</svg>"#,
            self.body
        )
    }
}

/// A share as a whole percent, as the projector shows it ("42%").
pub(crate) fn percent0(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A share to a tenth of a percent ("42.3%"), as the handout's tables print it.
pub(crate) fn percent1(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// An interval of shares in tenths of a percent ("38.1–45.0%").
pub(crate) fn percent_interval(low: f64, high: f64) -> String {
    format!("{:.1}–{:.1}%", low * 100.0, high * 100.0)
}

/// A difference of shares in percentage points with its sign ("+4.2", "−3.0").
pub(crate) fn points1(difference: f64) -> String {
    let points = difference * 100.0;
    let magnitude = format!("{:.1}", points.abs());
    if magnitude == "0.0" {
        magnitude
    } else if points < 0.0 {
        format!("−{magnitude}")
    } else {
        format!("+{magnitude}")
    }
}

/// A count with thousands separators ("10,000").
pub(crate) fn integer(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if n < 0 { format!("−{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_print_as_the_screens_do() {
        let mut svg = Svg::default();
        svg.text((0.0, 0.0), 10.0, (Weight::Regular, INK, Anchor::Start), "a < b & \"c\"\u{7}");
        assert!(svg.document(10.0, 10.0).contains("a &lt; b &amp; &quot;c&quot; "));
        assert_eq!(integer(10_000), "10,000");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(1_234_567), "1,234,567");
        assert_eq!(points1(-0.0304), "−3.0");
        assert_eq!(points1(-0.0001), "0.0");
        assert_eq!(points1(0.1), "+10.0");
        assert_eq!(percent1(0.42349), "42.3%");
        assert_eq!(percent_interval(0.381, 0.45), "38.1–45.0%");
    }
}
