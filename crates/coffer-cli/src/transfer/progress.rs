//! A progress bar on stderr when it is a terminal (nothing otherwise); messages printed
//! while it runs go above it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new() -> Self {
        let target =
            if crate::ui::stderr_is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Self { bar }
    }

    /// Starts counting `len` steps of a new phase.
    pub fn start(&self, len: usize, message: &'static str) {
        self.bar.reset();
        self.bar.set_length(len as u64);
        self.bar.set_message(message);
    }

    pub fn advance(&self) {
        self.bar.inc(1);
    }

    /// Runs `print` with the bar out of the way.
    pub fn above(&self, print: impl FnOnce()) {
        self.bar.suspend(print);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
