//! Terminal output for the Copilot workflow commands, with Copilot's conventions: messages
//! and progress on stderr (`✔` success, `✘` error, `Note:` warnings), data on stdout.
//! Colours only when the stream is a terminal and `NO_COLOR` is unset (anstream decides and
//! strips the escapes otherwise); a spinner only on a terminal.

use anstyle::{AnsiColor, Color, Style};
use std::fmt::Display;
use std::future::Future;
use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

const GREEN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::BrightGreen)));
const RED: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::BrightRed)));
const YELLOW: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::BrightYellow)));
const BLUE: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::BrightBlue)));
const CYAN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::BrightCyan)));
const BOLD: Style = Style::new().bold();
const FAINT: Style = Style::new().dimmed();

/// Whether `NO_COLOR` asks for no colour (any non-empty value, per no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Applies `NO_COLOR` to the prompt library too (anstream honours it by itself).
pub fn init() {
    if no_color() {
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
    }
}

fn paint(style: Style, s: impl Display) -> String {
    format!("{style}{s}{style:#}")
}

/// A name the user typed (bold, like Copilot's `HighlightUserInput`).
pub fn input(s: impl Display) -> String {
    paint(BOLD, s)
}

/// A resource the CLI created (Copilot's `HighlightResource`).
pub fn resource(s: impl Display) -> String {
    paint(BLUE, s)
}

/// Inline code in backticks (Copilot's `HighlightCode`).
pub fn code(s: impl Display) -> String {
    paint(CYAN, format!("`{s}`"))
}

/// A fenced code block (Copilot's `HighlightCodeBlock`).
pub fn code_block(s: impl Display) -> String {
    paint(CYAN, format!("```\n{s}\n```"))
}

pub fn faint(s: impl Display) -> String {
    paint(FAINT, s)
}

fn err_line(line: String) {
    let mut out = anstream::stderr();
    let _ = writeln!(out, "{line}");
}

/// `✔ message`
pub fn success(msg: impl Display) {
    err_line(format!("{} {msg}", paint(GREEN, "✔")));
}

/// `✘ message`
pub fn error(msg: impl Display) {
    err_line(format!("{} {msg}", paint(RED, "✘")));
}

/// `Note: message`, all in yellow.
pub fn warning(msg: impl Display) {
    err_line(paint(YELLOW, format!("Note: {msg}")));
}

/// A plain message line on stderr.
pub fn info(msg: impl Display) {
    err_line(msg.to_string());
}

/// Data on stdout (escapes stripped when stdout is not a terminal).
pub fn data(text: impl Display) {
    let mut out = anstream::stdout();
    let _ = writeln!(out, "{text}");
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether prompts can be shown: both the keyboard and the prompt's stream are a terminal.
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal() && stderr_is_terminal()
}

/// Runs `work` with a spinner showing `msg` on stderr, when stderr is a terminal.
pub async fn spin<F: Future>(msg: impl Into<String>, work: F) -> F::Output {
    if !stderr_is_terminal() {
        return work.await;
    }
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(msg.into());
    bar.enable_steady_tick(Duration::from_millis(100));
    let out = work.await;
    bar.finish_and_clear();
    out
}

/// `a`, `a and b`, `a, b and c` (go-humanize's `WordSeries(…, "and")`, no Oxford comma).
pub fn word_series(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// Epoch milliseconds as RFC 3339 UTC, second precision: `2026-11-25T21:55:03Z`.
pub fn rfc3339(millis: i64) -> String {
    coffer_aws::Timestamp(millis).iso8601()
}

/// A table in Copilot's plain style: no borders, headers underlined with dashes (none when
/// every header is empty). Cells are never styled (comfy-table does not honour `NO_COLOR`).
pub fn table(headers: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::NOTHING);
    table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    if headers.iter().any(|h| !h.is_empty()) {
        table.set_header(headers.to_vec());
        table.add_row(headers.iter().map(|h| "-".repeat(h.chars().count())).collect::<Vec<_>>());
    }
    table
}

/// Indents every line by two spaces and drops trailing blanks (tables pad their cells).
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {}", l.strip_prefix(' ').unwrap_or(l)).trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table without its leading cell padding or trailing blanks, for stdout.
pub fn render(table: &comfy_table::Table) -> String {
    let text = table.to_string();
    let lines: Vec<&str> = text.lines().collect();
    // The NOTHING preset pads every cell with one space on each side.
    lines.iter().map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_owned()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_series_has_no_oxford_comma() {
        let s = |v: &[&str]| word_series(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "and");
        assert_eq!(s(&[]), "");
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b"]), "a and b");
        assert_eq!(s(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_581_968_848_921), "2020-02-17T19:47:28Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
