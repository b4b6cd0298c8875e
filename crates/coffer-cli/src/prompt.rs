//! Interactive prompts in Copilot's style (survey's layout: `? question`, then the final
//! message with the answer), rendered on stderr by dialoguer. Prompts need a terminal on
//! both stdin and stderr; without one they fail with a hint at the flag to use instead.

use crate::ui;
use anyhow::bail;
use coffer_aws::secret::SecretString;
use console::{Style, Term};
use dialoguer::theme::Theme;
use std::fmt;

/// A theme for one prompt: `final_message` replaces the question once it is answered.
struct SurveyTheme {
    final_message: String,
}

impl SurveyTheme {
    fn question(f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        write!(f, "{} {}", Style::new().green().bold().apply_to("?"), Style::new().bold().apply_to(prompt))
    }

    fn answered(&self, f: &mut dyn fmt::Write, answer: &str) -> fmt::Result {
        if answer.is_empty() {
            write!(f, "{}", self.final_message)
        } else {
            write!(f, "{} {}", self.final_message, Style::new().cyan().apply_to(answer))
        }
    }
}

impl Theme for SurveyTheme {
    fn format_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        Self::question(f, prompt)
    }

    fn format_error(&self, f: &mut dyn fmt::Write, err: &str) -> fmt::Result {
        write!(f, "{} {err}", Style::new().red().apply_to("X Sorry, your reply was invalid:"))
    }

    fn format_confirm_prompt(&self, f: &mut dyn fmt::Write, prompt: &str, default: Option<bool>) -> fmt::Result {
        Self::question(f, prompt)?;
        match default {
            Some(true) => write!(f, " (Y/n) "),
            Some(false) => write!(f, " (y/N) "),
            None => write!(f, " (y/n) "),
        }
    }

    fn format_confirm_prompt_selection(&self, f: &mut dyn fmt::Write, _: &str, sel: Option<bool>) -> fmt::Result {
        self.answered(f, sel.map(|b| if b { "Yes" } else { "No" }).unwrap_or(""))
    }

    fn format_input_prompt(&self, f: &mut dyn fmt::Write, prompt: &str, _: Option<&str>) -> fmt::Result {
        Self::question(f, prompt)?;
        f.write_str(" ")
    }

    fn format_input_prompt_selection(&self, f: &mut dyn fmt::Write, _: &str, sel: &str) -> fmt::Result {
        self.answered(f, sel)
    }

    fn format_password_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        Self::question(f, prompt)?;
        f.write_str(" ")
    }

    fn format_password_prompt_selection(&self, f: &mut dyn fmt::Write, _: &str) -> fmt::Result {
        // Never the value, nor its length.
        self.answered(f, "")
    }

    fn format_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        Self::question(f, prompt)?;
        write!(f, "  {}", Style::new().cyan().apply_to("[Use arrows to move, enter to select]"))
    }

    fn format_select_prompt_selection(&self, f: &mut dyn fmt::Write, _: &str, sel: &str) -> fmt::Result {
        self.answered(f, sel)
    }

    fn format_select_prompt_item(&self, f: &mut dyn fmt::Write, text: &str, active: bool) -> fmt::Result {
        if active { write!(f, "{}", Style::new().cyan().apply_to(format!("> {text}"))) } else { write!(f, "  {text}") }
    }
}

fn need_terminal(what: &str, flag: &str) -> anyhow::Result<()> {
    if !ui::can_prompt() {
        bail!("{what} needs an interactive terminal; pass {flag}");
    }
    Ok(())
}

fn show_help(help: &str) {
    if !help.is_empty() {
        ui::info(ui::faint(format!("  {help}")));
    }
}

fn io_error(e: dialoguer::Error) -> anyhow::Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => anyhow::anyhow!("interrupted"),
        dialoguer::Error::IO(io) => anyhow::anyhow!(io),
    }
}

/// A single choice among `items`; `flag` is named when there is no terminal.
pub fn select(question: &str, help: &str, items: &[String], final_message: &str, flag: &str) -> anyhow::Result<String> {
    need_terminal("choosing", flag)?;
    show_help(help);
    let theme = SurveyTheme { final_message: final_message.to_owned() };
    let index = dialoguer::Select::with_theme(&theme)
        .with_prompt(question)
        .items(items)
        .default(0)
        .interact_on(&Term::stderr())
        .map_err(io_error)?;
    Ok(items[index].clone())
}

/// A line of text, re-asked until `validate` accepts it.
pub fn text(
    question: &str,
    help: &str,
    final_message: &str,
    flag: &str,
    validate: fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    need_terminal("answering", flag)?;
    show_help(help);
    let theme = SurveyTheme { final_message: final_message.to_owned() };
    dialoguer::Input::<String>::with_theme(&theme)
        .with_prompt(question)
        .allow_empty(true)
        .validate_with(|s: &String| validate(s))
        .interact_text_on(&Term::stderr())
        .map_err(io_error)
}

/// Hidden input (not echoed); blank is allowed.
pub fn secret(question: &str, help: &str, final_message: &str, flag: &str) -> anyhow::Result<SecretString> {
    need_terminal("entering a secret value", flag)?;
    show_help(help);
    let theme = SurveyTheme { final_message: final_message.to_owned() };
    let value = dialoguer::Password::with_theme(&theme)
        .with_prompt(question)
        .allow_empty_password(true)
        .interact_on(&Term::stderr())
        .map_err(io_error)?;
    Ok(SecretString::from(value))
}

/// Yes or no, `No` by default.
pub fn confirm(question: &str, final_message: &str, flag: &str) -> anyhow::Result<bool> {
    need_terminal("confirming", flag)?;
    let theme = SurveyTheme { final_message: final_message.to_owned() };
    dialoguer::Confirm::with_theme(&theme)
        .with_prompt(question)
        .default(false)
        .wait_for_newline(true)
        .interact_on(&Term::stderr())
        .map_err(io_error)
}
