//! The `coffer` binary: everything it does lives in `coffer-cli`.

fn main() -> std::process::ExitCode {
    coffer_cli::main()
}
