//! What the long lists' addresses carry (the Connections list, the audit log):
//! cursors, filters and search text, read and refused with a message that says
//! what to do, before any of it reaches the database.

/// How much of a refused value a message repeats: a 10 000-character search
/// is not echoed back whole.
const QUOTE_MAX: usize = 40;

/// `raw` as a message quotes it: at most [`QUOTE_MAX`] characters, control
/// characters dropped, "…" where it was cut.
pub(crate) fn quoted(raw: &str) -> String {
    let clean: String = raw.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > QUOTE_MAX {
        let cut: String = clean.chars().take(QUOTE_MAX).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn long_and_odd_values_are_quoted_short_and_clean() {
        assert_eq!(quoted("abc"), "abc");
        assert_eq!(quoted("a\u{0}b\nc"), "abc");
        let long = "x".repeat(10_000);
        let shown = quoted(&long);
        assert_eq!(shown.chars().count(), 41);
        assert!(shown.ends_with('…'));
    }
}
