//! Keeping secrets out of core dumps and out of other processes' reach.

use rustix::process::{DumpableBehavior, Resource, Rlimit, getrlimit, set_dumpable_behavior, setrlimit};

/// The core-size limit this process started with, to give back to a program it `exec`s.
pub struct CoreLimit(Rlimit);

/// From here on this process dumps no core and is not dumpable, which also keeps same-user
/// debuggers and `/proc/<pid>/mem` readers out. Call it before any secret is in memory.
/// Only the soft core limit is lowered, so [`CoreLimit::restore`] can give an `exec`ed program
/// its own limit back (`exec` makes a process dumpable again by itself).
pub fn no_core_dumps() -> CoreLimit {
    let before = getrlimit(Resource::Core);
    if let Err(e) = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: before.maximum }) {
        tracing::warn!(error = %e, "cannot set the core file size limit to 0");
    }
    if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
        tracing::warn!(error = %e, "cannot mark the process not dumpable");
    }
    CoreLimit(before)
}

impl CoreLimit {
    /// Runs `spawn` with the soft core limit given back, so the program it starts (which
    /// inherits the limit) gets the one `coffer` was started with; lowers it again after.
    /// This process stays not dumpable throughout, which alone keeps it from dumping core.
    pub fn lifted_for<T>(&self, spawn: impl FnOnce() -> T) -> T {
        if let Err(e) = setrlimit(Resource::Core, self.0) {
            tracing::warn!(error = %e, "cannot restore the core file size limit");
        }
        let out = spawn();
        if let Err(e) = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: self.0.maximum }) {
            tracing::warn!(error = %e, "cannot set the core file size limit to 0");
        }
        out
    }

    /// Gives the soft core limit back (for the program about to replace this process).
    pub fn restore(self) {
        if let Err(e) = setrlimit(Resource::Core, self.0) {
            tracing::warn!(error = %e, "cannot restore the core file size limit");
        }
    }
}
