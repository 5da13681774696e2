//! The JSON file in which a script that measures on the real engines (`bench/api-server/*`) left
//! its figures.
//!
//! The file is missing when the engines were not found: in the full run (and wherever the engines
//! are required) that is a figure that could not be measured; in a quick run without engines it
//! is reported as not measured, never as passed.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::table::Row;

/// The figures of `file`, or the one row that says why there are none. `engines`: what the
/// script needs, for the row of a quick run without them.
pub fn read<T: DeserializeOwned>(
    file: &Path,
    required: bool,
    figure: &str,
    engines: &str,
) -> Result<T, Row> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Err(Row::info(
                figure,
                format!("not measured: {engines} not found (e2e/engines/find)"),
            ));
        }
        Err(e) => return Err(Row::error(figure, format!("{}: {e}", file.display()))),
    };
    serde_json::from_str(&text).map_err(|e| Row::error(figure, format!("{}: {e}", file.display())))
}
