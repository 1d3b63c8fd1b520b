//! Text cells that a spreadsheet program shows as text and never runs as a formula
//! (OWASP "CSV injection"). Every cell Kezhi writes is a string cell (`write_string`),
//! which Excel does not evaluate when it opens the file; but a text that starts like a
//! formula becomes one as soon as someone edits the cell (F2, Enter) or fills it down.
//! Such cells get the quote prefix — the hidden `'` Excel itself adds when a value is
//! typed with a leading apostrophe — so they stay text, and the value stored in the
//! file is unchanged: a re-import reads back exactly what was exported.

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

/// Whether Excel, WPS or LibreOffice could take this text for a formula (or a DDE call):
/// it starts with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's list).
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Write `text` as a string cell in `format` (or the column's), quote-prefixed when it
/// looks like a formula. Use this for every text that came from a person.
pub fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    if looks_like_formula(text) {
        let guarded = format.cloned().unwrap_or_default().set_quote_prefix();
        sheet.write_string_with_format(row, col, text, &guarded)?;
    } else if let Some(format) = format {
        sheet.write_string_with_format(row, col, text, format)?;
    } else {
        sheet.write_string(row, col, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owasp_triggers_are_recognised() {
        for s in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(looks_like_formula(s), "{s:?}");
        }
        for s in ["", "张三", "13812345678", "a=b", " =x", "'=x"] {
            assert!(!looks_like_formula(s), "{s:?}");
        }
    }
}
