//! The exit codes `classify` and `scan` share: what a script can rely on.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | clean and complete: everything in scope was read, nothing found |
//! | 1 | findings (whatever else happened; the summary says what was not read) |
//! | 2 | bad usage or configuration, or a scope that matches nothing |
//! | 3 | incomplete: no findings, but something in scope could not be read |
//!
//! `parse` follows the CLI's general rule: 0 success, 1 ([`REJECTED`]) the input ran but
//! failed its purpose (rejected: unreadable compression, no log type, a parse error, a
//! chunk its events cannot be encoded as, or malformed records), 2 bad usage or
//! configuration only.

use std::process::ExitCode;

/// Everything in scope was read and nothing was found.
pub const CLEAN: u8 = 0;
/// Sensitive data was found.
pub const FINDINGS: u8 = 1;
/// Bad usage or configuration (including a scope that matches nothing).
pub const USAGE: u8 = 2;
/// No findings, but something in scope could not be read.
pub const INCOMPLETE: u8 = 3;
/// `parse`: the input was rejected or held malformed records (a bad input, not a usage error).
pub const REJECTED: u8 = 1;

/// The code for a run that made `findings` and left something unread (`incomplete`):
/// findings win, then incompleteness.
pub fn code(findings: bool, incomplete: bool) -> u8 {
    if findings {
        FINDINGS
    } else if incomplete {
        INCOMPLETE
    } else {
        CLEAN
    }
}

/// [`code`] as a process exit code.
pub fn verdict(findings: bool, incomplete: bool) -> ExitCode {
    ExitCode::from(code(findings, incomplete))
}

/// The `--help` text of the contract.
pub const HELP: &str = "Exit codes: 0 clean and complete; 1 findings (the summary says what \
was not read); 2 bad usage or configuration, or nothing matched; 3 incomplete: no findings, \
but something in scope could not be read.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_win_over_incomplete_which_wins_over_clean() {
        assert_eq!(code(true, true), FINDINGS);
        assert_eq!(code(true, false), FINDINGS);
        assert_eq!(code(false, true), INCOMPLETE);
        assert_eq!(code(false, false), CLEAN);
    }
}
