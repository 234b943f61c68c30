//! Column tables whose widths fit their content, padded before they are painted so colours never shift a
//! column.

use anstyle::Style;

use super::color::{HEADER, Paint};

/// One cell: its text and its style.
pub struct Cell {
    pub text: String,
    pub style: Style,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell::styled(text, Style::new())
    }

    pub fn styled(text: impl Into<String>, style: Style) -> Cell {
        Cell {
            text: text.into(),
            style,
        }
    }
}

/// A table: titles, then rows of cells (a row may have several pre-painted parts in its last cell).
pub struct Table {
    titles: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(titles: Vec<&'static str>) -> Table {
        Table {
            titles,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Every line, columns two spaces apart; the last column is not padded.
    pub fn render(&self, paint: &Paint) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.text.chars().count())
                .chain([self.titles[i].len()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.titles.len()).map(width).collect();
        let line = |cells: Vec<(&str, Style)>| {
            let last = cells.len().saturating_sub(1);
            let mut out = String::new();
            for (i, (text, style)) in cells.into_iter().enumerate() {
                out.push_str(&paint.paint(style, text));
                if i < last {
                    let pad = widths[i] - text.chars().count() + 2;
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
            out
        };
        let mut out = line(self.titles.iter().map(|t| (*t, HEADER)).collect());
        for row in &self.rows {
            out.push_str(&line(
                row.iter().map(|c| (c.text.as_str(), c.style)).collect(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell_and_colour_does_not_shift_them() {
        let mut t = Table::new(vec!["A", "LONG TITLE", "LAST"]);
        t.push(vec![
            Cell::plain("wide cell"),
            Cell::styled("x", super::super::color::BAD),
            Cell::plain("end"),
        ]);
        let plain = t.render(&Paint { on: false });
        assert_eq!(
            plain,
            "A          LONG TITLE  LAST\nwide cell  x           end\n"
        );
        let painted = t.render(&Paint { on: true });
        let stripped = painted
            .replace("\x1b[1m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, plain);
    }
}
