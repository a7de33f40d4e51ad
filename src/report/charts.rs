//! Charts drawn with plotters from the report: SVG for the HTML page and for attachments, PNG
//! for attachments.
//!
//! Four charts, each drawn only when the report has data for it ([`kinds`]):
//!
//! - `latency`: every drawn request ([`super::plot::PlotData::points`]) by seconds into the
//!   test on a log scale (20 ms and 16 s both read), failures in their own colours on top, the
//!   rolling median and p95 of all requests, the latency phases shaded and named;
//! - `outcomes`: requests per time bucket of `correlation.buckets`, stacked 2xx / 5xx / no
//!   response / other;
//! - `funnel`: sent → hit → started → completed, each bar labelled with its count;
//! - `signatures`: one lane per signature, a tick per occurrence, the first one marked.
//!
//! Text in the charts (route names, signature ids, phase names) comes from the report; the SVG
//! backend escapes `<`, `>`, `&` and quotes in text and attributes, so no text can become
//! markup (tested below). Each scatter point is one `<circle>`; runs of points of one style are
//! grouped under one `<g>` carrying the style ([`compact`]), which keeps 20 000 points under
//! 1 MB of SVG. This module draws into strings and, for [`write_dir`] only, into files.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rootcause_parsers::time::{TimeOptions, parse};

use super::plot::{PlotData, PointKind};
use super::{Report, prose};

/// One chart, drawn as SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem and HTML id: `latency`, `outcomes`, `funnel`, `signatures`.
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// A chart written by [`write_dir`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// As [`Chart::name`].
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// The SVG file written.
    pub svg: PathBuf,
    /// The PNG file written.
    pub png: PathBuf,
}

/// A run name made safe as a file name.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    if s.is_empty() { "run".into() } else { s }
}

/// The charts there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Latency vs seconds into the test.
    Latency,
    /// Outcomes per time bucket, stacked.
    Outcomes,
    /// The request funnel.
    Funnel,
    /// One lane per signature.
    Signatures,
}

impl Kind {
    /// File stem and HTML id.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Latency => "latency",
            Kind::Outcomes => "outcomes",
            Kind::Funnel => "funnel",
            Kind::Signatures => "signatures",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Latency => "Latency of every request over the test",
            Kind::Outcomes => "Request outcomes over time",
            Kind::Funnel => "Request funnel: sent → hit → started → completed",
            Kind::Signatures => "Signatures over time",
        }
    }

    /// Width and height in pixels.
    fn size(self, r: &Report) -> (u32, u32) {
        match self {
            Kind::Latency => (960, 460),
            Kind::Outcomes => (960, 360),
            Kind::Funnel => (640, 340),
            Kind::Signatures => {
                let lanes = u32::try_from(r.plot.lanes.len()).unwrap_or(u32::MAX).min(40);
                (960, 100 + 48 * lanes)
            }
        }
    }
}

/// The charts the report has data for, in the order they are shown.
pub fn kinds(r: &Report) -> Vec<Kind> {
    let p = &r.plot;
    let mut v = Vec::new();
    if p.t0.is_some() && !p.points.is_empty() {
        v.push(Kind::Latency);
    }
    if p.t0.is_some() && r.correlation.buckets.iter().any(|b| b.sent > 0) {
        v.push(Kind::Outcomes);
    }
    // Without an application log hit/started/completed are unknown, not zero: no funnel.
    let f = &r.funnel;
    if f.has_app_log && f.sent.max(f.hit).max(f.started).max(f.completed) > 0 {
        v.push(Kind::Funnel);
    }
    if p.t0.is_some() && p.lanes.iter().any(|l| !l.marks.is_empty()) {
        v.push(Kind::Signatures);
    }
    v
}

/// Every chart the report has data for, as SVG. A chart that fails to draw (it cannot with
/// the bundled font) is left out.
pub fn svg_charts(r: &Report) -> Vec<Chart> {
    kinds(r)
        .into_iter()
        .filter_map(|k| {
            Some(Chart { name: k.name(), title: k.title().to_string(), svg: svg(r, k).ok()? })
        })
        .collect()
}

/// Draws one chart as an SVG document.
pub fn svg(r: &Report, kind: Kind) -> Result<String, String> {
    fonts()?;
    let mut buf = String::new();
    {
        let area = SVGBackend::with_string(&mut buf, kind.size(r)).into_drawing_area();
        draw(&area, r, kind).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    Ok(compact(&buf))
}

/// Writes every chart as `DIR/NAME.svg` and `DIR/NAME.png`.
pub fn write_dir(r: &Report, dir: &Path) -> anyhow::Result<Vec<ChartFile>> {
    std::fs::create_dir_all(dir)?;
    fonts().map_err(anyhow::Error::msg)?;
    let mut files = Vec::new();
    for kind in kinds(r) {
        let svg_path = dir.join(format!("{}.svg", kind.name()));
        let png_path = dir.join(format!("{}.png", kind.name()));
        let doc = svg(r, kind).map_err(anyhow::Error::msg)?;
        std::fs::write(&svg_path, doc)?;
        {
            let area = BitMapBackend::new(&png_path, kind.size(r)).into_drawing_area();
            draw(&area, r, kind).map_err(|e| anyhow::anyhow!("{}: {e}", png_path.display()))?;
            area.present().map_err(|e| anyhow::anyhow!("{}: {e}", png_path.display()))?;
        }
        files.push(ChartFile {
            name: kind.name(),
            title: kind.title().to_string(),
            svg: svg_path,
            png: png_path,
        });
    }
    Ok(files)
}

/// The one font family the charts use.
const FONT: &str = "sans-serif";

/// Registers the bundled DejaVu Sans as [`FONT`], once: the ab_glyph text backend knows no
/// system font, and layout needs one for SVG too.
fn fonts() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FONT, style, bytes)
                .map_err(|_| "the bundled chart font cannot be read".to_string())?;
        }
        Ok(())
    })
    .clone()
}

/// What drawing on a `DB` gives: `T`, or the backend's error.
type DrawResult<DB, T = ()> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart over seconds into the test (x) and `Y` (y), see [`time_chart`].
type TimeChart<'a, DB, Y> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, <Y as AsRangedCoord>::CoordDescType>>;

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, r: &Report, kind: Kind) -> DrawResult<DB>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    match kind {
        Kind::Latency => latency(area, &r.plot),
        Kind::Outcomes => outcomes(area, r),
        Kind::Funnel => funnel(area, r),
        Kind::Signatures => signatures(area, &r.plot, request_span(&r.plot)),
    }
}

const OK: RGBColor = RGBColor(31, 119, 180);
const FAIL_5XX: RGBColor = RGBColor(214, 39, 40);
const NO_RESPONSE: RGBColor = RGBColor(255, 127, 14);
const OTHER: RGBColor = RGBColor(127, 127, 127);
const SUCCESS: RGBColor = RGBColor(44, 160, 44);
const MEDIAN: RGBColor = RGBColor(20, 20, 20);
const P95: RGBColor = RGBColor(148, 103, 189);
const GRID: RGBColor = RGBColor(225, 225, 225);

fn title_style() -> TextStyle<'static> {
    (FONT, 18).into_font().into_text_style(&(0u32, 0u32))
}

fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into_text_style(&(0u32, 0u32))
}

/// A chart's frame on `area`: its title, the margin, and room for the axis labels below
/// (`x_labels` pixels) and to the left (`y_labels`).
fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    kind: Kind,
    x_labels: u32,
    y_labels: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(kind.title(), title_style())
        .margin(12)
        .x_label_area_size(x_labels)
        .y_label_area_size(y_labels);
    builder
}

/// The mesh every chart shares: a light grid without minor lines, tick labels of
/// `label_size`, axis titles of 13. The caller adds its axes' titles and formats, then draws.
fn mesh<'a, 'b, X, Y, DB>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    label_size: u32,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
    DB: DrawingBackend,
{
    let mut m = chart.configure_mesh();
    m.bold_line_style(GRID)
        .light_line_style(WHITE)
        .label_style(text(label_size))
        .axis_desc_style(text(13));
    m
}

/// `area` split into the plot and the strip for its [`legend`] below.
fn above_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    area.split_vertically(area.dim_in_pixel().1.saturating_sub(LEGEND))
}

/// A chart of `kind` on `plot` over `x`, seconds into the test by send time, and `y`, its
/// mesh drawn: the frame of the latency and outcomes charts.
fn time_chart<'a, DB, Y>(
    plot: &'a DrawingArea<DB, Shift>,
    kind: Kind,
    x: Range<f64>,
    y: Y,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> DrawResult<DB, TimeChart<'a, DB, Y>>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let span = x.end - x.start;
    let mut chart = frame(plot, kind, 44, 70).build_cartesian_2d(x, y)?;
    let x_format = |v: &f64| secs_label(*v, span);
    mesh(&mut chart, 12)
        .x_desc("seconds into the test (by send time)")
        .y_desc(y_desc)
        .x_label_formatter(&x_format)
        .y_label_formatter(y_format)
        .draw()?;
    Ok(chart)
}

/// `0.5`, `12`, `120`: seconds with as few decimals as the axis needs.
fn secs_label(v: f64, span: f64) -> String {
    if span < 5.0 { format!("{v:.1}") } else { format!("{v:.0}") }
}

/// `20 ms`, `1.5 s`.
fn ms_label(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    };
    if v >= 1000.0 {
        format!("{} s", trim(format!("{:.1}", v / 1000.0)))
    } else if v >= 1.0 {
        format!("{} ms", trim(format!("{v:.0}")))
    } else {
        format!("{} ms", trim(format!("{v:.2}")))
    }
}

/// First and last send time of the drawn requests, seconds into the test.
fn request_span(p: &PlotData) -> Option<(f64, f64)> {
    let ts = p.points.iter().map(|pt| pt.t).chain(p.rolling.iter().map(|r| r.0));
    ts.fold(None, |acc, t| match acc {
        None => Some((t, t)),
        Some((a, b)) => Some((a.min(t), b.max(t))),
    })
}

/// `lo..hi` widened by 2% each side, never empty.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = (hi - lo).max(1.0);
    (lo - span * 0.02, hi + span * 0.02)
}

fn phase_fill(kind: &str) -> RGBColor {
    match kind {
        "ramp_up" | "ramp_down" => RGBColor(255, 236, 200),
        "plateau" | "degraded" => RGBColor(255, 218, 218),
        "recovered" => RGBColor(218, 236, 255),
        _ => RGBColor(236, 244, 236),
    }
}

fn latency<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &PlotData) -> DrawResult<DB>
where
    DB::ErrorType: 'static,
{
    /// The log axis needs a positive floor: a 0 ms request is drawn at 0.1 ms.
    const FLOOR: f64 = 0.1;
    let Some((first, last)) = request_span(p) else { return Ok(()) };
    let (x0, x1) = padded(first.min(0.0), last);
    let values = p.points.iter().map(|pt| pt.ms).chain(p.rolling.iter().flat_map(|r| [r.1, r.2]));
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v.max(FLOOR)), b.max(v.max(FLOOR))));
    // From the power of ten below the fastest request, so the axis always has a label under
    // the baseline (375 ms..5 s would otherwise show 1 s to 5 s only).
    let (y0, y1) =
        if lo <= hi { (10f64.powf((lo / 1.01).log10().floor()), hi * 1.6) } else { (1.0, 1000.0) };
    let (plot, legend_strip) = above_legend(area);
    // Label 1, 2 and 5 of each decade only: the other grid lines stay unlabelled.
    let yfmt = |v: &f64| {
        let m = *v / 10f64.powf(v.log10().floor());
        let keep = [1.0, 2.0, 5.0, 10.0].iter().any(|k| (m - k).abs() < 0.05);
        if keep { ms_label(*v) } else { String::new() }
    };
    let y = (y0..y1).log_scale();
    let mut chart = time_chart(&plot, Kind::Latency, x0..x1, y, "latency (log scale)", &yfmt)?;
    // Phases first, so the points are drawn over them; names at the bottom of each band.
    let plot_width = f64::from(area.dim_in_pixel().0.saturating_sub(90)).max(1.0);
    for ph in &p.phases {
        let (a, b) = (ph.start.max(x0), ph.end.min(x1));
        if b <= a {
            continue;
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, y0), (b, y1)],
            phase_fill(&ph.kind).mix(0.7).filled(),
        )))?;
        let name = prose::phase_name(&ph.kind);
        let px = (b - a) / (x1 - x0) * plot_width;
        if px > 7.0 * name.chars().count() as f64 + 8.0 {
            chart.draw_series(std::iter::once(
                EmptyElement::at((a, y0)) + Text::new(name, (4, -18), text(12).color(&OTHER)),
            ))?;
        }
    }
    let mut keys: Vec<(RGBColor, bool, &str)> = Vec::new();
    let series: [(PointKind, RGBColor, f64, u32, &str); 4] = [
        (PointKind::Ok, OK, 0.45, 2, "2xx"),
        (PointKind::Other, OTHER, 0.6, 2, "other status"),
        (PointKind::NoResponse, NO_RESPONSE, 0.85, 3, "no response (time until it gave up)"),
        (PointKind::ServerError, FAIL_5XX, 0.85, 3, "5xx"),
    ];
    for (kind, color, alpha, radius, label) in series {
        let n = p.points.iter().filter(|pt| pt.kind == kind).count();
        if n == 0 {
            continue;
        }
        let style = color.mix(alpha).filled();
        chart.draw_series(
            p.points
                .iter()
                .filter(move |pt| pt.kind == kind)
                .map(move |pt| Circle::new((pt.t, pt.ms.max(FLOOR)), radius, style)),
        )?;
        keys.push((color, false, label));
    }
    for (pick, color, label) in
        [(1usize, MEDIAN, "rolling median (all requests)"), (2, P95, "rolling p95 (all requests)")]
    {
        let line = p.rolling.iter().map(|r| (r.0, if pick == 1 { r.1 } else { r.2 }.max(FLOOR)));
        chart.draw_series(LineSeries::new(line, color.stroke_width(2)))?;
        keys.push((color, true, label));
    }
    legend(&legend_strip, &keys)
}

/// Height of the legend strip under a chart.
const LEGEND: u32 = 28;

/// One row of legend keys, centred in `strip`: a box (or a line, when the bool is true) in
/// the colour, then the label. Under the plot, so it never hides data.
fn legend<DB: DrawingBackend>(
    strip: &DrawingArea<DB, Shift>,
    keys: &[(RGBColor, bool, &str)],
) -> DrawResult<DB>
where
    DB::ErrorType: 'static,
{
    let style = text(12);
    let mut widths = Vec::with_capacity(keys.len());
    for (_, _, label) in keys {
        widths.push(i32::try_from(strip.estimate_text_size(label, &style)?.0).unwrap_or(100));
    }
    let total: i32 = widths.iter().map(|w| w + 40).sum();
    let full = i32::try_from(strip.dim_in_pixel().0).unwrap_or(0);
    let mut x = ((full - total) / 2).max(4);
    let y = 10;
    for ((color, line, label), w) in keys.iter().zip(widths) {
        let (top, bottom) = if *line { (y - 1, y + 1) } else { (y - 5, y + 5) };
        strip.draw(&Rectangle::new([(x, top), (x + 14, bottom)], color.filled()))?;
        strip.draw(&Text::new(
            label.to_string(),
            (x + 20, y),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += w + 40;
    }
    Ok(())
}

/// Seconds into the test of an RFC 3339 time of the report.
fn secs_into(p: &PlotData, at: &str) -> Option<f64> {
    let t0 = p.t0?;
    let t = parse(at.as_bytes(), &TimeOptions::default())?.micros;
    Some((t - t0) as f64 / 1e6)
}

fn outcomes<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, r: &Report) -> DrawResult<DB>
where
    DB::ErrorType: 'static,
{
    let c = &r.correlation;
    let width = (c.bucket_ms / 1000.0).max(1e-3);
    // (start s, [2xx, 5xx, no response, other]) per bucket with requests.
    let bars: Vec<(f64, [u64; 4])> = c
        .buckets
        .iter()
        .filter(|b| b.sent > 0)
        .filter_map(|b| {
            let known = b.status_2xx + b.status_5xx + b.no_response;
            let other = b.sent.saturating_sub(known);
            Some((
                secs_into(&r.plot, &b.start)?,
                [b.status_2xx, b.status_5xx, b.no_response, other],
            ))
        })
        .collect();
    let (Some(first), Some(last)) = (bars.first(), bars.last()) else { return Ok(()) };
    let (x0, x1) = padded(first.0.min(0.0), last.0 + width);
    let top = bars.iter().map(|(_, v)| v.iter().sum::<u64>()).max().unwrap_or(1).max(1);
    let y1 = top as f64 * 1.12;
    let (plot, legend_strip) = above_legend(area);
    let yfmt = |v: &f64| format!("{v:.0}");
    let y_desc = format!("requests per {}", prose::bucket_width(r));
    let mut chart = time_chart(&plot, Kind::Outcomes, x0..x1, 0.0..y1, &y_desc, &yfmt)?;
    let layers: [(usize, RGBColor, &str); 4] = [
        (0, SUCCESS, "2xx"),
        (1, FAIL_5XX, "5xx"),
        (2, NO_RESPONSE, "no response"),
        (3, OTHER, "other"),
    ];
    let mut keys = Vec::new();
    for (i, color, label) in layers {
        if bars.iter().all(|(_, v)| v[i] == 0) {
            continue;
        }
        let rects = bars.iter().filter(|(_, v)| v[i] > 0).map(|(t, v)| {
            let below: u64 = v.iter().take(i).sum();
            Rectangle::new(
                [(*t + width * 0.05, below as f64), (*t + width * 0.95, (below + v[i]) as f64)],
                color.filled(),
            )
        });
        chart.draw_series(rects)?;
        keys.push((color, false, label));
    }
    legend(&legend_strip, &keys)
}

const STAGES: [&str; 4] = ["sent", "hit", "started", "completed"];

fn funnel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, r: &Report) -> DrawResult<DB>
where
    DB::ErrorType: 'static,
{
    let f = &r.funnel;
    let values = [f.sent, f.hit, f.started, f.completed];
    let top = values.iter().copied().max().unwrap_or(1).max(1);
    let mut chart = frame(area, Kind::Funnel, 36, 70)
        .build_cartesian_2d((0i32..3).into_segmented(), 0.0..top as f64 * 1.15)?;
    let xfmt = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => {
            usize::try_from(*i).ok().and_then(|i| STAGES.get(i)).map_or("", |s| *s).to_string()
        }
        _ => String::new(),
    };
    let yfmt = |v: &f64| format!("{v:.0}");
    mesh(&mut chart, 13)
        .disable_x_mesh()
        .x_labels(4)
        .y_desc("requests")
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .draw()?;
    let bars = (0i32..).zip(values).map(|(i, v)| {
        let color = if i == 0 { OK.mix(1.0) } else { OK.mix(0.75) };
        let mut bar = Rectangle::new(
            [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), v as f64)],
            color.filled(),
        );
        bar.set_margin(0, 0, 24, 24);
        bar
    });
    chart.draw_series(bars)?;
    let labels = (0i32..).zip(values).map(|(i, v)| {
        let share = if f.sent > 0 && i > 0 {
            format!(" ({:.1}%)", v as f64 * 100.0 / f.sent as f64)
        } else {
            String::new()
        };
        Text::new(
            format!("{v}{share}"),
            (SegmentValue::CenterOf(i), v as f64),
            text(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    });
    chart.draw_series(labels)?;
    Ok(())
}

fn signatures<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &PlotData,
    requests: Option<(f64, f64)>,
) -> DrawResult<DB>
where
    DB::ErrorType: 'static,
{
    let lanes = &p.lanes[..p.lanes.len().min(40)];
    let n = i32::try_from(lanes.len()).unwrap_or(40);
    let times = lanes.iter().flat_map(|l| l.marks.iter().chain(l.first.iter())).copied();
    let (lo, hi) = times
        .chain(requests.into_iter().flat_map(|(a, b)| [a, b]))
        .fold((0.0f64, 0.0f64), |(a, b), t| (a.min(t), b.max(t)));
    let (x0, x1) = padded(lo, hi);
    let labels: Vec<String> = lanes.iter().map(|l| format!("{} ({})", l.id, l.count)).collect();
    let widest = labels.iter().map(|s| s.chars().count()).max().unwrap_or(8);
    let label_area = u32::try_from(widest * 7 + 24).unwrap_or(320).min(320);
    // Lane k is centred on y = n - 1 - k, so the earliest signature is at the top. A plain
    // numeric axis (not a segmented one, which degenerates with one lane) and labels drawn
    // beside it.
    let mut chart = frame(area, Kind::Signatures, 44, label_area)
        .build_cartesian_2d(x0..x1, -0.5..f64::from(n) - 0.5)?;
    let xfmt = |v: &f64| secs_label(*v, x1 - x0);
    mesh(&mut chart, 12)
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("seconds into the test")
        .x_label_formatter(&xfmt)
        .draw()?;
    for (k, (lane, name)) in lanes.iter().zip(&labels).enumerate() {
        let y = f64::from(n - 1 - i32::try_from(k).unwrap_or(0));
        let (tick, first) =
            if lane.failure { (FAIL_5XX, RGBColor(140, 20, 20)) } else { (OTHER, MEDIAN) };
        chart.draw_series(std::iter::once(PathElement::new(vec![(x0, y), (x1, y)], GRID)))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((x0, y))
                + Text::new(
                    name.clone(),
                    (-10, 0),
                    text(12).color(&first).pos(Pos::new(HPos::Right, VPos::Center)),
                ),
        ))?;
        chart.draw_series(lane.marks.iter().map(|&t| {
            EmptyElement::at((t, y)) + Rectangle::new([(-1, -9), (1, 9)], tick.mix(0.7).filled())
        }))?;
        if let Some(t) = lane.first {
            chart.draw_series(std::iter::once(
                EmptyElement::at((t, y))
                    + TriangleMarker::new((0, -14), 7, first.filled())
                    + Text::new(format!("first at {t:.1} s"), (9, -24), text(11).color(&first)),
            ))?;
        }
    }
    Ok(())
}

/// Groups runs of `<circle>` elements that share their style under one `<g>` carrying it,
/// leaving each circle with its position and radius only. Plotters writes one element per
/// line, every circle as `<circle cx=".." cy=".." r=".." opacity=".." fill=".." stroke=".."
/// stroke-width=".."/>`; the group uses `fill-opacity`, which (unlike `opacity` on a group)
/// still lets overlapping points darken each other.
pub fn compact(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len() / 2);
    let mut group: Option<&str> = None;
    for line in svg.split_inclusive('\n') {
        let circle = line
            .strip_prefix("<circle ")
            .and_then(|rest| rest.trim_end().strip_suffix("/>"))
            .and_then(|attrs| attrs.split_once(" opacity="))
            .filter(|(_, style)| style.contains("stroke=\"none\""));
        match circle {
            Some((place, style)) => {
                if group != Some(style) {
                    if group.is_some() {
                        out.push_str("</g>\n");
                    }
                    out.push_str("<g fill-opacity=");
                    out.push_str(style);
                    out.push_str(">\n");
                    group = Some(style);
                }
                out.push_str("<circle ");
                out.push_str(place);
                out.push_str("/>\n");
            }
            None => {
                if group.take().is_some() {
                    out.push_str("</g>\n");
                }
                out.push_str(line);
            }
        }
    }
    if group.is_some() {
        out.push_str("</g>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_text_is_escaped_by_the_backend() {
        fonts().unwrap();
        let mut buf = String::new();
        {
            let area = SVGBackend::with_string(&mut buf, (200, 100)).into_drawing_area();
            area.draw(&Text::new("<script>a&b</script>\"'", (10, 10), text(12))).unwrap();
            area.present().unwrap();
        }
        assert!(!buf.contains("<script"), "{buf}");
        assert!(buf.contains("&lt;script&gt;a&amp;b&lt;/script&gt;&quot;&apos;"), "{buf}");
    }

    #[test]
    fn compact_groups_circles_by_style() {
        let svg = "<svg>\n\
            <circle cx=\"1\" cy=\"2\" r=\"2\" opacity=\"0.45\" fill=\"#1F77B4\" stroke=\"none\" stroke-width=\"1\"/>\n\
            <circle cx=\"3\" cy=\"4\" r=\"2\" opacity=\"0.45\" fill=\"#1F77B4\" stroke=\"none\" stroke-width=\"1\"/>\n\
            <circle cx=\"5\" cy=\"6\" r=\"3\" opacity=\"0.85\" fill=\"#D62728\" stroke=\"none\" stroke-width=\"1\"/>\n\
            <rect x=\"0\"/>\n\
            <circle cx=\"7\" cy=\"8\" r=\"1\" opacity=\"1\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>\n\
            </svg>\n";
        let want = "<svg>\n\
            <g fill-opacity=\"0.45\" fill=\"#1F77B4\" stroke=\"none\" stroke-width=\"1\">\n\
            <circle cx=\"1\" cy=\"2\" r=\"2\"/>\n\
            <circle cx=\"3\" cy=\"4\" r=\"2\"/>\n\
            </g>\n\
            <g fill-opacity=\"0.85\" fill=\"#D62728\" stroke=\"none\" stroke-width=\"1\">\n\
            <circle cx=\"5\" cy=\"6\" r=\"3\"/>\n\
            </g>\n\
            <rect x=\"0\"/>\n\
            <circle cx=\"7\" cy=\"8\" r=\"1\" opacity=\"1\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>\n\
            </svg>\n";
        assert_eq!(compact(svg), want);
    }

    #[test]
    fn labels_read_as_durations() {
        assert_eq!(ms_label(20.0), "20 ms");
        assert_eq!(ms_label(1000.0), "1 s");
        assert_eq!(ms_label(1500.0), "1.5 s");
        assert_eq!(ms_label(0.5), "0.5 ms");
        assert_eq!(secs_label(12.34, 60.0), "12");
        assert_eq!(secs_label(1.25, 3.0), "1.2");
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("a/b c"), "a_b_c");
        assert_eq!(file_stem(""), "run");
    }
}
