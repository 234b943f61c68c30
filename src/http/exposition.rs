//! The two text formats `/metrics` speaks, chosen from the scraper's `Accept` header: OpenMetrics 1.0.0 when
//! asked for (`application/openmetrics-text`), else the classic Prometheus text format 0.0.4 (what `promtool
//! check metrics`, older Prometheus servers and most other scrapers read).

/// Content type of the OpenMetrics answer.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of the Prometheus text answer.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Which format a scraper asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    PrometheusText,
}

impl Format {
    /// OpenMetrics when `accept` lists it with a non-zero quality, else Prometheus text.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let wants_openmetrics = accept.is_some_and(|accept| {
            accept.split(',').any(|item| {
                let mut parts = item.split(';').map(str::trim);
                let media = parts.next().unwrap_or_default();
                let refused = parts.any(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
            })
        });
        if wants_openmetrics {
            Format::OpenMetrics
        } else {
            Format::PrometheusText
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS,
            Format::PrometheusText => PROMETHEUS_TEXT,
        }
    }

    /// `openmetrics` (what the registry encodes) in this format.
    pub fn render(self, openmetrics: &str) -> String {
        match self {
            Format::OpenMetrics => openmetrics.to_string(),
            Format::PrometheusText => to_prometheus_text(openmetrics),
        }
    }
}

/// OpenMetrics text → Prometheus text 0.0.4: no `# EOF` or `# UNIT`, and a counter family is named like its
/// samples (`foo_total`). The encoder emits only counters and gauges, whose samples are identical in both.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        out.push_str(&rename_counter_family(line, &counters).unwrap_or_else(|| line.to_string()));
        out.push('\n');
    }
    out
}

/// `# HELP foo …` / `# TYPE foo counter` for a counter family `foo` → the same about `foo_total`.
fn rename_counter_family(line: &str, counters: &[&str]) -> Option<String> {
    let (keyword, rest) = ["# HELP ", "# TYPE "]
        .into_iter()
        .find_map(|k| line.strip_prefix(k).map(|rest| (k, rest)))?;
    let name = rest.split(' ').next()?;
    counters
        .contains(&name)
        .then(|| format!("{keyword}{name}_total{}", &rest[name.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case(None, Format::PrometheusText)]
    #[case(Some("text/plain"), Format::PrometheusText)]
    #[case(Some("*/*"), Format::PrometheusText)]
    #[case(
        Some(
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"
        ),
        Format::OpenMetrics
    )]
    #[case(Some("application/openmetrics-text; q=0"), Format::PrometheusText)]
    fn the_accept_header_picks_the_format(#[case] accept: Option<&str>, #[case] want: Format) {
        assert_eq!(Format::negotiate(accept), want);
    }

    #[test]
    fn counters_are_named_by_their_samples_in_prometheus_text() {
        let om = "# HELP x_events Things.\n# TYPE x_events counter\nx_events_total{a=\"b\"} 2\n\
                  # HELP x_up Up.\n# TYPE x_up gauge\n# UNIT x_up seconds\nx_up 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(om),
            "# HELP x_events_total Things.\n# TYPE x_events_total counter\nx_events_total{a=\"b\"} 2\n\
             # HELP x_up Up.\n# TYPE x_up gauge\nx_up 1\n"
        );
    }
}
