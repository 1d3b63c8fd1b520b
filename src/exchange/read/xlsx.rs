//! Reading an xlsx's first worksheet through calamine's streaming reader, cell by cell
//! and behind `catch_unwind`, refusing cells outside Excel's grid and rows out of order.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Reader, Xlsx, XlsxError};

use super::cells::from_data_ref;
use super::{
    CORRUPT_MESSAGE, Cell, PASSWORD_MESSAGE, ReadError, Row, calamine_panicked, first_sheet,
};

/// Excel's grid: 1,048,576 rows × 16,384 columns (XFD).
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;

const ROW_ORDER_MESSAGE: &str = "表格内部的行顺序异常，无法读取。请在 Excel 或 WPS 中打开文件，\
    “另存为” .xlsx 后再上传";
const OUT_OF_GRID_MESSAGE: &str = "表格中有超出 Excel 行列范围的单元格，文件可能已损坏。\
    请在 Excel 或 WPS 中打开文件，“另存为” .xlsx 后再上传";

pub(super) fn read_xlsx<E: From<ReadError>>(
    bytes: &[u8],
    f: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    let mut book: Xlsx<_> = match catch_unwind(|| Xlsx::new(Cursor::new(bytes))) {
        Ok(Ok(book)) => book,
        Ok(Err(e)) => return Err(xlsx_error(&e).into()),
        Err(_) => return Err(calamine_panicked().into()),
    };
    let name = first_sheet(book.sheets_metadata()).ok_or(ReadError::NoSheet)?;
    let book = &mut book;
    // The closure moves `book` out so the reader may borrow it past the call.
    let open_sheet = move || {
        let book = book;
        book.worksheet_cells_reader(&name)
    };
    let mut cells = match catch_unwind(AssertUnwindSafe(open_sheet)) {
        Ok(Ok(cells)) => cells,
        Ok(Err(e)) => return Err(xlsx_error(&e).into()),
        Err(_) => return Err(calamine_panicked().into()),
    };
    // The row being assembled: 0-based index and cells so far.
    let mut current: Option<(u32, Vec<Cell>)> = None;
    let mut skipped_errors = 0u32;
    loop {
        let cell = match catch_unwind(AssertUnwindSafe(|| cells.next_cell())) {
            Ok(Ok(Some(cell))) => cell,
            Ok(Ok(None)) => break,
            // An error value calamine does not know (#SPILL!, #CALC!, …) fails only its own
            // cell; the XML stream is intact, so reading goes on without that cell.
            Ok(Err(XlsxError::CellError(value))) if skipped_errors < 10_000 => {
                log::warn!("upload: skipped a cell with the unknown error value {value:?}");
                skipped_errors += 1;
                continue;
            }
            Ok(Err(e)) => return Err(xlsx_error(&e).into()),
            Err(_) => return Err(calamine_panicked().into()),
        };
        let value = from_data_ref(cell.get_value());
        if value == Cell::Empty {
            // Formatted but empty cells (whole columns set to Text) say nothing.
            continue;
        }
        let (r, c) = cell.get_position();
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            return Err(ReadError::Corrupt(OUT_OF_GRID_MESSAGE.to_string()).into());
        }
        match &current {
            Some((row, _)) if *row == r => {}
            Some((row, _)) if *row > r => {
                return Err(ReadError::Corrupt(ROW_ORDER_MESSAGE.to_string()).into());
            }
            _ => {
                if let Some((row, values)) = current.take() {
                    f(Row {
                        number: row + 1,
                        cells: values,
                    })?;
                }
                current = Some((r, Vec::new()));
            }
        }
        if let Some((_, values)) = current.as_mut() {
            place(values, c as usize, value);
        }
    }
    if let Some((row, values)) = current {
        f(Row {
            number: row + 1,
            cells: values,
        })?;
    }
    Ok(())
}

/// Puts a value at its column, padding with empty cells.
fn place(values: &mut Vec<Cell>, column: usize, value: Cell) {
    if values.len() <= column {
        values.resize(column + 1, Cell::Empty);
    }
    values[column] = value;
}

fn xlsx_error(e: &XlsxError) -> ReadError {
    log::warn!("upload: calamine could not read an xlsx: {e}");
    match e {
        XlsxError::Password => ReadError::Corrupt(PASSWORD_MESSAGE.to_string()),
        XlsxError::Zip(zip::result::ZipError::UnsupportedArchive(what))
            if *what == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            ReadError::Corrupt(PASSWORD_MESSAGE.to_string())
        }
        _ => ReadError::Corrupt(CORRUPT_MESSAGE.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};

    use super::super::testdata::{fixture, one_sheet, rows, t, tiny_xlsx};
    use super::super::{Format, detect, for_each_row};
    use super::*;

    fn texts(row: &Row) -> Vec<String> {
        row.cells.iter().map(Cell::display).collect()
    }

    #[test]
    fn openpyxl_volunteers() {
        let bytes = fixture("volunteers_openpyxl.xlsx");
        assert_eq!(detect(&bytes), Ok(Format::Xlsx));
        let (format, rows) = rows(&bytes).unwrap();
        assert_eq!(format, Format::Xlsx);
        let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 6, 7], "the blank row 5 is skipped");

        assert_eq!(rows[0].cells, [t("科技志愿者集体注册信息表")]);
        let headers = texts(&rows[1]);
        assert_eq!(headers.len(), 17);
        assert_eq!(headers[0], "序号");
        assert_eq!(headers[15], "服务领域\n或行业");
        assert_eq!(headers[16], "是否为基层\"三长\"");
        // The importer compares headers through `header_key`, which folds these variants.
        let columns = crate::exchange::columns::Form::Volunteers.columns();
        for (got, column) in headers.iter().zip(columns) {
            assert_eq!(
                crate::exchange::columns::header_key(got),
                crate::exchange::columns::header_key(column.header)
            );
        }
        assert_eq!(rows[2].cells[0], t("范例"));
        assert_eq!(rows[2].cells[4], t("110101199003074514"));

        let valid = &rows[3];
        assert_eq!(valid.cells.len(), 17);
        assert_eq!(valid.cells[0], Cell::Int(1));
        assert_eq!(valid.cells[2], t("13812345678"));
        assert_eq!(valid.cells[4], t("420323199001011239"));
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert!(crate::domain::validate::id_number(&valid.cells[4].display(), today).is_ok());

        let damaged = &rows[4];
        assert_eq!(damaged.cells[4], Cell::Float(420323199001011000.0));
        assert_eq!(damaged.cells[4].display(), "4.20323E+17");
        let err = crate::domain::validate::id_number(&damaged.cells[4].display(), today)
            .expect_err("Excel damage must be refused");
        assert!(err.contains("Excel"), "{err}");

        let dated = &rows[5];
        let aug8 = NaiveDate::from_ymd_opt(2019, 8, 8).unwrap();
        assert_eq!(
            dated.cells[7],
            Cell::DateTime(aug8.and_time(NaiveTime::MIN))
        );
        assert_eq!(dated.cells[7].display(), "2019-08-08");
        assert_eq!(dated.cells[2], t("１３８１２３４５６７８"));
        assert_eq!(dated.cells[16], t("农技站站长"));
    }

    #[test]
    fn rust_xlsxwriter_thousand_rows_with_a_date() {
        use rust_xlsxwriter::{ExcelDateTime as XlsxDate, Format as XlsxFormat, Workbook};
        let mut book = Workbook::new();
        let date_format = XlsxFormat::new().set_num_format("yyyy/m/d");
        let datetime_format = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let sheet = book.add_worksheet();
        sheet.set_name("数据").unwrap();
        sheet.write_string(0, 0, "序号").unwrap();
        sheet.write_string(0, 1, "名称").unwrap();
        sheet.write_string(0, 2, "日期").unwrap();
        for i in 1..=1000u32 {
            sheet.write_number(i, 0, f64::from(i)).unwrap();
            sheet.write_string(i, 1, format!("第{i}行")).unwrap();
        }
        let date = XlsxDate::from_ymd(2019, 8, 8).unwrap();
        sheet
            .write_datetime_with_format(500, 2, &date, &date_format)
            .unwrap();
        let stamp = XlsxDate::from_ymd(2024, 2, 29)
            .unwrap()
            .and_hms(13, 5, 9)
            .unwrap();
        sheet
            .write_datetime_with_format(501, 2, &stamp, &datetime_format)
            .unwrap();
        sheet.write_number(502, 2, 2.5).unwrap();
        sheet.write_number(503, 2, 420323199001011000.0).unwrap();
        sheet.write_number(504, 2, 1e-7).unwrap();
        sheet.write_number(505, 2, 0.1 + 0.2).unwrap();
        sheet.write_boolean(506, 2, false).unwrap();
        sheet.write_number(507, 4, -3.0).unwrap();
        // A second, later sheet is not read.
        book.add_worksheet().write_string(0, 0, "其他").unwrap();
        let bytes = book.save_to_buffer().unwrap();

        let (format, rows) = rows(&bytes).unwrap();
        assert_eq!(format, Format::Xlsx);
        assert_eq!(rows.len(), 1001);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.number as usize, i + 1);
        }
        assert_eq!(rows[0].cells, [t("序号"), t("名称"), t("日期")]);
        assert_eq!(rows[1].cells, [Cell::Int(1), t("第1行")]);
        assert_eq!(rows[1000].cells, [Cell::Int(1000), t("第1000行")]);
        let c = |r: usize| rows[r].cells[2].clone();
        let aug8 = NaiveDate::from_ymd_opt(2019, 8, 8)
            .unwrap()
            .and_time(NaiveTime::MIN);
        assert_eq!(c(500), Cell::DateTime(aug8));
        assert_eq!(c(501).display(), "2024-02-29 13:05:09");
        assert_eq!(c(502), Cell::Float(2.5));
        assert_eq!(c(502).display(), "2.5");
        assert_eq!(c(503).display(), "4.20323E+17");
        assert_eq!(c(504).display(), "1E-07");
        assert_eq!(c(505).display(), "0.3");
        assert_eq!(c(506), Cell::Bool(false));
        assert_eq!(
            rows[507].cells,
            [
                Cell::Int(507),
                t("第507行"),
                Cell::Empty,
                Cell::Empty,
                Cell::Int(-3)
            ]
        );
    }

    /// 100,000 rows stream through in one pass (run with `-- --ignored`; slow in debug).
    #[test]
    #[ignore]
    fn hundred_thousand_rows() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for i in 1..=100_000u32 {
            sheet.write_number(i, 0, f64::from(i)).unwrap();
            sheet.write_string(i, 1, format!("志愿者{i}")).unwrap();
            sheet.write_string(i, 2, "13812345678").unwrap();
            sheet.write_string(i, 3, "420323199001011239").unwrap();
            sheet.write_string(i, 4, "湖北省").unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let started = std::time::Instant::now();
        let mut count = 0u32;
        let mut last = 0;
        for_each_row(&bytes, |row| {
            count += 1;
            last = row.number;
            Ok::<(), ReadError>(())
        })
        .unwrap();
        assert_eq!((count, last), (100_000, 100_001));
        eprintln!(
            "{} bytes, 100,000 rows read in {:?}",
            bytes.len(),
            started.elapsed()
        );
    }

    #[test]
    fn xlsx_cell_kinds() {
        let bytes = one_sheet(concat!(
            r#"<row r="2"><c r="C2" t="s"><v>0</v></c><c r="A2" t="inlineStr"><is><t>行内</t></is></c></row>"#,
            r#"<row r="3"><c r="A3" t="e"><v>#N/A</v></c><c r="B3" t="b"><v>1</v></c><c r="C3" t="str"><v>公式</v></c></row>"#,
            r#"<row r="4"><c r="A4" s="1"><v>43685</v></c><c r="B4" t="d"><v>2019-08-08T10:30:00</v></c><c r="C4" t="d"><v>2020-01-02</v></c></row>"#,
            r#"<row r="5"><c r="A5" s="1"/><c r="B5" t="s"><v>1</v></c></row>"#,
            r#"<row r="6"><c r="A6" s="1"/><c r="D6" s="1"/></row>"#,
            r#"<row r="7"><c r="A7" t="e"><v>#SPILL!</v></c><c r="B7"><v>12345678901</v></c><c r="C7"><v>123456789012</v></c><c r="D7" s="1"><v>-5</v></c><c r="E7" s="1"><v>1E+300</v></c></row>"#,
        ));
        let (_, rows) = rows(&bytes).unwrap();
        let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
        // Row 6 has only formatted empty cells.
        assert_eq!(numbers, [2, 3, 4, 5, 7]);
        assert_eq!(rows[0].cells, [t("行内"), Cell::Empty, t("共享")]);
        assert_eq!(
            rows[1].cells,
            [Cell::Error("#N/A".into()), Cell::Bool(true), t("公式")]
        );
        assert_eq!(rows[1].cells[0].display(), "#N/A");
        let dt = |y, m, d, h, mi| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        assert_eq!(
            rows[2].cells,
            [
                Cell::DateTime(dt(2019, 8, 8, 0, 0)),
                Cell::DateTime(dt(2019, 8, 8, 10, 30)),
                Cell::DateTime(dt(2020, 1, 2, 0, 0)),
            ]
        );
        assert_eq!(rows[2].cells[1].display(), "2019-08-08 10:30:00");
        // Whitespace is kept as read but counts as empty.
        assert_eq!(rows[3].cells, [Cell::Empty, t("  ")]);
        assert!(rows[3].cells[1].is_empty());
        // #SPILL! is unknown to calamine: that cell is dropped, the rest is read.
        assert_eq!(
            rows[4].cells,
            [
                Cell::Empty,
                Cell::Int(12345678901),
                Cell::Int(123456789012),
                Cell::Int(-5),
                Cell::Float(1e300),
            ]
        );
        assert_eq!(rows[4].cells[4].display(), "1E+300");
    }

    #[test]
    fn xlsx_sheet_choice() {
        let first = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>第一</t></is></c></row>"#;
        let second = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>第二</t></is></c></row>"#;
        let only = |bytes: &[u8]| rows(bytes).unwrap().1[0].cells[0].clone();
        let bytes = tiny_xlsx(
            &[("图表", "visible", None), ("甲", "visible", Some(first))],
            &[],
        );
        assert_eq!(only(&bytes), t("第一"));
        let bytes = tiny_xlsx(
            &[
                ("隐藏", "hidden", Some(second)),
                ("甲", "visible", Some(first)),
            ],
            &[],
        );
        assert_eq!(only(&bytes), t("第一"));
        let bytes = tiny_xlsx(&[("隐藏", "hidden", Some(second))], &[]);
        assert_eq!(only(&bytes), t("第二"));
        let bytes = tiny_xlsx(&[("图表", "visible", None)], &[]);
        assert_eq!(rows(&bytes), Err(ReadError::NoSheet));
        let bytes = tiny_xlsx(&[], &[]);
        assert_eq!(rows(&bytes), Err(ReadError::NoSheet));
        // An empty worksheet is read: no rows.
        let bytes = one_sheet("");
        assert_eq!(rows(&bytes), Ok((Format::Xlsx, vec![])));
    }

    #[test]
    fn xlsx_refuses_what_is_outside_the_grid_or_out_of_order() {
        let bytes =
            one_sheet(r#"<row r="1"><c r="XFE1" t="inlineStr"><is><t>x</t></is></c></row>"#);
        assert!(matches!(rows(&bytes), Err(ReadError::Corrupt(_))));
        let bytes = one_sheet(r#"<row r="1048577"><c r="A1048577" t="b"><v>1</v></c></row>"#);
        assert!(matches!(rows(&bytes), Err(ReadError::Corrupt(_))));
        let bytes = one_sheet(concat!(
            r#"<row r="3"><c r="A3" t="b"><v>1</v></c></row>"#,
            r#"<row r="2"><c r="A2" t="b"><v>1</v></c></row>"#,
        ));
        assert_eq!(
            rows(&bytes),
            Err(ReadError::Corrupt(ROW_ORDER_MESSAGE.to_string()))
        );
        // Found by `cargo fuzz` (spreadsheet): calamine 0.38 multiplies a cell reference's
        // letters and digits out without checking, so a reference too long for u32 panics
        // where overflow is checked (debug builds: caught, 文件已损坏) and wraps in release
        // (these two wrap past the grid: 超出 Excel 行列范围). A corrupt file either way.
        for reference in ["MINLINESTR1", "A99999999999"] {
            let bytes = one_sheet(&format!(
                r#"<row r="1"><c r="{reference}" t="b"><v>1</v></c></row>"#
            ));
            assert!(
                matches!(rows(&bytes), Err(ReadError::Corrupt(_))),
                "{reference}"
            );
        }
        // Columns out of order within a row are placed by position.
        let bytes = one_sheet(
            r#"<row r="1"><c r="B1" t="b"><v>1</v></c><c r="A1" t="b"><v>0</v></c></row>"#,
        );
        assert_eq!(
            rows(&bytes).unwrap().1[0].cells,
            [Cell::Bool(false), Cell::Bool(true)]
        );
    }
}
