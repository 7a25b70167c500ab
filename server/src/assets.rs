//! The built site's files: the wasm bundle, its JavaScript, the stylesheet
//! and the favicon, with the headers that let browsers keep them.
//!
//! A release build (`make build`: `cargo leptos build --release --precompress`)
//! names the bundle, its script and the stylesheet after a hash of their content
//! and writes a brotli (`.br`) and a gzip (`.gz`) copy beside every file. When
//! the server starts it reads the site once ([`Site::load`]): it finds the hashed
//! names (handed to every page render, `app::assets::AssetUrls`) and gives every
//! file an entity tag from a hash of its content.
//!
//! What a browser gets:
//! - a hashed file: `Cache-Control: public, max-age=31536000, immutable`. Its
//!   name changes when its content does, so it is never asked for again;
//! - any other file of the site (the favicon, an unhashed development build):
//!   `Cache-Control: no-cache` and an `ETag`, so a repeat visit asks
//!   `If-None-Match` and gets `304 Not Modified` with no body;
//! - the brotli or gzip copy when `Accept-Encoding` allows it (tower-http's
//!   `ServeDir` chooses, honouring q-values), with `Vary: Accept-Encoding` and an
//!   entity tag of its own per encoding.
//!
//! None of this touches the session store: these answers pass outside the
//! portal's layers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use app::assets::AssetUrls;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The site's name for its files (`output-name` in Cargo.toml).
const OUTPUT_NAME: &str = "pinbridge";
/// A year: the longest lifetime caches honour.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Keep, but ask each time whether it changed.
const REVALIDATE: &str = "no-cache";

/// One file of the site.
#[derive(Clone, Debug)]
struct SiteFile {
    /// The strong entity tag of the uncompressed content (without quotes).
    tag: String,
    /// Its name carries its content's hash: it never changes.
    immutable: bool,
    /// A `.br` or `.gz` copy lies beside it.
    precompressed: bool,
}

/// The site as it was when the server started.
#[derive(Clone, Debug)]
pub struct Site {
    root: PathBuf,
    files: Arc<HashMap<String, SiteFile>>,
    urls: AssetUrls,
}

impl Site {
    /// Reads the site under `root`. A missing or unreadable site is an empty one
    /// (tests and the API need none): pages then name the unhashed files, which
    /// are served as they appear.
    pub fn load(root: &Path) -> Self {
        let mut paths = Vec::new();
        collect(root, root, &mut paths);
        let hashed = hashed_names(paths.iter().map(|(url, _)| url.as_str()));
        let urls = AssetUrls {
            js: hashed
                .js
                .clone()
                .unwrap_or_else(|| AssetUrls::unhashed().js),
            wasm: hashed
                .wasm
                .clone()
                .unwrap_or_else(|| AssetUrls::unhashed().wasm),
            css: hashed
                .css
                .clone()
                .unwrap_or_else(|| AssetUrls::unhashed().css),
        };
        let mut files = HashMap::new();
        for (url, path) in &paths {
            let Ok(content) = std::fs::read(path) else {
                continue;
            };
            let precompressed = [".br", ".gz"].iter().any(|ext| {
                let mut name = path.clone().into_os_string();
                name.push(ext);
                Path::new(&name).is_file()
            });
            files.insert(
                url.clone(),
                SiteFile {
                    tag: content_tag(&content),
                    immutable: hashed.contains(url),
                    precompressed,
                },
            );
        }
        if hashed.js.is_none() && !files.is_empty() {
            tracing::info!(
                "the site's files are not content-hashed (a development build): browsers revalidate them"
            );
        }
        Self {
            root: root.to_owned(),
            files: Arc::new(files),
            urls,
        }
    }

    /// The names pages load the bundle and stylesheet by.
    pub fn urls(&self) -> &AssetUrls {
        &self.urls
    }

    fn serve_dir(&self) -> ServeDir {
        ServeDir::new(&self.root)
            .precompressed_br()
            .precompressed_gzip()
    }
}

/// Every file under `dir`, by its URL path, except the compressed copies.
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect(root, &path, out);
            continue;
        }
        let compressed = path
            .extension()
            .is_some_and(|ext| ext == "br" || ext == "gz");
        let Some(url) = path
            .strip_prefix(root)
            .ok()
            .and_then(|rel| rel.to_str())
            .filter(|rel| rel.bytes().all(is_url_safe))
        else {
            continue;
        };
        if kind.is_file() && !compressed {
            out.push((format!("/{url}"), path));
        }
    }
}

/// Letters, digits and the few marks file names of the site use: nothing that
/// needs escaping in a URL, an HTML attribute or a JavaScript string.
fn is_url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/')
}

/// The first 128 bits of the content's SHA-256, base64url.
fn content_tag(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The hashed names found in the site (`/pkg/pinbridge.<hash>.<ext>`).
#[derive(Debug, Default, PartialEq, Eq)]
struct Hashed {
    js: Option<String>,
    wasm: Option<String>,
    css: Option<String>,
}

impl Hashed {
    fn contains(&self, url: &str) -> bool {
        [&self.js, &self.wasm, &self.css]
            .iter()
            .any(|name| name.as_deref() == Some(url))
    }
}

/// Picks `/pkg/pinbridge.<hash>.js`, `.wasm` and `.css` among `urls`. cargo-leptos
/// empties the site before each build, so there is one of each; should there be
/// more (files copied over an older site), none is trusted for that kind and the
/// plain name is used.
fn hashed_names<'a>(urls: impl Iterator<Item = &'a str>) -> Hashed {
    let mut found: HashMap<&'static str, Vec<String>> = HashMap::new();
    for url in urls {
        let Some(name) = url
            .strip_prefix("/pkg/")
            .and_then(|n| n.strip_prefix(OUTPUT_NAME))
            .and_then(|n| n.strip_prefix('.'))
        else {
            continue;
        };
        let Some((hash, ext)) = name.split_once('.') else {
            continue;
        };
        let kind = match ext {
            "js" => "js",
            "wasm" => "wasm",
            "css" => "css",
            _ => continue,
        };
        if hash.len() >= 8
            && hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            found.entry(kind).or_default().push(url.to_owned());
        }
    }
    let mut one = |kind| match found.remove(kind) {
        Some(mut names) if names.len() == 1 => names.pop(),
        Some(names) => {
            tracing::warn!(
                ?names,
                "several hashed builds of one file in the site; using none"
            );
            None
        }
        None => None,
    };
    Hashed {
        js: one("js"),
        wasm: one("wasm"),
        css: one("css"),
    }
}

/// Middleware: answers a GET or HEAD for a file of the site; anything else
/// goes on. A path under `/pkg/` that is not in the site as it was at start
/// (a development rebuild) is served from disk, revalidated each time.
pub async fn serve(State(site): State<Site>, mut request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let path = request.uri().path();
    // The end user's pages (server/src/connect/pages.rs) name the stylesheet
    // without its hash: they get the current one, revalidated each time.
    let unhashed_css = AssetUrls::unhashed().css;
    if path == unhashed_css && site.urls.css != unhashed_css {
        if let Ok(uri) = site.urls.css.parse() {
            *request.uri_mut() = uri;
        }
        return serve_unknown(&site, request).await;
    }
    let Some(file) = site.files.get(path).cloned() else {
        if path.starts_with("/pkg/") {
            return serve_unknown(&site, request).await;
        }
        return next.run(request).await;
    };
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = match site.serve_dir().oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    with_cache_headers(response, &file, if_none_match.as_ref())
}

async fn serve_unknown(site: &Site, request: Request) -> Response {
    let mut response = match site.serve_dir().oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    }
    response
}

/// Adds `ETag`, `Cache-Control` and `Vary` to a file's answer, or turns it into
/// `304 Not Modified` when the browser already holds this very representation.
fn with_cache_headers(
    mut response: Response,
    file: &SiteFile,
    if_none_match: Option<&HeaderValue>,
) -> Response {
    if response.status() != StatusCode::OK {
        return response;
    }
    // Each encoding is its own representation, with its own tag.
    let suffix = match response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        Some(b"br") => "-br",
        Some(b"gzip") => "-gz",
        _ => "",
    };
    let tag = format!("\"{}{suffix}\"", file.tag);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&tag).expect("a base64url tag is a valid header value"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if file.immutable {
            IMMUTABLE
        } else {
            REVALIDATE
        }),
    );
    if file.precompressed {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if if_none_match.is_some_and(|v| matches_tag(v, &tag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().extend(headers);
        return not_modified;
    }
    response.headers_mut().extend(headers);
    response
}

/// Whether an `If-None-Match` list names `tag` (weak comparison, RFC 9110 13.1.2).
fn matches_tag(header: &HeaderValue, tag: &str) -> bool {
    let Ok(list) = header.to_str() else {
        return false;
    };
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_hashed_names() {
        let urls = [
            "/favicon.svg",
            "/pkg/pinbridge.Ab3_-x9QzK1.js",
            "/pkg/pinbridge.Zz9YxW8vU7t.wasm",
            "/pkg/pinbridge.c5s_Sh4-Qq0.css",
            "/pkg/other.Ab3x9QzK1abc.js",
        ];
        let found = hashed_names(urls.into_iter());
        assert_eq!(found.js.as_deref(), Some("/pkg/pinbridge.Ab3_-x9QzK1.js"));
        assert_eq!(
            found.wasm.as_deref(),
            Some("/pkg/pinbridge.Zz9YxW8vU7t.wasm")
        );
        assert_eq!(found.css.as_deref(), Some("/pkg/pinbridge.c5s_Sh4-Qq0.css"));
        assert!(found.contains("/pkg/pinbridge.Ab3_-x9QzK1.js"));
        assert!(!found.contains("/favicon.svg"));
    }

    #[test]
    fn plain_names_and_short_or_doubled_hashes_are_not_hashed() {
        let plain = [
            "/pkg/pinbridge.js",
            "/pkg/pinbridge.wasm",
            "/pkg/pinbridge.abc.css",
        ];
        assert_eq!(hashed_names(plain.into_iter()), Hashed::default());
        let doubled = [
            "/pkg/pinbridge.aaaaaaaaaa.js",
            "/pkg/pinbridge.bbbbbbbbbb.js",
        ];
        assert_eq!(hashed_names(doubled.into_iter()).js, None);
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let tag = "\"abc-br\"";
        for header in ["\"abc-br\"", "W/\"abc-br\"", "\"x\", \"abc-br\"", "*"] {
            assert!(
                matches_tag(&HeaderValue::from_static(header), tag),
                "{header}"
            );
        }
        for header in ["\"abc\"", "\"abc-gz\"", "abc-br", ""] {
            assert!(
                !matches_tag(&HeaderValue::from_static(header), tag),
                "{header}"
            );
        }
    }

    #[test]
    fn tags_follow_the_content() {
        assert_eq!(content_tag(b"a"), content_tag(b"a"));
        assert_ne!(content_tag(b"a"), content_tag(b"b"));
        assert_eq!(content_tag(b"a").len(), 22);
    }
}
