//! A report's chart, drawn on the server as SVG by plotters (decision 0024): bars for one series,
//! lines for several, months along the bottom and values up the side in the reader's formats.
//! The data table beneath it says the same exactly; the SVG also carries it in its description,
//! for readers that cannot see the chart.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::reports::report::Table;

/// The chart's size, in pixels (the page scales it to its width).
pub const WIDTH: u32 = 880;
pub const HEIGHT: u32 = 340;

/// How many colours the series take in turn.
pub const COLOURS: usize = 6;

/// The series' colours, in order (the last one is "others"; app.css has the same, `.swatch-N`).
const PALETTE: [RGBColor; COLOURS] = [
    RGBColor(0x1d, 0x4e, 0xd8),
    RGBColor(0xd9, 0x77, 0x06),
    RGBColor(0x05, 0x96, 0x69),
    RGBColor(0xb4, 0x23, 0x18),
    RGBColor(0x6d, 0x28, 0xd9),
    RGBColor(0x6b, 0x72, 0x80),
];

/// The colour of the series at `i` (the page's legend has a class per colour: `swatch-0`…).
pub fn colour(i: usize) -> String {
    let c = PALETTE[i % COLOURS];
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// The SVG of `table`, its months labelled `labels`, its values written by `value`;
/// `description` is its text for readers that cannot see it.
pub fn svg(
    table: &Table,
    labels: &[String],
    value: &dyn Fn(f64) -> String,
    description: &str,
) -> Result<String, String> {
    let mut out = String::new();
    draw(&mut out, table, labels, value).map_err(|e| e.to_string())?;
    Ok(describe(&out, description))
}

fn draw(
    out: &mut String,
    table: &Table,
    labels: &[String],
    value: &dyn Fn(f64) -> String,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(out, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    // Segments 0..=last: one per month.
    let n = table.months.len().max(1) as i32;
    let all = table.series.iter().flat_map(|s| s.values.iter());
    let (low, high) = all.fold((0f64, 0f64), |(lo, hi), v| {
        let v = v.to_f64().unwrap_or_default();
        (lo.min(v), hi.max(v))
    });
    let high = if high <= low { low + 1.0 } else { high * 1.1 };
    let low = if low < 0.0 { low * 1.1 } else { 0.0 };
    let font = ("sans-serif", 13)
        .into_font()
        .color(&RGBColor(0x44, 0x4b, 0x5a));
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(96)
        .build_cartesian_2d((0..n - 1).into_segmented(), low..high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(0xee, 0xf0, 0xf4))
        .bold_line_style(RGBColor(0xdd, 0xe1, 0xe8))
        .x_labels(n as usize)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i as usize).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .y_labels(6)
        .y_label_formatter(&|y| value(*y))
        .label_style(font)
        .draw()?;
    let at = |i: usize, v: &Decimal| (i as i32, v.to_f64().unwrap_or_default());
    if let [only] = table.series.as_slice() {
        chart.draw_series(only.values.iter().enumerate().map(|(i, v)| {
            let (x, y) = at(i, v);
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(x), 0.0),
                    (SegmentValue::Exact(x + 1), y),
                ],
                PALETTE[0].filled(),
            );
            bar.set_margin(0, 0, 8, 8);
            bar
        }))?;
    } else {
        for (s, series) in table.series.iter().enumerate() {
            let colour = PALETTE[s % COLOURS];
            let points: Vec<_> = series
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let (x, y) = at(i, v);
                    (SegmentValue::CenterOf(x), y)
                })
                .collect();
            chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, colour.filled())),
            )?;
        }
    }
    root.present()?;
    Ok(())
}

/// `svg` with `text` as its description, the first thing inside it.
fn describe(svg: &str, text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => {
            format!("{}<desc>{escaped}</desc>{}", &svg[..=end], &svg[end + 1..])
        }
        _ => svg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::charges::Month;
    use crate::reports::report::Series;

    fn table(series: Vec<Vec<i64>>) -> Table {
        let months = ["2026-10", "2026-11", "2026-12"].map(|m| Month::parse(m).unwrap());
        Table {
            months: months.to_vec(),
            series: series
                .into_iter()
                .enumerate()
                .map(|(i, v)| Series {
                    name: format!("S{i}"),
                    values: v.into_iter().map(Decimal::from).collect(),
                })
                .collect(),
        }
    }

    fn labels() -> Vec<String> {
        ["oct. 2026", "nov. 2026", "dic. 2026"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn one_series_is_bars_and_the_svg_is_xml_with_its_labels() {
        let svg = svg(
            &table(vec![vec![100, 250, 75]]),
            &labels(),
            &|v| format!("US$ {v:.0}"),
            "oct. 2026: 100 <&>",
        )
        .unwrap();
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let desc = root.first_element_child().unwrap();
        assert_eq!(desc.tag_name().name(), "desc");
        assert_eq!(desc.text(), Some("oct. 2026: 100 <&>"));
        let texts: Vec<_> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "text")
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for label in labels() {
            assert!(texts.contains(&label.as_str()), "{label} in {texts:?}");
        }
        assert!(texts.iter().any(|t| t.starts_with("US$ ")), "{texts:?}");
        // A bar per month, in the first colour.
        let bars = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "rect" && n.attribute("fill") == Some("#1D4ED8"))
            .count();
        assert_eq!(bars, 3, "{svg}");
    }

    #[test]
    fn several_series_are_lines_and_nothing_is_an_empty_chart() {
        let svg = svg(
            &table(vec![vec![1, 2, 3], vec![3, 2, 1]]),
            &labels(),
            &|v| format!("{v:.0}"),
            "",
        )
        .unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let lines = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "polyline")
            .filter(|n| {
                n.attribute("stroke").is_some_and(|c| {
                    [colour(0), colour(1)]
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(c))
                })
            })
            .count();
        assert_eq!(lines, 2, "{svg}");
        let empty = super::svg(&table(vec![]), &labels(), &|v| format!("{v}"), "").unwrap();
        assert!(roxmltree::Document::parse(&empty).is_ok());
        assert_eq!(colour(0), "#1d4ed8");
        // One month: one bar.
        let mut one = table(vec![vec![42]]);
        one.months.truncate(1);
        one.series[0].values.truncate(1);
        let svg = super::svg(&one, &labels()[..1], &|v| format!("{v:.0}"), "").unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let bars = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "rect" && n.attribute("fill") == Some("#1D4ED8"))
            .count();
        assert_eq!(bars, 1, "{svg}");
    }
}
