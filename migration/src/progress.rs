//! Progress of a long load: a bar on a terminal, a plain line at each quarter otherwise (logs and
//! CI output stay readable). Small loads say nothing until their "rows loaded" line.

use std::io::IsTerminal;

use crate::data_change::REPORT_TARGET;

/// Loads of fewer rows than this finish too fast to need progress.
const LARGE: u64 = 100_000;

pub struct LoadProgress {
    table: String,
    total: u64,
    bar: Option<indicatif::ProgressBar>,
    /// The next quarter to report in plain lines (1..=3).
    next_quarter: u64,
}

impl LoadProgress {
    pub fn start(table: &str, total: u64) -> Self {
        let bar = (total >= LARGE && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} rows ({eta} left)")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(table.to_owned());
            bar
        });
        Self { table: table.to_owned(), total, bar, next_quarter: 1 }
    }

    /// `done` rows have been sent.
    pub fn advance(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        if self.total < LARGE {
            return;
        }
        while self.next_quarter < 4 && done * 4 >= self.next_quarter * self.total {
            let (quarter, table) = (self.next_quarter * 25, &self.table);
            tracing::info!(target: REPORT_TARGET, "  {table}: {quarter}% ({done} of {} rows sent)", self.total);
            self.next_quarter += 1;
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
