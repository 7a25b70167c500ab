//! Keeping what pinbridge sent Pinterest out of what Pinterest says back.
//!
//! Pinterest's error messages end up in health reasons, probe records, audit
//! details, logs and pages. Pinterest should never repeat a credential, but
//! nothing it says is trusted to be free of one: every message is cleaned of
//! the app secret, the authorization code, the refresh token or the access
//! token that went out with the request, whole or cut short.

/// What a credential is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shortest piece of a credential recognised when a message repeats only part
/// of it (say, cut off at the message's length limit).
const PIECE_MIN: usize = 8;

fn credential_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/".contains(c)
}

/// `message` with every occurrence of each of `secrets`, and every run of
/// credential characters that is a piece of one of them, replaced by
/// [`REDACTED`].
pub fn redact(message: &str, secrets: &[&str]) -> String {
    let secrets: Vec<&str> = secrets
        .iter()
        .copied()
        .filter(|s| s.len() >= PIECE_MIN || !s.is_empty() && message.contains(*s))
        .collect();
    let mut text = message.to_owned();
    for s in &secrets {
        if text.contains(s) {
            text = text.replace(s, REDACTED);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let piece = run.len() >= PIECE_MIN && secrets.iter().any(|s| s.contains(run.as_str()));
        out.push_str(if piece { REDACTED } else { run });
        run.clear();
    };
    for c in text.chars() {
        if credential_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_cut_short_credentials_are_redacted() {
        let token = "pinr.AbCdEf0123456789_-xyz";
        assert_eq!(
            redact(&format!("bad refresh_token={token}."), &[token]),
            "bad refresh_token=[redacted]."
        );
        assert_eq!(
            redact("invalid code pinr.AbCdEf01…", &[token]),
            "invalid code [redacted]…"
        );
        assert_eq!(
            redact("The authorization grant is invalid", &[token, ""]),
            "The authorization grant is invalid"
        );
        // Short words that happen to occur in a credential stay.
        assert_eq!(redact("code Ab", &["xxAbxxxxxxxx"]), "code Ab");
    }
}
