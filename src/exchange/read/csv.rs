//! Text uploads: decoding (UTF-8, UTF-16 with a BOM, GBK), deciding whether the text is a
//! CSV at all, and a lenient RFC 4180 reader.

use std::borrow::Cow;

use super::cells::trim_trailing_empty;
use super::{Cell, ReadError, Row};

/// Fields in one record: Excel's 16,384 columns (XFD), as for xlsx.
const MAX_FIELDS: usize = 16_384;

const TOO_WIDE_MESSAGE: &str = "CSV 文件中有一行超过 16384 列（Excel 的列数上限），文件可能已损坏\
    或不是正常的表格。请在 Excel 或 WPS 中打开文件，确认内容正常后“另存为” .xlsx 再上传";

/// Decodes text: UTF-8 (BOM stripped), UTF-16 with BOM, else GBK. Bytes that decode as
/// none of these are text in an unknown encoding unless they look binary.
pub(super) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, ReadError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| ReadError::UnknownEncoding);
    }
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| Cow::Owned(s.into_owned()))
                .ok_or(ReadError::UnknownEncoding);
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    if let Some(s) = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
        // GBK's user-defined areas decode to the Private Use Area: real text never has
        // them, bytes of another encoding (Big5, random) often do.
        if !s.chars().any(|c| ('\u{E000}'..='\u{F8FF}').contains(&c)) {
            return Ok(Cow::Owned(s.into_owned()));
        }
    }
    if bytes
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        Err(ReadError::NotASpreadsheet)
    } else {
        Err(ReadError::UnknownEncoding)
    }
}

/// Text that could be a CSV: something besides whitespace, no control characters other
/// than tab and line breaks, and not an HTML or XML file saved with an .xls name.
pub(super) fn looks_delimited(text: &str) -> bool {
    let start = text.trim_start();
    if start.is_empty() {
        return false;
    }
    if start.starts_with('<') {
        let head: String = start.chars().take(1024).collect::<String>().to_lowercase();
        if [
            "<html",
            "<table",
            "<?xml",
            "<!doctype",
            "<workbook",
            "<meta",
        ]
        .iter()
        .any(|tag| head.contains(tag))
        {
            return false;
        }
    }
    !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

pub(super) fn read_csv<E: From<ReadError>>(
    text: &str,
    f: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    let first_line = text.split('\n').next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut records = CsvRecords {
        text,
        pos: 0,
        delimiter,
    };
    let mut number: u32 = 0;
    while let Some(fields) = records.next_record() {
        let fields = fields?;
        number = number.saturating_add(1);
        let mut cells: Vec<Cell> = fields
            .into_iter()
            .map(|s| {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s)
                }
            })
            .collect();
        trim_trailing_empty(&mut cells);
        if !cells.is_empty() {
            f(Row { number, cells })?;
        }
    }
    Ok(())
}

/// RFC 4180 records, leniently: quoted fields with doubled quotes, delimiters and line
/// breaks inside; text after a closing quote is kept; an unclosed quote runs to the end;
/// records end at CRLF, LF or a lone CR.
struct CsvRecords<'a> {
    text: &'a str,
    pos: usize,
    delimiter: u8,
}

impl CsvRecords<'_> {
    fn next_record(&mut self) -> Option<Result<Vec<String>, ReadError>> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let mut fields = Vec::new();
        loop {
            fields.push(self.field());
            // Refused while the record is read, not after: a 40 MB line of commas was held
            // as 40 million cells, over 2 GB (the `spreadsheet` fuzz target's memory limit).
            if fields.len() > MAX_FIELDS {
                return Some(Err(ReadError::Corrupt(TOO_WIDE_MESSAGE.to_string())));
            }
            match bytes.get(self.pos) {
                Some(&b) if b == self.delimiter => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    break;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    break;
                }
                _ => break,
            }
        }
        Some(Ok(fields))
    }

    /// The end of an unquoted run: the next delimiter or line break. Every index used to
    /// slice is at an ASCII byte or the end, so always on a char boundary.
    fn run_end(&self, from: usize) -> usize {
        self.text.as_bytes()[from..]
            .iter()
            .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
            .map_or(self.text.len(), |i| from + i)
    }

    fn field(&mut self) -> String {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            let end = self.run_end(self.pos);
            let field = self.text[self.pos..end].to_string();
            self.pos = end;
            return field;
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            match bytes[self.pos..].iter().position(|&b| b == b'"') {
                None => {
                    out.push_str(&self.text[self.pos..]);
                    self.pos = bytes.len();
                    break;
                }
                Some(i) => {
                    let quote = self.pos + i;
                    out.push_str(&self.text[self.pos..quote]);
                    if bytes.get(quote + 1) == Some(&b'"') {
                        out.push('"');
                        self.pos = quote + 2;
                    } else {
                        self.pos = quote + 1;
                        let end = self.run_end(self.pos);
                        out.push_str(&self.text[self.pos..end]);
                        self.pos = end;
                        break;
                    }
                }
            }
        }
        if out.contains('\r') {
            out = out.replace("\r\n", "\n").replace('\r', "\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{fixture, rows, t};
    use super::super::{Format, detect};
    use super::*;

    fn teams_expected() -> Vec<Row> {
        let columns = crate::exchange::columns::Form::Teams.columns();
        let header = Row {
            number: 1,
            cells: columns.iter().map(|c| t(c.header)).collect(),
        };
        let first = Row {
            number: 2,
            cells: [
                "1",
                "夷陵区\"银发\"科技志愿服务队",
                "13710986743",
                "否",
                "地方科协",
                "夷陵区科协",
                "2019/8/8",
                "科技培训,科普讲解",
                "湖北省",
                "宜昌市",
                "夷陵区",
                "刘洋",
                "队长",
                "夷陵区科协\n科普部",
                "0717-7821234",
            ]
            .into_iter()
            .map(t)
            .collect(),
        };
        let second = Row {
            number: 3,
            cells: [
                "2",
                "利川市科技志愿服务队",
                "13812345678",
                "是",
                "地方科协",
                "利川市科协",
                "2020-05-01",
                "农技服务",
                "湖北省",
                "恩施土家族苗族自治州",
                "利川市",
            ]
            .into_iter()
            .map(t)
            .collect(),
        };
        vec![header, first, second]
    }

    #[test]
    fn gbk_csv() {
        let bytes = fixture("teams_gbk.csv");
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the fixture is really GBK"
        );
        assert_eq!(detect(&bytes), Ok(Format::Csv));
        assert_eq!(rows(&bytes).unwrap(), (Format::Csv, teams_expected()));
    }

    #[test]
    fn utf8_bom_csv() {
        let bytes = fixture("teams_utf8_bom.csv");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(detect(&bytes), Ok(Format::Csv));
        assert_eq!(rows(&bytes).unwrap(), (Format::Csv, teams_expected()));
    }

    #[test]
    fn utf16_unicode_text() {
        // Excel's "Unicode text": UTF-16LE with BOM, tab-separated.
        let text = "组织名称\t管理员手机号\r\n夷陵区科技志愿服务队\t13710986743\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            let (format, rows) = rows(&bytes).unwrap();
            assert_eq!(format, Format::Csv);
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[1].cells, [t("夷陵区科技志愿服务队"), t("13710986743")]);
        }
        // An unpaired surrogate is not UTF-16.
        assert_eq!(
            detect(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]),
            Err(ReadError::UnknownEncoding)
        );
    }

    fn csv(text: &str) -> Vec<(u32, Vec<Cell>)> {
        rows(text.as_bytes())
            .unwrap()
            .1
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect()
    }

    #[test]
    fn csv_edge_cases() {
        assert_eq!(
            csv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,2,3"),
            [
                (1, vec![t("a"), t("b,c"), t("say \"hi\"")]),
                (2, vec![t("1"), t("2"), t("3")]),
            ]
        );
        // A quoted line break stays in the cell (CRLF folded to LF); rows are records.
        assert_eq!(
            csv("\"x\r\ny\",z\r\nnext\n"),
            [(1, vec![t("x\ny"), t("z")]), (2, vec![t("next")])]
        );
        // Blank records and all-empty records are skipped but counted; empty fields are
        // Empty; trailing empties are cut; leading zeros and long digits stay text.
        assert_eq!(
            csv("h1,h2\n\n,,\n,0012,\n420323199001011239,\n"),
            [
                (1, vec![t("h1"), t("h2")]),
                (4, vec![Cell::Empty, t("0012")]),
                (5, vec![t("420323199001011239")]),
            ]
        );
        // Lone CR line ends; text after a closing quote is kept; unclosed quote runs on.
        assert_eq!(csv("a\rb"), [(1, vec![t("a")]), (2, vec![t("b")])]);
        assert_eq!(csv("\"ab\"cd,e"), [(1, vec![t("abcd"), t("e")])]);
        assert_eq!(
            csv("x,\"open\nstill"),
            [(1, vec![t("x"), t("open\nstill")])]
        );
        // Quotes inside an unquoted field are literal.
        assert_eq!(csv("5\"3,b"), [(1, vec![t("5\"3"), t("b")])]);
        // Tabs: only when the first line has tabs and no commas.
        assert_eq!(
            csv("姓名\t手机号\n张三, 李四\t138\n"),
            [
                (1, vec![t("姓名"), t("手机号")]),
                (2, vec![t("张三, 李四"), t("138")])
            ]
        );
        assert_eq!(csv("a\tb,c\n"), [(1, vec![t("a\tb"), t("c")])]);
        // Whitespace is not trimmed here.
        assert_eq!(csv(" a , b "), [(1, vec![t(" a "), t(" b ")])]);
    }

    #[test]
    fn csv_encodings() {
        let (gbk, _, failed) = encoding_rs::GBK.encode("姓名,手机号\n张伟,13812345678\n");
        assert!(!failed);
        assert_eq!(detect(&gbk), Ok(Format::Csv));
        assert_eq!(
            rows(&gbk).unwrap().1[1].cells,
            [t("张伟"), t("13812345678")]
        );

        // High bytes that are not GBK (0xFF is never valid there): an unknown encoding.
        let mut state = 0x2545_F491_u32;
        let mut high: Vec<u8> = (0..500)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                0x80 | (state as u8)
            })
            .collect();
        high[250] = 0xFF;
        assert!(
            encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(&high)
                .is_none()
        );
        assert_eq!(detect(&high), Err(ReadError::UnknownEncoding));
        // Valid GBK bytes in its user-defined area (U+E000…) are no real text.
        assert_eq!(
            detect(&[0xAA, 0xA1, b',', 0x41]),
            Err(ReadError::UnknownEncoding)
        );
        // A UTF-8 BOM then bytes that are not UTF-8.
        assert_eq!(
            detect(b"\xEF\xBB\xBF\xD5\xC5,1"),
            Err(ReadError::UnknownEncoding)
        );
        let message = ReadError::UnknownEncoding.message();
        assert!(message.contains("CSV UTF-8"), "{message}");
    }

    #[test]
    fn text_that_is_not_csv() {
        for bytes in [
            &b""[..],
            b"   \r\n\t",
            b"\xEF\xBB\xBF",
            b"<html><body><table><tr><td>1</td></tr></table></body></html>",
            b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">",
            b"%PDF-1.4\n\x00\x01\x02binary",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert_eq!(detect(bytes), Err(ReadError::NotASpreadsheet), "{bytes:?}");
        }
        let message = ReadError::NotASpreadsheet.message();
        assert!(
            message.contains("这不是 Excel 表格文件") && message.contains(".xlsx、.xls 或 .csv")
        );
        // A one-column list is still a CSV.
        assert_eq!(detect("张三\n李四\n".as_bytes()), Ok(Format::Csv));
    }

    #[test]
    fn a_record_wider_than_excel_is_refused() {
        // Excel's last column is still read.
        let widest = format!("{}x\n", ",".repeat(MAX_FIELDS - 1));
        let (_, read) = rows(widest.as_bytes()).unwrap();
        assert_eq!(read[0].cells.len(), MAX_FIELDS);
        assert_eq!(read[0].cells[MAX_FIELDS - 1], t("x"));
        // One more is refused, and 40 MB of commas as soon as the limit is passed.
        let wider = format!("a,b\n{}x\n", ",".repeat(MAX_FIELDS));
        let too_wide = Err(ReadError::Corrupt(TOO_WIDE_MESSAGE.to_string()));
        assert_eq!(rows(wider.as_bytes()), too_wide);
        let commas = vec![b','; 40 * 1024 * 1024 - 2];
        assert_eq!(rows(&commas), too_wide);
        assert!(TOO_WIDE_MESSAGE.contains("16384 列"));
    }
}
