//! The geometry of a bar chart, for a server-rendered SVG template: bars
//! scaled into a fixed view box (the SVG scales to its container), a few
//! axis labels, and the figures for its `<title>`/`<desc>`.

/// The view box's size.
pub const WIDTH: i64 = 640;
pub const HEIGHT: i64 = 180;
/// Room under the bars for axis labels.
const AXIS: f64 = 20.0;
/// Room above the tallest bar for its value.
const TOP: f64 = 14.0;

/// One bar; coordinates are formatted for the SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// What the bar stands for ("Dec 5", "14:00").
    pub label: String,
    pub value: i64,
}

/// A label under the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub x: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Unique on the page (ids of `<title>` and `<desc>`).
    pub id: &'static str,
    pub title: String,
    /// "Highest: 12 on Dec 5; total 40."
    pub summary: String,
    pub width: i64,
    pub height: i64,
    pub baseline: String,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub max: i64,
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

impl BarChart {
    /// A chart of `points` (label, value) in order.
    pub fn new(id: &'static str, title: &str, points: &[(String, i64)]) -> Self {
        let n = points.len().max(1) as f64;
        let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(0);
        let plot = HEIGHT as f64 - AXIS - TOP;
        let slot = WIDTH as f64 / n;
        let gap = (slot * 0.2).min(4.0);
        let bars = points
            .iter()
            .enumerate()
            .map(|(i, (label, value))| {
                let h = if max > 0 {
                    (*value).max(0) as f64 / max as f64 * plot
                } else {
                    0.0
                };
                Bar {
                    x: f(i as f64 * slot + gap / 2.0),
                    y: f(TOP + plot - h),
                    width: f((slot - gap).max(0.5)),
                    height: f(h),
                    label: label.clone(),
                    value: *value,
                }
            })
            .collect();
        // At most eight labels, evenly spread, the last one included.
        let step = points.len().div_ceil(8).max(1);
        let ticks = points
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i + 1 == points.len())
            .map(|(i, (label, _))| Tick {
                x: f(i as f64 * slot + slot / 2.0),
                text: label.clone(),
            })
            .collect();
        let total: i64 = points.iter().map(|p| p.1).sum();
        let summary = match points.iter().max_by_key(|p| p.1) {
            Some((label, value)) if *value > 0 => {
                format!("Highest: {value} on {label}; total {total}.")
            }
            _ => "No figures in this period.".to_owned(),
        };
        Self {
            id,
            title: title.to_owned(),
            summary,
            width: WIDTH,
            height: HEIGHT,
            baseline: f(HEIGHT as f64 - AXIS),
            bars,
            ticks,
            max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_tallest_and_stay_inside_the_view_box() {
        let points: Vec<(String, i64)> = (0..30).map(|i| (format!("d{i}"), i % 7)).collect();
        let chart = BarChart::new("c", "Conversations", &points);
        assert_eq!(chart.bars.len(), 30);
        assert_eq!(chart.max, 6);
        let tallest = chart
            .bars
            .iter()
            .find(|b| b.value == 6)
            .map(|b| b.y.clone());
        assert_eq!(tallest.as_deref(), Some("14.0"));
        assert!(chart.ticks.len() <= 9);
        let empty = BarChart::new("e", "Nothing", &[]);
        assert_eq!(empty.summary, "No figures in this period.");
    }
}
