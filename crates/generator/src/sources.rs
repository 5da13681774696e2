//! Reading the command line's sources, files or stdin (`-`), into objects; the parsing is the
//! plan library's [`input`].

use std::io::Read;
use std::path::Path;

use uds_egress_plan::input::{self, Document, InputError, PackageInput};

/// Reads every source in order; `-` is stdin.
pub fn read_sources(sources: &[String]) -> Result<Vec<Document>, InputError> {
    read_each(sources, input::parse_documents)
}

/// As [`read_sources`], but a source without objects (`/dev/null`) is no error: it stands for
/// "no Package", before one is added or after one is deleted.
pub fn read_sources_allowing_empty(sources: &[String]) -> Result<Vec<Document>, InputError> {
    read_each(sources, input::parse_documents_allowing_empty)
}

/// The Packages of every source in order (other kinds go to `skipped`), made document by
/// document: `render` never holds the documents themselves.
pub fn read_package_inputs(
    sources: &[String],
    skipped: &mut Vec<String>,
) -> Result<Vec<PackageInput>, InputError> {
    read_each(sources, |source, text| {
        input::package_inputs(source, text, skipped)
    })
}

/// Reads each source's text in turn and parses it with `parse`; each text is dropped before the
/// next is read.
fn read_each<T>(
    sources: &[String],
    mut parse: impl FnMut(&str, &str) -> Result<Vec<T>, InputError>,
) -> Result<Vec<T>, InputError> {
    let mut parsed = Vec::new();
    for source in sources {
        let text = read_text(source)?;
        parsed.extend(parse(source, &text)?);
    }
    Ok(parsed)
}

fn read_text(source: &str) -> Result<String, InputError> {
    let mut bytes = Vec::new();
    let result = if source == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(Path::new(source))
            .and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    result.map_err(|e| InputError(format!("{source}: cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        InputError(format!(
            "{source}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}
