//! `page_size` (1..=250, default 25) and opaque `bookmark` cursors.
//!
//! A bookmark names the list it belongs to and the id to continue below; it is
//! base64 so clients treat it as opaque, and one list's bookmark is refused by another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::errors::ApiError;
use super::query::QueryParams;

pub const DEFAULT_PAGE_SIZE: usize = 25;
pub const MAX_PAGE_SIZE: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: usize,
    pub below: Option<u64>,
}

/// Reads `page_size` and `bookmark` for the list called `list`.
pub fn page_request(query: &QueryParams, list: &str) -> Result<PageRequest, ApiError> {
    let size = match query.get("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => n as usize,
            Ok(n) if n > MAX_PAGE_SIZE as i64 => {
                return Err(ApiError::invalid_parameters(format!(
                    "page_size: {n} is greater than the maximum of {MAX_PAGE_SIZE}"
                )));
            }
            Ok(n) => {
                return Err(ApiError::invalid_parameters(format!(
                    "page_size: {n} is less than the minimum of 1"
                )));
            }
            Err(_) => {
                return Err(ApiError::invalid_parameters(format!(
                    "page_size: {raw:?} is not an integer"
                )));
            }
        },
    };
    let below = match query.get("bookmark") {
        None | Some("") => None,
        Some(raw) => Some(
            decode(raw, list).ok_or_else(|| ApiError::invalid_parameters("Invalid bookmark."))?,
        ),
    };
    Ok(PageRequest { size, below })
}

/// The bookmark for the next page, or `None` on the last page.
pub fn bookmark(list: &str, continue_below: Option<u64>) -> Option<String> {
    continue_below.map(|id| URL_SAFE_NO_PAD.encode(format!("sim1|{list}|{id}")))
}

fn decode(raw: &str, list: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split('|');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("sim1"), Some(name), Some(id), None) if name == list => id.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> QueryParams {
        QueryParams::parse(Some(raw))
    }

    #[test]
    fn sizes() {
        assert_eq!(page_request(&query(""), "pins").unwrap().size, 25);
        assert_eq!(
            page_request(&query("page_size=250"), "pins").unwrap().size,
            250
        );
        assert_eq!(page_request(&query("page_size=1"), "pins").unwrap().size, 1);
        for bad in [
            "page_size=0",
            "page_size=251",
            "page_size=x",
            "page_size=-3",
        ] {
            let err = page_request(&query(bad), "pins").unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (400, 1), "{bad}");
        }
    }

    #[test]
    fn bookmarks_belong_to_their_list() {
        let mark = bookmark("pins", Some(42)).unwrap();
        let q = query(&format!("bookmark={mark}"));
        assert_eq!(page_request(&q, "pins").unwrap().below, Some(42));
        assert!(page_request(&q, "boards").is_err());
        assert!(page_request(&query("bookmark=garbage!"), "pins").is_err());
        assert_eq!(bookmark("pins", None), None);
    }
}
