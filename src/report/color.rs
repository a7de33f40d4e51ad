//! Whether to colour terminal output, decided once.

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
    Auto,
    /// Always colour (table output only).
    Always,
    /// Never colour.
    Never,
}

/// The decision, as a pure function of its inputs. Only the table format is ever coloured.
pub fn enabled(
    choice: ColorChoice,
    stdout_tty: bool,
    no_color: Option<&str>,
    term: Option<&str>,
    table: bool,
) -> bool {
    if !table {
        return false;
    }
    match choice {
        ColorChoice::Never => false,
        ColorChoice::Always => true,
        ColorChoice::Auto => {
            stdout_tty && no_color.is_none_or(str::is_empty) && term != Some("dumb")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_needs_a_terminal_and_respects_no_color_and_dumb_terms() {
        assert!(enabled(ColorChoice::Auto, true, None, Some("xterm"), true));
        assert!(!enabled(ColorChoice::Auto, false, None, Some("xterm"), true));
        assert!(!enabled(ColorChoice::Auto, true, Some("1"), Some("xterm"), true));
        assert!(enabled(ColorChoice::Auto, true, Some(""), Some("xterm"), true));
        assert!(!enabled(ColorChoice::Auto, true, None, Some("dumb"), true));
        assert!(enabled(ColorChoice::Always, false, Some("1"), None, true));
        assert!(!enabled(ColorChoice::Always, true, None, None, false), "JSON is never coloured");
        assert!(!enabled(ColorChoice::Never, true, None, None, true));
    }
}
