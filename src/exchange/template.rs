//! The spreadsheet writer for the official forms 附件1 and 附件2: the blank template
//! (title, headers, 范例 row, 填报说明, dropdowns and text-formatted phone / ID columns),
//! the same layout filled with rows for export, and the error report that sends an
//! uploaded sheet back with an added 错误说明 column.
//!
//! Only plain features are used (merged cells, frozen panes, column formats, list
//! validations, one hidden sheet) so Excel, WPS and LibreOffice all open the files alike.

use std::borrow::Cow;
use std::collections::HashMap;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, Format, FormatAlign, FormatBorder,
    Formula, Workbook, Worksheet, XlsxError, utility::column_number_to_name,
};

use super::columns::{Column, Form, Kind, header_key};
use crate::domain::{dict, regions};

/// One data row to write: values by column key (`Column::key`), already in the template's
/// value spellings (e.g. "是"/"否", "科技培训、农技服务", region names, not codes).
pub type RowValues = HashMap<&'static str, String>;

/// One row of the error report.
pub struct ReportRow {
    /// The row's 1-based number in the uploaded sheet (the number the preview page quotes).
    pub number: u32,
    /// The cells as the user had them, in the uploaded column order.
    pub cells: Vec<String>,
    /// The row's messages; empty for a row without errors.
    pub errors: Vec<String>,
    /// 0-based indexes into `cells` of the cells to highlight.
    pub bad_columns: Vec<usize>,
}

/// The hidden sheet holding the dropdown lists too long for an inline list.
const OPTIONS_SHEET: &str = "选项";
const COMPANY: &str = "科志 Kezhi";
/// 0-based row of the headers, the 范例 row and the first data row.
const HEADER_ROW: u32 = 1;
const EXAMPLE_ROW: u32 = 2;
const FIRST_DATA_ROW: u32 = 3;
/// Dropdowns and hints cover data rows 4..=10003 (Excel numbering).
const LAST_VALIDATED_ROW: u32 = FIRST_DATA_ROW + 10_000 - 1;
/// Empty bordered rows a blank template offers, as the notice's tables do.
const BLANK_TEMPLATE_ROWS: u32 = 10;
/// Excel's limit for an inline list ("a,b,c") in a data validation is 255 characters;
/// it is counted here in UTF-8 bytes, stricter than needed, because the 民族 list
/// (about 250 characters) sits right at the limit and long CJK literals are where
/// spreadsheet programs disagree. Longer lists go to the hidden sheet.
const INLINE_LIST_LIMIT: usize = 255;
const LIGHT_BLUE: u32 = 0xDDEBF7;
const LIGHT_RED: u32 = 0xFFC7CE;
const DARK_RED: u32 = 0x9C0006;
const GREY: u32 = 0x808080;

fn xlsx_err(e: XlsxError) -> String {
    format!("生成 Excel 文件失败：{e}")
}

/// The official template for `form`, optionally filled with `rows` (the exporter uses this
/// too, so exported files are exactly the template's layout).
pub fn workbook(form: Form, rows: &[RowValues]) -> Result<Vec<u8>, String> {
    workbook_from(form, rows.len(), |i| Cow::Borrowed(&rows[i]))
}

/// The template filled with `count` rows, each made by `row_at` just before it is written:
/// an export of 100,000 records never holds them all as rows too (the benchmark's profile
/// of the export showed the kernel zeroing fresh pages for them, and a peak memory
/// holding them beside the sheet).
pub fn workbook_from<'a>(
    form: Form,
    count: usize,
    mut row_at: impl FnMut(usize) -> Cow<'a, RowValues>,
) -> Result<Vec<u8>, String> {
    let columns = form.columns();
    let last_col = col_num(columns.len().saturating_sub(1))?;
    let styles = Styles::new();

    let mut sheet = Worksheet::new();
    sheet.set_name(form.attachment()).map_err(xlsx_err)?;
    let mut options = Worksheet::new();
    options.set_name(OPTIONS_SHEET).map_err(xlsx_err)?;
    options.set_hidden(true);
    let mut option_lists = 0u16;

    // Row 1: the title.
    sheet.set_row_height(0, 30).map_err(xlsx_err)?;
    sheet
        .merge_range(0, 0, 0, last_col, form.title(), &styles.title)
        .map_err(xlsx_err)?;

    // Column widths and the text format that keeps 18-digit ID numbers intact. The "@"
    // format is set on the whole column (which covers rows 4..=10003 and any row the
    // user adds) rather than on 10,000 blank cells per column, which would stretch the
    // sheet's used range and its print area down to row 10003.
    let mut header_lines = 1;
    let mut example_lines = 1;
    for (i, column) in columns.iter().enumerate() {
        let c = col_num(i)?;
        let width = column_width(column);
        sheet.set_column_width(c, width).map_err(xlsx_err)?;
        if column.is_text_format() {
            sheet.set_column_format(c, &styles.text).map_err(xlsx_err)?;
        }
        header_lines = header_lines.max(lines_needed(column.header, width));
        let example = example_text(column)?;
        example_lines = example_lines.max(lines_needed(&example, width));

        // Row 2: headers; row 3: 范例.
        sheet
            .write_string_with_format(HEADER_ROW, c, column.header, &styles.header)
            .map_err(xlsx_err)?;
        let example_format = if column.is_text_format() {
            &styles.example_text
        } else {
            &styles.example
        };
        sheet
            .write_string_with_format(EXAMPLE_ROW, c, &example, example_format)
            .map_err(xlsx_err)?;
    }
    sheet
        .set_row_height(HEADER_ROW, row_height(header_lines))
        .map_err(xlsx_err)?;
    sheet
        .set_row_height(EXAMPLE_ROW, row_height(example_lines))
        .map_err(xlsx_err)?;
    sheet
        .set_freeze_panes(FIRST_DATA_ROW, 0)
        .map_err(xlsx_err)?;

    // Data rows: the given rows, or a few empty bordered rows in a blank template.
    let table_rows = if count == 0 {
        BLANK_TEMPLATE_ROWS
    } else {
        u32::try_from(count).map_err(|_| "行数过多".to_string())?
    };
    // Cells are written without a format, then each run of neighbouring columns with the
    // same format gets it as a range on that row: rust_xlsxwriter hashes the `Format` on
    // every formatted write to find its index (a tenth of a 100,000-row export), and a
    // range once for all its cells. A range also fills the empty cells with bordered
    // blanks. Runs go left to right from the first row on, as the cell-by-cell writes
    // did, so the styles come out numbered alike.
    let formats: Vec<&Format> = columns.iter().map(|c| styles.data_cell(c)).collect();
    let mut runs: Vec<(u16, u16, &Format)> = Vec::new();
    for (i, format) in formats.iter().enumerate() {
        let c = col_num(i)?;
        match runs.last_mut() {
            Some((_, last, f)) if std::ptr::eq(*f, *format) => *last = c,
            _ => runs.push((c, c, format)),
        }
    }
    for r in 0..table_rows {
        let row = FIRST_DATA_ROW + r;
        let values = (count > 0).then(|| row_at(r as usize));
        // Texts that look like formulas get their own (quote-prefixed) format, after the
        // row's range formats so that those do not overwrite it.
        let mut guarded: Vec<(u16, &str)> = Vec::new();
        if let Some(values) = values.as_deref() {
            for (i, column) in columns.iter().enumerate() {
                let c = col_num(i)?;
                if column.kind == Kind::Sequence {
                    sheet
                        .write_number(row, c, f64::from(r + 1))
                        .map_err(xlsx_err)?;
                    continue;
                }
                match values.get(column.key).map(String::as_str) {
                    Some(value) if super::cell::looks_like_formula(value) => {
                        guarded.push((c, value));
                    }
                    Some(value) if !value.is_empty() => {
                        super::cell::write_text(&mut sheet, row, c, value, None)
                            .map_err(xlsx_err)?;
                    }
                    _ => {}
                }
            }
        }
        for &(first, last, format) in &runs {
            sheet
                .set_range_format(row, first, row, last, format)
                .map_err(xlsx_err)?;
        }
        for (c, value) in guarded {
            super::cell::write_text(&mut sheet, row, c, value, Some(formats[usize::from(c)]))
                .map_err(xlsx_err)?;
        }
    }

    // One blank row, then the 填报说明 in one merged cell, so an importer meets exactly one
    // non-data row starting with "填报说明".
    let notes_row = FIRST_DATA_ROW + table_rows + 1;
    let notes = instructions(form);
    let total_width: f64 = columns.iter().map(column_width).sum();
    let notes_lines = lines_needed(&notes, total_width);
    sheet
        .merge_range(notes_row, 0, notes_row, last_col, &notes, &styles.notes)
        .map_err(xlsx_err)?;
    sheet
        .set_row_height(notes_row, row_height(notes_lines))
        .map_err(xlsx_err)?;

    // Dropdowns and hints on the data rows, skipping the 填报说明 row.
    let validated = validated_rows(FIRST_DATA_ROW, notes_row);
    for (i, column) in columns.iter().enumerate() {
        let c = col_num(i)?;
        let Some(validation) = validation_for(column, &mut options, &mut option_lists)? else {
            continue;
        };
        let letter = column_number_to_name(c);
        let sqref: Vec<String> = validated
            .iter()
            .map(|(a, b)| format!("{letter}{}:{letter}{}", a + 1, b + 1))
            .collect();
        let (first, last) = (validated[0].0, validated[validated.len() - 1].1);
        sheet
            .add_data_validation(
                first,
                c,
                last,
                c,
                &validation.set_multi_range(sqref.join(" ")),
            )
            .map_err(xlsx_err)?;
    }

    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, HEADER_ROW).map_err(xlsx_err)?;

    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_title(form.title())
            .set_company(COMPANY),
    );
    book.push_worksheet(sheet);
    book.push_worksheet(options);
    book.save_to_buffer().map_err(xlsx_err)
}

/// The error report: the uploaded sheet's rows written back as text, each on the row number
/// it had in the uploaded file (the number the preview page quotes), under the uploaded
/// headers, plus a "错误说明" column at the end; the cells named in `bad_columns` get a
/// light red fill and each row's messages are joined with "；". Columns recognised as the
/// form's keep the template's text format and dropdowns, so a fixed row stays valid and the
/// file uploads again as it is.
pub fn error_report(
    form: Form,
    title: &str,
    header_row: u32,
    headers: &[String],
    rows: &[ReportRow],
) -> Result<Vec<u8>, String> {
    let width = rows
        .iter()
        .map(|r| r.cells.len())
        .chain(std::iter::once(headers.len()))
        .max()
        .unwrap_or(0);
    let errors_col = col_num(width)?;
    let styles = Styles::new();
    let mut sheet = Worksheet::new();
    sheet.set_name("错误报告").map_err(xlsx_err)?;
    let mut options = Worksheet::new();
    options.set_name(OPTIONS_SHEET).map_err(xlsx_err)?;
    options.set_hidden(true);
    let mut option_lists = 0u16;
    // The header where the upload had it (0-based), the title above it when there is room.
    let header_at = header_row.saturating_sub(1);
    if header_at > 0 {
        sheet.set_row_height(0, 30).map_err(xlsx_err)?;
        if errors_col == 0 {
            sheet
                .write_string_with_format(0, 0, title, &styles.title)
                .map_err(xlsx_err)?;
        } else {
            sheet
                .merge_range(0, 0, 0, errors_col, title, &styles.title)
                .map_err(xlsx_err)?;
        }
    }
    let columns: Vec<Option<&'static Column>> = (0..width)
        .map(|i| {
            let key = headers.get(i).map(|h| header_key(h)).unwrap_or_default();
            form.columns()
                .iter()
                .find(|c| !key.is_empty() && header_key(c.header) == key)
        })
        .collect();
    let mut widths = vec![6.0_f64; width];
    for (i, h) in headers.iter().enumerate() {
        widths[i] = widths[i].max(display_width(h) + 2.0);
    }
    // A sample is enough to size the columns.
    for row in rows.iter().take(1000) {
        for (i, cell) in row.cells.iter().enumerate() {
            widths[i] = widths[i].max(display_width(cell) + 2.0);
        }
    }
    let mut header_lines = 1;
    for (i, w) in widths.iter().enumerate() {
        let w = w.min(30.0);
        let c = col_num(i)?;
        sheet.set_column_width(c, w).map_err(xlsx_err)?;
        if columns[i].is_some_and(|col| col.is_text_format()) {
            sheet.set_column_format(c, &styles.text).map_err(xlsx_err)?;
        }
        let header = headers.get(i).map(String::as_str).unwrap_or("");
        header_lines = header_lines.max(lines_needed(header, w));
        // The uploaded file's own headers: text from outside like any cell.
        super::cell::write_text(&mut sheet, header_at, c, header, Some(&styles.header))
            .map_err(xlsx_err)?;
    }
    sheet.set_column_width(errors_col, 50).map_err(xlsx_err)?;
    sheet
        .write_string_with_format(header_at, errors_col, "错误说明", &styles.header_error)
        .map_err(xlsx_err)?;
    sheet
        .set_row_height(header_at, row_height(header_lines))
        .map_err(xlsx_err)?;
    sheet.set_freeze_panes(header_at + 1, 0).map_err(xlsx_err)?;

    let mut last_row = header_at;
    for report in rows {
        // Excel's own row numbers: the row goes back exactly where it was.
        let row = report.number.saturating_sub(1).max(header_at + 1);
        last_row = last_row.max(row);
        for i in 0..width {
            let c = col_num(i)?;
            let format = if report.bad_columns.contains(&i) {
                &styles.bad_cell
            } else {
                &styles.cell_text
            };
            match report.cells.get(i) {
                Some(value) if !value.is_empty() => {
                    super::cell::write_text(&mut sheet, row, c, value, Some(format))
                        .map_err(xlsx_err)?
                }
                _ => {
                    sheet.write_blank(row, c, format).map_err(xlsx_err)?;
                }
            };
        }
        let message = report.errors.join("；");
        if message.is_empty() {
            sheet
                .write_blank(row, errors_col, &styles.error_message)
                .map_err(xlsx_err)?;
        } else {
            super::cell::write_text(
                &mut sheet,
                row,
                errors_col,
                &message,
                Some(&styles.error_message),
            )
            .map_err(xlsx_err)?;
        }
    }
    // The template's dropdowns and hints on the data rows (and some room below for new ones).
    let (first, last) = (header_at + 1, last_row.max(header_at + 1) + 200);
    for (i, column) in columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let Some(validation) = validation_for(column, &mut options, &mut option_lists)? else {
            continue;
        };
        let c = col_num(i)?;
        sheet
            .add_data_validation(first, c, last, c, &validation)
            .map_err(xlsx_err)?;
    }

    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_title(title).set_company(COMPANY));
    book.push_worksheet(sheet);
    if option_lists > 0 {
        book.push_worksheet(options);
    }
    book.save_to_buffer().map_err(xlsx_err)
}

/// The cell formats both files use.
struct Styles {
    title: Format,
    header: Format,
    header_error: Format,
    example: Format,
    example_text: Format,
    cell: Format,
    cell_text: Format,
    cell_center: Format,
    text: Format,
    notes: Format,
    bad_cell: Format,
    error_message: Format,
}

impl Styles {
    /// The format of a data cell in `column`.
    fn data_cell(&self, column: &Column) -> &Format {
        if column.kind == Kind::Sequence {
            &self.cell_center
        } else if column.is_text_format() {
            &self.cell_text
        } else {
            &self.cell
        }
    }

    fn new() -> Styles {
        let bordered = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let header = bordered
            .clone()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_background_color(LIGHT_BLUE);
        let example = bordered
            .clone()
            .set_italic()
            .set_font_color(GREY)
            .set_text_wrap();
        let cell_text = bordered.clone().set_num_format("@");
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            header_error: header.clone().set_font_color(DARK_RED),
            header,
            example_text: example.clone().set_num_format("@"),
            example,
            cell_center: bordered.clone().set_align(FormatAlign::Center),
            bad_cell: cell_text
                .clone()
                .set_background_color(LIGHT_RED)
                .set_font_color(DARK_RED),
            error_message: bordered
                .clone()
                .set_text_wrap()
                .set_num_format("@")
                .set_font_color(DARK_RED),
            cell: bordered,
            cell_text,
            text: Format::new().set_num_format("@"),
            notes: Format::new()
                .set_text_wrap()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top),
        }
    }
}

fn col_num(i: usize) -> Result<u16, String> {
    u16::try_from(i).map_err(|_| "列数过多".to_string())
}

/// The 填报说明 cell: the notice's text, then how to fill multi-select and text columns.
fn instructions(form: Form) -> String {
    let text_columns: Vec<&str> = form
        .columns()
        .iter()
        .filter(|c| c.is_text_format())
        .map(|c| c.header)
        .collect();
    format!(
        "{}\n多选项之间用“、”分隔，例如：科技培训、农技服务；也可以按范例行的格式，在选中的项前打 ☑ 或 √。\n{}列已设置为文本格式，请直接输入，不要改成数字格式。",
        form.instructions(),
        text_columns.join("、"),
    )
}

/// The 范例 cell: "范例" in 序号, the notice's checkbox list for multi-select columns,
/// otherwise the column's example.
fn example_text(column: &Column) -> Result<String, String> {
    if column.kind == Kind::Sequence {
        return Ok("范例".to_string());
    }
    if column.multi {
        let d = multi_dict(column.key)
            .ok_or_else(|| format!("多选列 {} 没有对应的字典", column.header))?;
        let ticked: Vec<&str> = column.example.split('、').map(str::trim).collect();
        let lines: Vec<String> = d
            .names()
            .into_iter()
            .map(|n| {
                let mark = if ticked.contains(&n) { '☑' } else { '□' };
                format!("{mark}{n}")
            })
            .collect();
        return Ok(lines.join("\n"));
    }
    Ok(column.example.to_string())
}

fn multi_dict(key: &str) -> Option<&'static dict::Dict> {
    match key {
        "service_categories" => Some(dict::service_categories()),
        "service_fields" => Some(dict::service_fields()),
        _ => None,
    }
}

/// The allowed values of a single-select column, by its key.
fn choices(column: &Column) -> Option<Vec<&'static str>> {
    let d = match column.key {
        "gender" => return Some(vec!["男", "女"]),
        "mca_registered" => return Some(vec!["是", "否"]),
        "province" => return Some(regions::provinces().iter().map(|r| r.name).collect()),
        "political_status" => dict::political_status(),
        "ethnicity" => dict::ethnic_groups(),
        "title_level" => dict::title_levels(),
        "education" => dict::education(),
        "occupation" => dict::occupations(),
        "sanzhang" => dict::sanzhang(),
        "supervisor_type" => dict::supervisor_types(),
        _ => return None,
    };
    Some(d.names())
}

/// The validation for a column: a dropdown for single-select columns (its list inline, or
/// on the hidden sheet when too long), a hint for multi-select, phone, ID and date columns.
fn validation_for(
    column: &Column,
    options: &mut Worksheet,
    option_lists: &mut u16,
) -> Result<Option<DataValidation>, String> {
    let title = truncate_utf16(column.header, 32);
    let hint = |message: String| -> Result<Option<DataValidation>, String> {
        let v = DataValidation::new()
            .allow_any_value()
            .set_input_title(&title)
            .map_err(xlsx_err)?
            .set_input_message(truncate_utf16(&message, 255))
            .map_err(xlsx_err)?;
        Ok(Some(v))
    };
    if column.multi {
        let d = multi_dict(column.key)
            .ok_or_else(|| format!("多选列 {} 没有对应的字典", column.header))?;
        let names = d.names();
        let example = names.iter().take(2).copied().collect::<Vec<_>>().join("、");
        return hint(format!(
            "可多选，多个值之间用“、”分隔，例如：{example}。\n可选：{}",
            names.join("、")
        ));
    }
    match column.kind {
        Kind::Enum | Kind::Province => {}
        Kind::IdNumber => {
            return hint("请输入18位身份证号，末位可以是 X。本列为文本格式，直接输入即可。".into());
        }
        Kind::Mobile => return hint("请输入11位手机号。本列为文本格式。".into()),
        Kind::Phone => return hint("手机号或固定电话（如 0718-1234567）。本列为文本格式。".into()),
        Kind::Date => return hint("日期格式如 2019/8/8。".into()),
        _ => return Ok(None),
    }
    let list = choices(column)
        .ok_or_else(|| format!("下拉列 {}（{}）没有对应的字典", column.header, column.key))?;
    let inline = list.join(",");
    let fits_inline =
        inline.len() <= INLINE_LIST_LIMIT && !list.iter().any(|v| v.contains([',', '"']));
    let validation = if fits_inline {
        DataValidation::new()
            .allow_list_strings(&list)
            .map_err(xlsx_err)?
    } else {
        // One column per list on the hidden sheet: its header, then the values.
        let c = *option_lists;
        *option_lists += 1;
        options
            .write_string(0, c, column.header)
            .map_err(xlsx_err)?;
        for (r, v) in list.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| "选项过多".to_string())?;
            options.write_string(r, c, *v).map_err(xlsx_err)?;
        }
        let letter = column_number_to_name(c);
        DataValidation::new().allow_list_formula(Formula::new(format!(
            "='{OPTIONS_SHEET}'!${letter}$2:${letter}${}",
            list.len() + 1
        )))
    };
    let prompt = if column.kind == Kind::Province {
        "请从下拉列表中选择省级行政区的全称，如：湖北省。".to_string()
    } else if fits_inline {
        format!("请从下拉列表中选择：{}", list.join("、"))
    } else {
        "请从下拉列表中选择。".to_string()
    };
    let v = validation
        .set_input_title(&title)
        .map_err(xlsx_err)?
        .set_input_message(truncate_utf16(&prompt, 255))
        .map_err(xlsx_err)?
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("输入的值不在选项中")
        .map_err(xlsx_err)?
        .set_error_message(truncate_utf16(
            &format!(
                "{}只能从下拉列表中选择，请点单元格右侧的箭头选取。",
                column.header
            ),
            255,
        ))
        .map_err(xlsx_err)?;
    Ok(Some(v))
}

/// The 0-based row ranges that get dropdowns: the data rows and the blank row after them,
/// then from below the 填报说明 row to row 10003, so the notes cell shows no hint.
fn validated_rows(first: u32, notes_row: u32) -> Vec<(u32, u32)> {
    let mut out = vec![(first, notes_row - 1)];
    if notes_row < LAST_VALIDATED_ROW {
        out.push((notes_row + 1, LAST_VALIDATED_ROW));
    }
    out
}

fn truncate_utf16(s: &str, limit: usize) -> String {
    let mut used = 0;
    s.chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= limit
        })
        .collect()
}

/// Width in Excel character units: a CJK character takes about two.
fn display_width(s: &str) -> f64 {
    s.split('\n')
        .map(|line| {
            line.chars()
                .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// Lines a wrapped cell needs for `text` at column `width`.
fn lines_needed(text: &str, width: f64) -> u32 {
    let usable = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| ((display_width(line) / usable).ceil() as u32).max(1))
        .sum()
}

fn row_height(lines: u32) -> f64 {
    f64::from(lines) * 14.5 + 6.0
}

/// Column widths sized for Chinese text.
fn column_width(column: &Column) -> f64 {
    if column.multi {
        return 28.0;
    }
    match column.kind {
        Kind::Sequence => return 6.0,
        Kind::Mobile | Kind::Phone => return 14.0,
        Kind::IdNumber => return 22.0,
        Kind::Date => return 12.0,
        Kind::Province | Kind::City | Kind::County => return 14.0,
        _ => {}
    }
    match column.key {
        "real_name" => 10.0,
        "org_name" => 30.0,
        "employer" | "leader_org" => 24.0,
        "supervisor_name" => 18.0,
        "leader_name" | "leader_title" => 14.0,
        _ => match choices(column) {
            Some(list) => list
                .iter()
                .map(|v| display_width(v) + 4.0)
                .fold(10.0, f64::max)
                .min(20.0),
            None => 16.0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, SheetVisible, Xlsx, open_workbook_from_rs};
    use std::io::{Cursor, Read};

    fn read(bytes: &[u8], sheet: &str) -> calamine::Range<Data> {
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
        book.worksheet_range(sheet).unwrap()
    }

    fn text(range: &calamine::Range<Data>, row: u32, col: usize) -> String {
        match range.get_value((row, col as u32)) {
            None | Some(Data::Empty) => String::new(),
            Some(Data::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    }

    fn zipped(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
        let mut out = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut out).unwrap();
        out
    }

    /// The `<dataValidation …>` element whose sqref starts in row 4 of the column.
    fn validation_at<'a>(xml: &'a str, column_letter: &str) -> &'a str {
        let needle = format!("sqref=\"{column_letter}4:");
        let at = xml
            .find(&needle)
            .unwrap_or_else(|| panic!("no validation on {column_letter}"));
        let start = xml[..at].rfind("<dataValidation ").unwrap();
        let end = start
            + 1
            + xml[start + 1..]
                .find(['<'])
                .map(|i| {
                    // A list validation has a <formula1> child: include it.
                    if xml[start + 1 + i..].starts_with("<formula1>") {
                        i + xml[start + 1 + i..].find("</formula1>").unwrap()
                    } else {
                        i
                    }
                })
                .unwrap();
        &xml[start..end]
    }

    /// The `<col …/>` element covering 1-based column `n`.
    fn col_element(xml: &str, n: usize) -> &str {
        let mut rest = xml;
        while let Some(at) = rest.find("<col ") {
            let el = &rest[at..at + rest[at..].find("/>").unwrap()];
            let attr = |name: &str| -> usize {
                let a = el.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                el[a..a + el[a..].find('"').unwrap()].parse().unwrap()
            };
            if attr("min") <= n && n <= attr("max") {
                return el;
            }
            rest = &rest[at + 5..];
        }
        panic!("no <col> for column {n}")
    }

    fn letter(form: Form, key: &str) -> String {
        let i = form.columns().iter().position(|c| c.key == key).unwrap();
        column_number_to_name(i as u16)
    }

    #[test]
    fn both_templates_have_the_notice_layout() {
        for form in [Form::Teams, Form::Volunteers] {
            let bytes = workbook(form, &[]).unwrap();
            let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
            let sheets = book.sheets_metadata().to_vec();
            assert_eq!(sheets[0].name, form.attachment());
            assert_eq!(sheets[0].visible, SheetVisible::Visible);
            let options = sheets.iter().find(|s| s.name == OPTIONS_SHEET).unwrap();
            assert_eq!(options.visible, SheetVisible::Hidden);

            let range = book.worksheet_range(form.attachment()).unwrap();
            assert_eq!(text(&range, 0, 0), form.title());
            for (i, column) in form.columns().iter().enumerate() {
                assert_eq!(text(&range, 1, i), column.header);
                let example = text(&range, 2, i);
                if i == 0 {
                    assert_eq!(example, "范例");
                } else if column.multi {
                    let d = multi_dict(column.key).unwrap();
                    let parsed = dict::parse_multi(d, &example).unwrap();
                    let want: Vec<&str> = column.example.split('、').collect();
                    assert_eq!(parsed, want, "{}", column.header);
                    assert!(example.contains('\n') && example.contains('□'));
                } else {
                    assert_eq!(example, column.example, "{}", column.header);
                }
            }
            // Blank data rows, one blank row, then the 填报说明.
            let notes_row = FIRST_DATA_ROW + BLANK_TEMPLATE_ROWS + 1;
            for r in FIRST_DATA_ROW..notes_row {
                assert_eq!(text(&range, r, 0), "", "row {r}");
            }
            let notes = text(&range, notes_row, 0);
            assert!(notes.starts_with(form.instructions()), "{notes}");
            assert!(notes.contains("多选项之间用“、”分隔"));
            assert!(notes.contains("列已设置为文本格式"));

            let sheet = zipped(&bytes, "xl/worksheets/sheet1.xml");
            assert!(sheet.contains("<pane ySplit=\"3\""), "frozen below row 2");
            assert!(sheet.contains(&format!("<mergeCell ref=\"A{}:", notes_row + 1)));
            let props = zipped(&bytes, "docProps/app.xml");
            assert!(props.contains(COMPANY));
            for (i, column) in form.columns().iter().enumerate() {
                // Column-wide "@" on phone and ID columns so typed ID numbers stay text.
                let col = col_element(&sheet, i + 1);
                assert_eq!(col.contains("style="), column.is_text_format(), "{col}");
            }
            let styles = zipped(&bytes, "xl/styles.xml");
            assert!(styles.contains("formatCode=\"@\"") || styles.contains("numFmtId=\"49\""));
        }
    }

    #[test]
    fn every_single_select_column_has_a_dropdown() {
        for form in [Form::Teams, Form::Volunteers] {
            let bytes = workbook(form, &[]).unwrap();
            let sheet = zipped(&bytes, "xl/worksheets/sheet1.xml");
            for column in form.columns() {
                let l = letter(form, column.key);
                let single =
                    (column.kind == Kind::Enum && !column.multi) || column.kind == Kind::Province;
                if single {
                    let v = validation_at(&sheet, &l);
                    assert!(v.contains("type=\"list\""), "{}: {v}", column.header);
                    assert!(v.contains("showErrorMessage=\"1\""), "{v}");
                    assert!(v.contains("promptTitle="), "{v}");
                    // Skips the 填报说明 row (row 15) and goes on to row 10003.
                    assert!(v.contains(&format!("{l}4:{l}14 {l}16:{l}10003")), "{v}");
                } else if column.multi {
                    let v = validation_at(&sheet, &l);
                    assert!(!v.contains("type=\"list\""), "{v}");
                    assert!(v.contains("、"), "{v}");
                }
            }
        }
        let bytes = workbook(Form::Volunteers, &[]).unwrap();
        let sheet = zipped(&bytes, "xl/worksheets/sheet1.xml");
        let ethnicity = validation_at(&sheet, &letter(Form::Volunteers, "ethnicity"));
        assert!(
            ethnicity.contains(&format!("'{OPTIONS_SHEET}'!$")),
            "{ethnicity}"
        );
        let province = validation_at(&sheet, &letter(Form::Volunteers, "province"));
        assert!(
            province.contains(&format!("'{OPTIONS_SHEET}'!$")),
            "{province}"
        );
        let gender = validation_at(&sheet, &letter(Form::Volunteers, "gender"));
        assert!(gender.contains("<formula1>\"男,女\""), "{gender}");

        // The hidden sheet holds the whole 民族 list under its header.
        let options = read(&bytes, OPTIONS_SHEET);
        let names = dict::ethnic_groups().names();
        let col = (0..options.width())
            .find(|&c| text(&options, 0, c) == "民族")
            .unwrap();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(text(&options, i as u32 + 1, col), *n);
        }
        assert_eq!(text(&options, names.len() as u32 + 1, col), "");
    }

    fn volunteer(name: &str, phone: &str, id: &str, gender: &str) -> RowValues {
        let mut row = RowValues::new();
        for (k, v) in [
            ("real_name", name),
            ("phone", phone),
            ("gender", gender),
            ("id_number", id),
            ("political_status", "中共党员"),
            ("ethnicity", "汉族"),
            ("employer", "某县人民医院"),
            ("title_level", "副高"),
            ("education", "中专/中技"),
            ("occupation", "医疗卫生机构"),
            ("province", "湖北省"),
            ("city", "宜昌市"),
            ("county", "夷陵区"),
            ("service_categories", "科技培训、农技服务"),
            ("service_fields", "健康咨询类"),
            ("sanzhang", "否"),
        ] {
            row.insert(k, v.to_string());
        }
        row
    }

    #[test]
    fn filled_rows_round_trip_exactly() {
        let rows = vec![
            volunteer("张伟", "13812345678", "11010119900307123X", "男"),
            volunteer("李娜", "13900001111", "110101199003074514", "男"),
            volunteer("阿依古丽·买买提", "15000002222", "420502198801011228", "女"),
        ];
        let bytes = workbook(Form::Volunteers, &rows).unwrap();
        let range = read(&bytes, "附件2");
        for (r, row) in rows.iter().enumerate() {
            let excel_row = FIRST_DATA_ROW + r as u32;
            assert_eq!(
                range.get_value((excel_row, 0)),
                Some(&Data::Float((r + 1) as f64))
            );
            for (i, column) in Form::Volunteers.columns().iter().enumerate().skip(1) {
                let cell = range.get_value((excel_row, i as u32)).unwrap();
                assert_eq!(
                    cell,
                    &Data::String(row[column.key].clone()),
                    "{}",
                    column.key
                );
            }
        }
        // One blank row, then the notes.
        let after = FIRST_DATA_ROW + 3;
        assert_eq!(text(&range, after, 1), "");
        assert!(text(&range, after + 1, 0).starts_with("填报说明"));

        let mut team = RowValues::new();
        team.insert("org_name", "某县科技志愿服务队".to_string());
        team.insert("admin_phone", "13710986743".to_string());
        team.insert("founded_on", "2019/8/8".to_string());
        let bytes = workbook(Form::Teams, &[team]).unwrap();
        let range = read(&bytes, "附件1");
        assert_eq!(text(&range, FIRST_DATA_ROW, 1), "某县科技志愿服务队");
        assert_eq!(text(&range, FIRST_DATA_ROW, 2), "13710986743");
        assert_eq!(text(&range, FIRST_DATA_ROW, 6), "2019/8/8");
        assert_eq!(text(&range, FIRST_DATA_ROW, 3), "");
    }

    #[test]
    fn error_report_lists_messages_and_highlights_bad_cells() {
        let headers: Vec<String> = ["序号", "真实姓名", "身份证号", "备注"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut rows = vec![
            ReportRow {
                number: 4,
                cells: vec!["1".into(), "张伟".into(), "11010119900307123X".into()],
                errors: vec![],
                bad_columns: vec![],
            },
            ReportRow {
                number: 5,
                cells: vec![
                    "2".into(),
                    "".into(),
                    "110101199003071234".into(),
                    "x".into(),
                ],
                errors: vec!["真实姓名不能为空".into(), "身份证号校验位不正确".into()],
                bad_columns: vec![1, 2],
            },
        ];
        for i in 0..1000 {
            rows.push(ReportRow {
                number: 6 + i,
                cells: vec![(3 + i).to_string(), format!("志愿者{i}"), "0".repeat(18)],
                errors: if i % 2 == 0 {
                    vec!["手机号不能为空".into()]
                } else {
                    vec![]
                },
                bad_columns: vec![],
            });
        }
        let bytes = error_report(
            Form::Volunteers,
            "附件2 科技志愿者集体注册信息表（错误报告）",
            2,
            &headers,
            &rows,
        )
        .unwrap();
        let range = read(&bytes, "错误报告");
        assert_eq!(
            text(&range, 0, 0),
            "附件2 科技志愿者集体注册信息表（错误报告）"
        );
        for (i, h) in headers.iter().enumerate() {
            assert_eq!(&text(&range, 1, i), h);
        }
        assert_eq!(text(&range, 1, 4), "错误说明");
        // Each row sits on the row number it had in the upload (Excel row 4 → index 3); the
        // skipped 范例 row stays empty.
        assert_eq!(text(&range, 2, 1), "");
        assert_eq!(text(&range, 3, 2), "11010119900307123X");
        assert_eq!(text(&range, 3, 4), "");
        assert_eq!(text(&range, 4, 4), "真实姓名不能为空；身份证号校验位不正确");
        assert_eq!(text(&range, 4, 3), "x");
        // Every cell is text, even the 序号 the user typed as a number.
        assert_eq!(range.get_value((4, 0)), Some(&Data::String("2".into())));
        assert_eq!(text(&range, 1004, 1), "志愿者999");
        assert_eq!(text(&range, 1004, 4), "");
        assert_eq!(text(&range, 1003, 4), "手机号不能为空");
        assert_eq!(range.height(), 1005);

        let styles = zipped(&bytes, "xl/styles.xml");
        assert!(styles.contains("FFFFC7CE"), "light red fill");
        let sheet = zipped(&bytes, "xl/worksheets/sheet1.xml");
        let style_of = |cell: &str| -> String {
            let open = format!("<c r=\"{cell}\" s=\"");
            let at = sheet.find(&open).unwrap() + open.len();
            sheet[at..at + sheet[at..].find('"').unwrap()].to_string()
        };
        assert_eq!(style_of("B5"), style_of("C5"), "both bad cells alike");
        assert_ne!(style_of("B5"), style_of("B4"), "bad cell highlighted");
        assert_ne!(style_of("D5"), style_of("C5"), "good cell plain");
        assert_eq!(style_of("D5"), style_of("C4"));
        // 身份证号 is the form's column: its dropdown hint and text format come along.
        assert!(
            sheet.contains("<dataValidation"),
            "the template's hints are kept"
        );
    }

    #[test]
    #[ignore = "writes sample files to the temp dir for a look in a spreadsheet program"]
    fn write_samples() {
        let dir = std::env::temp_dir();
        for form in [Form::Teams, Form::Volunteers] {
            std::fs::write(dir.join(form.file_name()), workbook(form, &[]).unwrap()).unwrap();
        }
    }

    #[test]
    fn error_report_handles_empty_input() {
        let bytes = error_report(Form::Volunteers, "空", 2, &[], &[]).unwrap();
        let range = read(&bytes, "错误报告");
        assert_eq!(text(&range, 1, 0), "错误说明");
    }
}
