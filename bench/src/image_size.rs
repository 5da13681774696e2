//! Figure 2, second half: the size of the generator's container image as `make image` built it
//! (its one layer, uncompressed: the static binary and the tar headers around it), which the
//! Makefile writes in bytes to a file.
//!
//! The full run builds the image first, so a missing file there is a figure that could not be
//! measured. The quick run of `make test` does not build it (that would compile the musl binary in
//! every test run); it reads the size when an earlier `make image` (the image suite) left one, and
//! otherwise reports the figure as not built: for information, never as passed.

use std::path::Path;

use crate::table::{Check, Row, thousands};

pub const FIGURE: &str = "2 generator image size";
/// The budget in MB (10^6 bytes).
pub const BUDGET_MB: f64 = 15.0;

/// `required`: the image must have been built (the full run).
pub fn run(size_file: &Path, required: bool) -> Row {
    let text = match std::fs::read_to_string(size_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Row::info(FIGURE, "not built (run `make image`)");
        }
        Err(e) => return Row::error(FIGURE, format!("{}: {e}", size_file.display())),
    };
    match text.trim().parse::<u64>() {
        Ok(bytes) => row(bytes),
        Err(e) => Row::error(
            FIGURE,
            format!("{}: {e} in {:?}", size_file.display(), text.trim()),
        ),
    }
}

fn row(bytes: u64) -> Row {
    let mb = bytes as f64 / 1e6;
    Row::checked(
        FIGURE,
        format!(
            "{mb:.2} MB ({} bytes, one layer, uncompressed)",
            thousands(bytes as usize)
        ),
        Check::at_most(mb, BUDGET_MB, format!("≤ {BUDGET_MB} MB")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("image-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("size-{}", text.len()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn size_is_checked_against_the_budget() {
        let small = run(&file_with("9876543\n"), true);
        assert!(
            small.value.starts_with("9.88 MB (9,876,543 bytes"),
            "{}",
            small.value
        );
        assert!(small.check.as_ref().is_some_and(|c| c.pass));
        let big = run(&file_with("15000001"), true);
        assert!(big.failed());
    }

    #[test]
    fn missing_image_is_never_a_pass() {
        let missing = Path::new("/nonexistent/uds-egress-image-size");
        let quick = run(missing, false);
        assert!(quick.check.is_none() && !quick.broken, "{quick:?}");
        assert!(quick.value.contains("not built"));
        let full = run(missing, true);
        assert!(full.broken && full.failed());
        assert!(run(&file_with("lots"), false).broken);
    }
}
