//! The result table: one row per figure, its value, its budget, the ratio value/budget and the
//! verdict. Printed as a Markdown table, so it can be pasted into the README as it is.

use std::fmt::Write as _;

/// A budget and whether the value kept it.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// As printed, e.g. `≤ 1 s`, `= 12 changed objects`.
    pub budget: String,
    /// Value divided by budget; `None` where that is not a number (a budget of 0).
    pub ratio: Option<f64>,
    pub pass: bool,
}

impl Check {
    /// Passes when `value ≤ limit`.
    pub fn at_most(value: f64, limit: f64, budget: impl Into<String>) -> Check {
        Check {
            budget: budget.into(),
            ratio: (limit > 0.0).then(|| value / limit),
            pass: value <= limit,
        }
    }

    /// Passes when `value == expected`: counts that must be exact, neither more nor fewer.
    pub fn exactly(value: usize, expected: usize, budget: impl Into<String>) -> Check {
        Check {
            budget: budget.into(),
            ratio: (expected > 0).then(|| value as f64 / expected as f64),
            pass: value == expected,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub figure: String,
    pub value: String,
    /// `None`: reported for information.
    pub check: Option<Check>,
    /// The figure could not be measured: a failure in every mode, quick included.
    pub broken: bool,
}

impl Row {
    pub fn checked(figure: impl Into<String>, value: impl Into<String>, check: Check) -> Row {
        Row {
            figure: figure.into(),
            value: value.into(),
            check: Some(check),
            broken: false,
        }
    }

    pub fn info(figure: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            value: value.into(),
            check: None,
            broken: false,
        }
    }

    /// A figure that could not be measured: a failure, whatever the mode.
    pub fn error(figure: impl Into<String>, problem: impl std::fmt::Display) -> Row {
        let check = Check {
            budget: "measured".into(),
            ratio: None,
            pass: false,
        };
        Row {
            broken: true,
            ..Row::checked(figure, format!("error: {problem}"), check)
        }
    }

    pub fn failed(&self) -> bool {
        self.check.as_ref().is_some_and(|c| !c.pass)
    }
}

/// The rows as a Markdown table.
pub fn render(rows: &[Row]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| match &row.check {
            Some(check) => [
                row.figure.clone(),
                row.value.clone(),
                check.budget.clone(),
                check.ratio.map_or("—".into(), |r| format!("{r:.2}")),
                if check.pass { "PASS" } else { "FAIL" }.into(),
            ],
            None => [
                row.figure.clone(),
                row.value.clone(),
                "—".into(),
                "—".into(),
                "info".into(),
            ],
        })
        .collect();
    let header = ["figure", "value", "budget", "ratio", "PASS/FAIL"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 5]| {
        let mut out = String::from("|");
        for (cell, width) in cells.iter().zip(widths) {
            let pad = width - cell.chars().count();
            let _ = write!(out, " {cell}{} |", " ".repeat(pad));
        }
        out.push('\n');
        out
    };
    let mut out = line(&header);
    out.push('|');
    for width in widths {
        let _ = write!(out, "{}|", "-".repeat(width + 2));
    }
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}

/// Thousands separators, for counts in the table.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_compare_and_give_ratios() {
        let over = Check::at_most(3.0, 1.5, "≤ 1.5×");
        assert!(!over.pass);
        assert_eq!(over.ratio, Some(2.0));
        assert!(Check::at_most(1.5, 1.5, "").pass);
        let zero = Check::exactly(0, 0, "= 0");
        assert!(zero.pass && zero.ratio.is_none());
        assert!(!Check::exactly(6, 7, "= 7").pass);
        assert!(!Check::exactly(8, 7, "= 7").pass);
    }

    #[test]
    fn table_is_aligned_markdown_with_verdicts() {
        let rows = [
            Row::checked("size", "10 KB", Check::at_most(10.0, 20.0, "≤ 20 KB")),
            Row::info("p99", "5 µs"),
            Row::error("render", "binary missing"),
        ];
        let text = render(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("| figure"));
        assert!(lines[1].starts_with("|---"));
        assert!(lines[2].contains("| 0.50 ") && lines[2].ends_with("PASS      |"));
        assert!(lines[3].contains("info"));
        assert!(lines[4].contains("error: binary missing") && lines[4].contains("FAIL"));
        let widths: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}");
        assert!(rows[2].failed() && !rows[0].failed() && !rows[1].failed());
        assert!(rows[2].broken && !rows[0].broken);
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
