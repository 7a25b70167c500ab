//! A connection's recent health checks as an SVG bar chart, oldest on the left:
//! bar height is latency, the outcome is its colour and its pattern (solid,
//! dotted, hatched, lined: never colour alone), named in a legend, and each
//! bar has a tooltip. The page's table below lists every check in words.

use domain::shared::ProbeOutcome;
use leptos::prelude::*;

use crate::models::{ProbeView, format_utc};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;
/// The scale's top is the slowest check, but never under this.
const SCALE_MIN_MS: i64 = 100;
/// Every bar is at least this tall, so its colour shows.
const BAR_MIN: f64 = 16.0;
/// Slots on the axis: with fewer checks the bars keep this width.
const SLOTS_MIN: usize = 20;

/// The chart's style class for an outcome.
fn bar_class(outcome: ProbeOutcome) -> &'static str {
    match outcome {
        ProbeOutcome::Ok => "bar-ok",
        ProbeOutcome::Transient => "bar-warn",
        ProbeOutcome::Skipped => "bar-off",
        ProbeOutcome::Unauthorized | ProbeOutcome::MissingScope => "bar-bad",
    }
}

/// Each bar class: its pattern's marks (drawn over its colour) and its name
/// in the legend.
const KINDS: [(&str, &str, &str); 4] = [
    ("bar-ok", "", "Pinterest answered"),
    ("bar-warn", "dots", "Pinterest unavailable"),
    ("bar-bad", "hatch", "refused (token or scope)"),
    ("bar-off", "lines", "skipped"),
];

/// The patterns, one per bar class (`probe-bar-ok`…). Tiles and swatches
/// are paths, not rectangles: a `rect` in this chart is a health check.
fn patterns() -> impl IntoView {
    KINDS
        .iter()
        .map(|(class, marks, _)| {
            let marks = match *marks {
                "dots" => Some(view! { <circle class="mark-dot" cx="3" cy="3" r="1.3"/> }.into_any()),
                "hatch" => Some(view! { <path class="mark" d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2"/> }.into_any()),
                "lines" => Some(view! { <path class="mark" d="M0,1.5 h6 M0,4.5 h6"/> }.into_any()),
                _ => None,
            };
            view! {
                <pattern id=format!("probe-{class}") width="6" height="6" patternUnits="userSpaceOnUse">
                    <path class=*class d="M0,0 H6 V6 H0 Z"/>
                    {marks}
                </pattern>
            }
        })
        .collect_view()
}

/// `probes` newest first, as the connection's page holds them.
#[component]
pub fn ProbeChart(probes: Vec<ProbeView>) -> impl IntoView {
    let scale = probes
        .iter()
        .map(|p| p.latency_ms)
        .max()
        .unwrap_or(0)
        .max(SCALE_MIN_MS) as f64;
    let slot = WIDTH / probes.len().max(SLOTS_MIN) as f64;
    let label = format!(
        "Latency and outcome of the last {} health checks, oldest first",
        probes.len()
    );
    let bars = probes
        .iter()
        .rev()
        .enumerate()
        .map(|(i, p)| {
            let height = (p.latency_ms as f64 / scale * (HEIGHT - 20.0)).max(BAR_MIN);
            let title = format!(
                "{} · {} · {} ms{}",
                format_utc(p.at),
                p.outcome.label(),
                p.latency_ms,
                p.http_status
                    .map(|s| format!(" · HTTP {s}"))
                    .unwrap_or_default()
            );
            view! {
                <rect
                    class=bar_class(p.outcome)
                    fill=format!("url(#probe-{})", bar_class(p.outcome))
                    x=format!("{:.1}", i as f64 * slot + 1.0)
                    y=format!("{:.1}", HEIGHT - height)
                    width=format!("{:.1}", (slot - 2.0).max(1.0))
                    height=format!("{height:.1}")
                >
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    // Only the outcomes present are named.
    let legend = KINDS
        .iter()
        .filter(|(class, _, _)| probes.iter().any(|p| bar_class(p.outcome) == *class))
        .map(|(class, _, name)| {
            view! {
                <li>
                    <svg class="swatch" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
                        <path d="M0,0 H14 V14 H0 Z" fill=format!("url(#probe-{class})")/>
                    </svg>
                    {*name}
                </li>
            }
        })
        .collect_view();
    view! {
        <svg
            class="probe-chart"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=label
            preserveAspectRatio="none"
        >
            <defs>{patterns()}</defs>
            {bars}
        </svg>
        <ul class="chart-legend">{legend}</ul>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use domain::shared::Trigger;

    use super::*;

    fn probe(outcome: ProbeOutcome, latency_ms: i64) -> ProbeView {
        ProbeView {
            at: 0,
            trigger: Trigger::Scheduled,
            outcome,
            latency_ms,
            http_status: Some(200),
            error_code: None,
            error_message: None,
            username: None,
            account_changed: false,
        }
    }

    fn render(probes: Vec<ProbeView>) -> String {
        Owner::new().with(|| view! { <ProbeChart probes/> }.to_html())
    }

    #[test]
    fn one_bar_per_check_oldest_first_coloured_by_outcome() {
        // Newest first, as the page holds them.
        let html = render(vec![
            probe(ProbeOutcome::Unauthorized, 5),
            probe(ProbeOutcome::Transient, 400),
            probe(ProbeOutcome::Ok, 10),
        ]);
        // One rectangle per check, nothing else.
        assert_eq!(html.matches("<rect").count(), 3, "{html}");
        let ok = html.find(r#"url(#probe-bar-ok)" x="#).unwrap();
        let warn = html.find(r#"url(#probe-bar-warn)" x="#).unwrap();
        let bad = html.find(r#"url(#probe-bar-bad)" x="#).unwrap();
        assert!(ok < warn && warn < bad, "oldest on the left: {html}");
        // The slowest sets the scale: full height less the margin.
        assert!(html.contains(r#"height="100.0""#), "{html}");
        // Fast checks still get a visible bar.
        assert!(html.contains(r#"height="16.0""#), "{html}");
        assert!(html.contains("last 3 health checks"), "{html}");
    }

    #[test]
    fn outcomes_differ_by_pattern_too_and_the_legend_names_those_present() {
        let html = render(vec![
            probe(ProbeOutcome::Unauthorized, 5),
            probe(ProbeOutcome::Ok, 10),
        ]);
        assert!(html.contains(r#"fill="url(#probe-bar-bad)""#), "{html}");
        assert!(html.contains(r#"fill="url(#probe-bar-ok)""#), "{html}");
        // The refused bar's pattern has marks; the legend names both, not the others.
        assert!(html.contains(r#"<pattern id="probe-bar-bad""#));
        assert!(html.contains("refused (token or scope)") && html.contains("Pinterest answered"));
        assert!(!html.contains("Pinterest unavailable") && !html.contains("skipped"));
    }

    #[test]
    fn each_bar_says_when_what_and_how_long() {
        let mut p = probe(ProbeOutcome::MissingScope, 1);
        p.http_status = Some(403);
        p.at = 1_700_000_000_000;
        let html = render(vec![p]);
        assert!(
            html.contains("<title>2023-11-14 22:13 UTC · missing scope · 1 ms · HTTP 403</title>"),
            "{html}"
        );
    }
}
