//! Structured logging: JSON lines in Lambda, readable text on a terminal.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (the default in Lambda).
    Json,
    /// Human-readable text (the default elsewhere).
    Text,
}

/// Checks that `directive` is a valid log filter, returning the parser's complaint if not.
pub fn check_filter(directive: &str) -> Result<(), String> {
    let known = ["error", "warn", "info", "debug", "trace", "off"];
    // A bare word that is not a level would be read as a target name and silence
    // everything, which is never what the operator meant.
    let is_bare_word = !directive.contains(['=', ',', ':']);
    if is_bare_word && !known.contains(&directive.to_ascii_lowercase().as_str()) {
        return Err(format!("must be one of {}", known.join(", ")));
    }
    EnvFilter::try_new(directive)
        .map(|_| ())
        .map_err(|e| format!("is not a valid filter: {e}"))
}

/// Installs the global subscriber writing to stderr. Safe to call more than once.
pub fn init(format: LogFormat, directive: &str) {
    let filter = EnvFilter::try_new(directive).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.with_ansi(false).compact().try_init(),
    };
    // A second call (tests, CLI re-entry) keeps the first subscriber.
    drop(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_target_filters_are_accepted() {
        for ok in [
            "info",
            "DEBUG",
            "s3connector=debug,info",
            "warn,aws_smithy_runtime=off",
        ] {
            assert_eq!(check_filter(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn unknown_bare_word_is_rejected() {
        assert!(check_filter("loud").unwrap_err().contains("must be one of"));
    }
}
