//! The `Authorization` header, as Pinterest reads it.

/// `Bearer abc` → `abc` (scheme case-insensitive).
pub fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}
