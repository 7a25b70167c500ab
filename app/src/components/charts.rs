//! Charts drawn on the server as SVG: plain Leptos views, so a page shows
//! them without JavaScript and no chart library reaches the browser.
//!
//! Each chart is an image with its summary in words (`role="img"` and
//! `aria-label`), a legend, and its numbers as a table in a `<details>` below
//! it. Series differ by pattern (solid, hatched, dotted, crossed, lined) or by
//! marker shape and dash as well as by colour, and bars holding failures get
//! a triangle above them, since one failure among hundreds is too short a
//! segment to see. Coordinates come from integer counts by plain arithmetic,
//! so the server and the browser (hydrating) draw the same numbers.

use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 190.0;
/// Room for the value labels on the left.
const LEFT: f64 = 46.0;
const RIGHT: f64 = 8.0;
/// Room for the failure markers above the tallest bar.
const TOP: f64 = 14.0;
/// Room for the axis labels below.
const BOTTOM: f64 = 22.0;
/// A segment that is not zero is at least this tall, so that it shows.
const SEGMENT_MIN: f64 = 1.5;

/// How a series is filled, besides its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    Solid,
    /// Diagonal lines.
    Hatch,
    Dots,
    /// Both diagonals.
    Cross,
    /// Horizontal lines.
    Lines,
}

/// One series of a stacked bar chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// Its colour class (`fill-{key}`) and the suffix of its pattern's id.
    pub key: &'static str,
    /// Its name in the legend, tooltips and table.
    pub name: &'static str,
    pub fill: Fill,
    /// Bars where it is not zero get a triangle above them.
    pub flagged: bool,
}

/// One bar: a short axis label, a full one for its tooltip and table row,
/// and a value per series (`None`: nothing was counted then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub title: String,
    pub values: Option<Vec<i64>>,
}

/// The smallest 1, 2 or 5 times a power of ten at or above `max` (at least 1):
/// the top of a chart's scale.
pub fn scale_top(max: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step = step.saturating_mul(10);
    }
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The y coordinate of `value` on a scale topped at `top`.
fn y_of(value: i64, top: i64) -> f64 {
    TOP + plot_height() * (1.0 - value as f64 / top as f64)
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// A fill's pattern: the series' colour under marks drawn in the chart's
/// background colour (so they read as gaps, in light and dark themes).
fn pattern(id: &str, key: &'static str, fill: Fill) -> impl IntoView + use<> {
    let marks = match fill {
        Fill::Solid => None,
        Fill::Hatch => Some(view! { <path class="mark" d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2"/> }.into_any()),
        Fill::Cross => Some(
            view! { <path class="mark" d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2 M-1,5 l2,2 M0,0 l6,6 M5,-1 l2,2"/> }
                .into_any(),
        ),
        Fill::Dots => Some(view! { <circle class="mark-dot" cx="3" cy="3" r="1.3"/> }.into_any()),
        Fill::Lines => Some(view! { <path class="mark" d="M0,1.5 h6 M0,4.5 h6"/> }.into_any()),
    };
    view! {
        <pattern id=format!("{id}-{key}") width="6" height="6" patternUnits="userSpaceOnUse">
            <rect class=format!("fill-{key}") width="6" height="6"/>
            {marks}
        </pattern>
    }
}

/// A legend entry's swatch: the series' pattern in a small square.
fn swatch(id: &str, key: &str) -> impl IntoView + use<> {
    view! {
        <svg class="swatch" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
            <rect width="14" height="14" fill=format!("url(#{id}-{key})")/>
        </svg>
    }
}

/// The triangle that marks a bar with failures, its tip `gap` above `y`.
fn flag_path(x: f64, y: f64) -> String {
    format!(
        "M{},{} L{},{} L{},{} Z",
        px(x - 4.0),
        px(y - 9.0),
        px(x + 4.0),
        px(y - 9.0),
        px(x),
        px(y - 2.0)
    )
}

/// Gridlines and value labels at 0, half and the top of the scale.
fn grid(top: i64, unit: &'static str) -> impl IntoView + use<> {
    let mut ticks = vec![0, top];
    if top % 2 == 0 {
        ticks.insert(1, top / 2);
    }
    ticks
        .into_iter()
        .map(|v| {
            let y = y_of(v, top);
            view! {
                <line class="grid" x1=px(LEFT) x2=px(WIDTH - RIGHT) y1=px(y) y2=px(y)/>
                <text class="axis" x=px(LEFT - 5.0) y=px(y + 3.5) text-anchor="end">{format!("{v}{unit}")}</text>
            }
        })
        .collect_view()
}

/// An axis label under slot `i` of `n`, if `i` is one to label.
fn x_label(i: usize, n: usize, every: usize, label: &str) -> Option<impl IntoView + use<>> {
    let slot = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    (i.is_multiple_of(every.max(1)) || i + 1 == n).then(|| {
        let x = LEFT + slot * (i as f64 + 0.5);
        view! { <text class="axis" x=px(x) y=px(HEIGHT - 6.0) text-anchor="middle">{label.to_owned()}</text> }
    })
}

/// Bars of stacked series (hourly successes and failures, connections per
/// state per day), with a legend and the table of its numbers.
#[component]
pub fn StackedBars(
    /// Unique on the page: the patterns' ids begin with it.
    id: &'static str,
    /// What the chart shows, in words (the image's accessible name).
    summary: String,
    /// The table's caption.
    caption: String,
    /// The table's first column ("Hour (UTC)").
    axis_name: &'static str,
    series: Vec<Series>,
    bars: Vec<Bar>,
    /// Every how many bars the axis is labelled.
    label_every: usize,
) -> impl IntoView {
    let total = |values: &[i64]| values.iter().sum::<i64>();
    let top = scale_top(
        bars.iter()
            .filter_map(|b| b.values.as_deref().map(total))
            .max()
            .unwrap_or(0),
    );
    let n = bars.len();
    let slot = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    let width = (slot * 0.72).max(1.0);
    let defs = series
        .iter()
        .map(|s| pattern(id, s.key, s.fill))
        .collect_view();
    let drawn = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
            let center = LEFT + slot * (i as f64 + 0.5);
            let label = x_label(i, n, label_every, &bar.label);
            let Some(values) = &bar.values else {
                // Nothing counted: a dashed stub on the axis.
                return view! {
                    <g class="no-data">
                        <title>{format!("{}: not counted", bar.title)}</title>
                        <line class="no-data" x1=px(x) x2=px(x + width) y1=px(y_of(0, top) - 1.0) y2=px(y_of(0, top) - 1.0) stroke-dasharray="2 2"/>
                    </g>
                    {label}
                }
                .into_any();
            };
            let mut base = 0.0;
            let mut segments = Vec::new();
            let mut flagged = false;
            for (s, v) in series.iter().zip(values) {
                if *v <= 0 {
                    continue;
                }
                flagged |= s.flagged;
                let h = (*v as f64 / top as f64 * plot_height()).max(SEGMENT_MIN);
                let y = TOP + plot_height() - base - h;
                base += h;
                segments.push(view! {
                    <rect class=format!("segment segment-{}", s.key) x=px(x) y=px(y) width=px(width) height=px(h)
                        fill=format!("url(#{id}-{})", s.key)/>
                });
            }
            let tip = TOP + plot_height() - base;
            let title = format!(
                "{}: {}",
                bar.title,
                series
                    .iter()
                    .zip(values)
                    .map(|(s, v)| format!("{} {v}", s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            view! {
                <g class="bar">
                    <title>{title}</title>
                    {segments}
                    {flagged.then(|| view! { <path class="flag" d=flag_path(center, tip)/> })}
                </g>
                {label}
            }
            .into_any()
        })
        .collect_view();
    let flags = series.iter().any(|s| s.flagged);
    let legend = series
        .iter()
        .map(|s| view! { <li>{swatch(id, s.key)}{s.name}</li> })
        .collect_view();
    let head = series
        .iter()
        .map(|s| view! { <th scope="col">{s.name}</th> })
        .collect_view();
    let columns = series.len();
    let rows =
        bars.iter()
            .map(|bar| {
                let cells = match &bar.values {
                    Some(values) => {
                        let sum = total(values);
                        view! {
                            {values.iter().map(|v| view! { <td>{*v}</td> }).collect_view()}
                            <td>{sum}</td>
                        }
                        .into_any()
                    }
                    None => view! { <td colspan={columns + 1} class="muted">"not counted"</td> }
                        .into_any(),
                };
                view! { <tr><th scope="row">{bar.title.clone()}</th>{cells}</tr> }
            })
            .collect_view();
    view! {
        <figure class="chart" data-chart=id>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone()>
                <defs>{defs}</defs>
                {grid(top, "")}
                {drawn}
                <line class="baseline" x1=px(LEFT) x2=px(WIDTH - RIGHT) y1=px(y_of(0, top)) y2=px(y_of(0, top))/>
            </svg>
            <figcaption>
                <ul class="chart-legend">
                    {legend}
                    {flags.then(|| view! {
                        <li><svg class="swatch" viewBox="0 0 14 14" aria-hidden="true" focusable="false"><path class="flag" d="M2,3 L12,3 L7,12 Z"/></svg>"marks a bar with failures"</li>
                    })}
                </ul>
            </figcaption>
            <details class="chart-data">
                <summary>"Show the numbers"</summary>
                <div class="table-scroll">
                    <table class="table">
                        <caption>{caption}</caption>
                        <thead><tr><th scope="col">{axis_name}</th>{head}<th scope="col">"Total"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// One hour of the latency chart (`None`s: no calls then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyPoint {
    pub label: String,
    pub title: String,
    pub calls: i64,
    pub average_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub max_ms: Option<i64>,
}

/// `M`/`L` path through the points that have a value; a gap where one has
/// none.
fn line_path(xs: &[f64], values: &[Option<i64>], top: i64) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (x, v) in xs.iter().zip(values) {
        match v {
            Some(v) => {
                d.push_str(if pen_down { " L" } else { " M" });
                d.push_str(&format!("{},{}", px(*x), px(y_of(*v, top))));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_start().to_owned()
}

/// Pinterest's latency per hour: the average as a solid line with round
/// markers, the 95th percentile dashed with square ones.
#[component]
pub fn LatencyChart(
    id: &'static str,
    summary: String,
    caption: String,
    points: Vec<LatencyPoint>,
    label_every: usize,
) -> impl IntoView {
    let top = scale_top(
        points
            .iter()
            .filter_map(|p| p.p95_ms.max(p.average_ms))
            .max()
            .unwrap_or(0)
            .max(100),
    );
    let n = points.len();
    let slot = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    let xs: Vec<f64> = (0..n).map(|i| LEFT + slot * (i as f64 + 0.5)).collect();
    let averages: Vec<Option<i64>> = points.iter().map(|p| p.average_ms).collect();
    let p95s: Vec<Option<i64>> = points.iter().map(|p| p.p95_ms).collect();
    let markers = points
        .iter()
        .zip(&xs)
        .filter_map(|(p, x)| {
            let (average, p95) = (p.average_ms?, p.p95_ms?);
            let title = format!(
                "{}: {} calls, average {average} ms, 95th percentile at most {p95} ms",
                p.title, p.calls
            );
            Some(view! {
                <g class="point">
                    <title>{title}</title>
                    <rect class="marker-p95" x=px(x - 3.5) y=px(y_of(p95, top) - 3.5) width="7" height="7"/>
                    <circle class="marker-average" cx=px(*x) cy=px(y_of(average, top)) r="3.5"/>
                </g>
            })
        })
        .collect_view();
    let labels = points
        .iter()
        .enumerate()
        .map(|(i, p)| x_label(i, n, label_every, &p.label))
        .collect_view();
    let dash = |v: Option<i64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v} ms"));
    let rows = points
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <th scope="row">{p.title.clone()}</th>
                    <td>{p.calls}</td>
                    <td>{dash(p.average_ms)}</td>
                    <td>{dash(p.p95_ms)}</td>
                    <td>{dash(p.max_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-chart=id>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary>
                {grid(top, " ms")}
                <line class="baseline" x1=px(LEFT) x2=px(WIDTH - RIGHT) y1=px(y_of(0, top)) y2=px(y_of(0, top))/>
                <path class="line-p95" d=line_path(&xs, &p95s, top) stroke-dasharray="6 4"/>
                <path class="line-average" d=line_path(&xs, &averages, top)/>
                {markers}
                {labels}
            </svg>
            <figcaption>
                <ul class="chart-legend">
                    <li>
                        <svg class="swatch swatch-wide" viewBox="0 0 28 14" aria-hidden="true" focusable="false">
                            <path class="line-average" d="M1,7 H27"/><circle class="marker-average" cx="14" cy="7" r="3.5"/>
                        </svg>
                        "average"
                    </li>
                    <li>
                        <svg class="swatch swatch-wide" viewBox="0 0 28 14" aria-hidden="true" focusable="false">
                            <path class="line-p95" d="M1,7 H27" stroke-dasharray="6 4"/><rect class="marker-p95" x="10.5" y="3.5" width="7" height="7"/>
                        </svg>
                        "95th percentile (at most)"
                    </li>
                </ul>
            </figcaption>
            <details class="chart-data">
                <summary>"Show the numbers"</summary>
                <div class="table-scroll">
                    <table class="table">
                        <caption>{caption}</caption>
                        <thead><tr>
                            <th scope="col">"Hour (UTC)"</th><th scope="col">"Calls"</th><th scope="col">"Average"</th>
                            <th scope="col">"95th percentile (at most)"</th><th scope="col">"Slowest"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_scale_tops_at_one_two_or_five_times_a_power_of_ten() {
        let tops: Vec<i64> = [0, 1, 2, 3, 6, 10, 11, 99, 101, 480, 501, 5_000_001]
            .into_iter()
            .map(scale_top)
            .collect();
        assert_eq!(
            tops,
            [1, 1, 2, 5, 10, 10, 20, 100, 200, 500, 1000, 10_000_000]
        );
    }

    fn series() -> Vec<Series> {
        vec![
            Series {
                key: "ok",
                name: "succeeded",
                fill: Fill::Solid,
                flagged: false,
            },
            Series {
                key: "failed",
                name: "failed",
                fill: Fill::Hatch,
                flagged: true,
            },
        ]
    }

    fn bars(values: &[Option<[i64; 2]>]) -> Vec<Bar> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Bar {
                label: format!("{i:02}:00"),
                title: format!("hour {i}"),
                values: v.map(|v| v.to_vec()),
            })
            .collect()
    }

    fn render(bars: Vec<Bar>) -> String {
        Owner::new().with(|| {
            view! {
                <StackedBars id="refreshes" summary="Refreshes per hour: 3 failed".into()
                    caption="Refreshes per hour".into() axis_name="Hour (UTC)"
                    series=series() bars label_every=2/>
            }
            .to_html()
        })
    }

    #[test]
    fn bars_stack_their_series_with_patterns_and_flag_failures() {
        let html = render(bars(&[Some([10, 0]), Some([500, 1]), None]));
        // An image with its summary, patterns for both series.
        assert!(html.contains(r#"role="img""#), "{html}");
        assert!(html.contains(r#"aria-label="Refreshes per hour: 3 failed""#));
        assert!(html.contains(r#"id="refreshes-ok""#) && html.contains(r#"id="refreshes-failed""#));
        assert!(html.contains(r#"fill="url(#refreshes-failed)""#));
        // Three segments: the second bar's one failure still shows, flagged.
        assert_eq!(html.matches("class=\"segment ").count(), 3, "{html}");
        assert_eq!(
            html.matches("class=\"flag\"").count(),
            2,
            "bar and legend: {html}"
        );
        assert!(
            html.contains(r#"height="1.5""#),
            "the smallest segment shows: {html}"
        );
        // The scale tops at 1000 (the tallest bar is 501); labels at 0, 500, 1000.
        assert!(
            html.contains(">1000</text>") && html.contains(">500</text>"),
            "{html}"
        );
        // Uncounted: a stub and its tooltip.
        assert!(html.contains("hour 2: not counted"));
        // The table holds every number.
        assert!(html.contains("<caption>Refreshes per hour</caption>"));
        assert!(
            html.contains("<th scope=\"row\">hour 1</th><td>500</td><td>1</td>"),
            "{html}"
        );
        assert!(html.contains("<td>501</td>"), "the total: {html}");
        assert!(
            html.contains(r#"<td colspan="3" class="muted">not counted</td>"#),
            "{html}"
        );
        assert!(html.contains("hour 1: succeeded 500, failed 1"));
    }

    #[test]
    fn the_latency_lines_break_where_there_were_no_calls() {
        let point = |i: usize, v: Option<i64>| LatencyPoint {
            label: format!("{i:02}:00"),
            title: format!("hour {i}"),
            calls: v.map_or(0, |_| 4),
            average_ms: v,
            p95_ms: v.map(|v| v * 2),
            max_ms: v.map(|v| v * 3),
        };
        let points = vec![
            point(0, Some(50)),
            point(1, Some(60)),
            point(2, None),
            point(3, Some(40)),
        ];
        let xs = [1.0, 2.0, 3.0, 4.0];
        let values: Vec<Option<i64>> = points.iter().map(|p| p.average_ms).collect();
        let d = line_path(&xs, &values, 100);
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        let html = Owner::new().with(|| {
            view! {
                <LatencyChart id="latency" summary="Latency".into() caption="Latency per hour".into()
                    points label_every=6/>
            }
            .to_html()
        });
        assert_eq!(
            html.matches("class=\"marker-average\"").count(),
            4,
            "3 points and the legend: {html}"
        );
        assert!(html.contains("hour 3: 4 calls, average 40 ms, 95th percentile at most 80 ms"));
        assert!(
            html.contains("<th scope=\"row\">hour 2</th><td>0</td><td>–</td><td>–</td><td>–</td>"),
            "{html}"
        );
        // Scale: the slowest 95th percentile, 120 ms, tops at 200.
        assert!(html.contains(">200 ms</text>"), "{html}");
    }
}
