//! An activity's roster as an xlsx file, for the team admin to keep or print.

use super::cell::write_text;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

/// One row of the roster file.
pub struct RosterRow {
    pub name: String,
    pub phone: String,
    pub signed_up_at: String,
    pub state: String,
    pub check_in: String,
    pub check_out: String,
    pub hours: String,
}

const HEADERS: [&str; 8] = [
    "序号",
    "姓名",
    "手机号",
    "报名时间",
    "状态",
    "签到时间",
    "签退时间",
    "服务时长（小时）",
];

/// The roster workbook: a title row, headers, one row per person; phones as text so
/// Excel keeps every digit.
pub fn roster_xlsx(title: &str, rows: &[RosterRow]) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    sheet.set_name("报名名单").map_err(err)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_background_color(0xDDE7F3);
    write_text(sheet, 0, 0, &format!("{title} 报名名单"), Some(&bold)).map_err(err)?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *h, &head)
            .map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 2) as u32;
        sheet.write_number(row, 0, (i + 1) as f64).map_err(err)?;
        write_text(sheet, row, 1, &r.name, None).map_err(err)?;
        write_text(sheet, row, 2, &r.phone, Some(&text)).map_err(err)?;
        for (c, v) in [
            &r.signed_up_at,
            &r.state,
            &r.check_in,
            &r.check_out,
            &r.hours,
        ]
        .into_iter()
        .enumerate()
        {
            write_text(sheet, row, c as u16 + 3, v, None).map_err(err)?;
        }
    }
    for (c, w) in [6.0, 12.0, 15.0, 18.0, 10.0, 18.0, 18.0, 16.0]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, *w).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

/// A simple sheet: a title row, headers, rows of text (audit log downloads).
pub fn table_xlsx(
    sheet_name: &str,
    title: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    sheet.set_name(sheet_name).map_err(err)?;
    let bold = Format::new().set_bold();
    let head = Format::new().set_bold().set_background_color(0xDDE7F3);
    write_text(sheet, 0, 0, title, Some(&bold)).map_err(err)?;
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *h, &head)
            .map_err(err)?;
        sheet.set_column_width(c as u16, 18).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            write_text(sheet, (r + 2) as u32, c as u16, v, None).map_err(err)?;
        }
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_zip_with_the_rows() {
        let bytes = roster_xlsx(
            "测试活动",
            &[RosterRow {
                name: "张三".into(),
                phone: "13812345678".into(),
                signed_up_at: "2026-11-28 10:00".into(),
                state: "已报名".into(),
                check_in: String::new(),
                check_out: String::new(),
                hours: String::new(),
            }],
        )
        .unwrap();
        assert!(bytes.starts_with(b"PK"), "xlsx is a zip");
        assert!(bytes.len() > 1000);
    }
}
