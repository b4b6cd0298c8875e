//! `--watch`'s options, parsed by clap into types that hold only what makes sense.

use clap::Args;
use rustix::process::Signal;
use std::fmt;
use std::time::Duration;

/// The exit status of `coffer run --watch --on-change exit` after a change: sysexits'
/// `EX_TEMPFAIL` ("try again later"), which no shell or signal convention uses, so an outer
/// supervisor can tell "start me again" from the program's own failures.
pub const EXIT_ON_CHANGE: i32 = 75;

/// Checking more often than this would be a load on the server, not a faster rotation.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    /// Stay as CMD's supervisor and follow new versions of its secrets (see below)
    #[arg(long, conflicts_with = "dry_run")]
    pub watch: bool,

    /// How often --watch checks for new versions (e.g. 30s, 5m, 1h30m; at least 1s)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval, requires = "watch")]
    pub interval: Duration,

    /// What --watch does on a new version: restart, signal:SIG (e.g. signal:HUP) or exit
    /// (status 75)
    #[arg(long, value_name = "ACTION", default_value = "restart", value_parser = OnChange::parse, requires = "watch")]
    pub on_change: OnChange,

    /// How long a stopped CMD may take to end after SIGTERM before it gets SIGKILL
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, requires = "watch")]
    pub stop_timeout: Duration,
}

/// A signal `coffer` handles by name: one it forwards, or `--on-change signal:NAME` sends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NamedSignal {
    pub name: &'static str,
    pub signal: Signal,
}

impl fmt::Debug for NamedSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for NamedSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}", self.name)
    }
}

impl NamedSignal {
    pub const TERM: Self = Self { name: "TERM", signal: Signal::TERM };

    /// Whether the signal asks the program to end: one received while a restart stops the
    /// program means no new program is wanted.
    pub fn ends(self) -> bool {
        matches!(self.name, "TERM" | "INT" | "QUIT")
    }
}

/// Every signal `coffer run --watch` catches and forwards to the program. Not TSTP, TTIN or
/// TTOU: catching those would keep `coffer` itself from stopping, and a shell waiting for
/// its job to stop would hang. KILL and STOP cannot be caught.
pub const FORWARDED: [NamedSignal; 8] = [
    NamedSignal { name: "HUP", signal: Signal::HUP },
    NamedSignal { name: "INT", signal: Signal::INT },
    NamedSignal { name: "QUIT", signal: Signal::QUIT },
    NamedSignal::TERM,
    NamedSignal { name: "USR1", signal: Signal::USR1 },
    NamedSignal { name: "USR2", signal: Signal::USR2 },
    NamedSignal { name: "WINCH", signal: Signal::WINCH },
    NamedSignal { name: "ALRM", signal: Signal::ALARM },
];

/// What `--watch` does when a secret has a new version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnChange {
    /// Resolve again, stop the program gracefully, start it with the new values.
    Restart,
    /// Send the program this signal; it reads new values itself (e.g. from `coffer agent`).
    Signal(NamedSignal),
    /// Stop the program gracefully and exit with [`EXIT_ON_CHANGE`].
    Exit,
}

impl OnChange {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "restart" => return Ok(Self::Restart),
            "exit" => return Ok(Self::Exit),
            _ => {}
        }
        let Some(name) = text.strip_prefix("signal:") else {
            return Err("expected restart, signal:SIG (e.g. signal:HUP) or exit".to_owned());
        };
        let bare = name.to_ascii_uppercase();
        let bare = bare.strip_prefix("SIG").unwrap_or(&bare);
        let bare = if bare == "ALARM" { "ALRM" } else { bare };
        FORWARDED.iter().find(|s| s.name == bare).map(|s| Self::Signal(*s)).ok_or_else(|| {
            let names: Vec<&str> = FORWARDED.iter().map(|s| s.name).collect();
            format!("unknown signal {name:?}: one of {}", names.join(", "))
        })
    }
}

/// `1h30m`, `5m`, `30s`, `500ms`, or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration: use e.g. 30s, 5m, 1h30m or 500ms");
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let after = &rest[digits..];
        let unit_len = after.find(|c: char| c.is_ascii_digit()).unwrap_or(after.len());
        let part = match &after[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        rest = &after[unit_len..];
    }
    if text.is_empty() { Err(bad()) } else { Ok(total) }
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d < MIN_INTERVAL {
        return Err(format!("{text} is too short: check at most once a second"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m5s"), Ok(Duration::from_secs(65)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "s", "5x", "1.5s", "-1s", "m5", "5s5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_interval("500ms").is_err());
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
    }

    #[test]
    fn on_change_actions() {
        assert_eq!(OnChange::parse("restart"), Ok(OnChange::Restart));
        assert_eq!(OnChange::parse("exit"), Ok(OnChange::Exit));
        for hup in ["signal:HUP", "signal:SIGHUP", "signal:hup"] {
            match OnChange::parse(hup) {
                Ok(OnChange::Signal(s)) => assert_eq!((s.name, s.signal), ("HUP", Signal::HUP)),
                other => panic!("{hup}: {other:?}"),
            }
        }
        assert!(matches!(OnChange::parse("signal:ALARM"), Ok(OnChange::Signal(s)) if s.name == "ALRM"));
        assert!(OnChange::parse("signal:KILL").unwrap_err().contains("one of HUP, INT"));
        assert!(OnChange::parse("reload").is_err());
        assert!(OnChange::parse("signal:").is_err());
    }

    #[test]
    fn only_ending_signals_end() {
        let ending: Vec<&str> = FORWARDED.iter().filter(|s| s.ends()).map(|s| s.name).collect();
        assert_eq!(ending, ["INT", "QUIT", "TERM"]);
    }
}
