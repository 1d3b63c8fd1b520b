//! Collective registration from 附件1 / 附件2: find the header row, map the columns,
//! normalise and check every row with the same rules as the web forms, flag duplicates
//! within the file (both rows, each naming the other) and rows that match stored records.
//! No HTTP and no redb: lookups in the store come through the `Existing` trait, and the
//! caller commits the checked rows.

use super::columns::{Column, Form, header_key};
use super::read::{self, Cell, ReadError, Row};
use crate::domain::ids::Gid;
use crate::domain::people::team_name_key;
use crate::domain::registration::{self, TeamFields, TeamInput, VolunteerFields, VolunteerInput};
use crate::domain::validate;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many rows at the top may hold titles before the header row.
const HEADER_SEARCH_ROWS: u32 = 30;

/// Lookups of stored records, so rows that already exist can be updated or skipped.
pub trait Existing {
    /// The volunteer holding this phone.
    fn volunteer_by_phone(&self, phone: &str) -> Option<Gid>;
    /// The volunteer holding this ID number.
    fn volunteer_by_id_number(&self, id_number: &str) -> Option<Gid>;
    /// The team with this name (compared by `org_name_key`).
    fn team_by_name(&self, name: &str) -> Option<Gid>;
    /// Whether a row must agree with a stored volunteer on both phone and ID number to
    /// match them (a team admin's import); otherwise either one matches.
    fn strict_identity(&self) -> bool {
        false
    }
}

/// One problem in the file, as the person will look for it in Excel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The row number as Excel shows it (0 for problems with the whole file).
    pub row: u32,
    /// The column header as written in the file ("" for the whole row).
    pub column: String,
    /// The column's position in the file (0-based), if about one cell.
    pub column_index: Option<usize>,
    /// The cell's value as shown.
    pub value: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// A checked row ready to store.
#[derive(Debug, Clone)]
pub enum Checked {
    Volunteer(Box<VolunteerFields>),
    Team(Box<TeamFields>),
}

/// One data row's outcome.
#[derive(Debug, Clone)]
pub struct CheckedRow {
    pub row: u32,
    /// `None` when the row has errors.
    pub value: Option<Checked>,
    /// The stored record this row matches (same phone / ID number / team name).
    pub existing: Option<Gid>,
}

/// Everything the preview shows.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub header_row: u32,
    /// The headers as written in the file, by position.
    pub headers: Vec<String>,
    /// Columns in the file the form does not have (ignored).
    pub unexpected: Vec<String>,
    pub rows: Vec<CheckedRow>,
    pub issues: Vec<Issue>,
}

impl CheckReport {
    /// Data rows read.
    pub fn rows_read(&self) -> usize {
        self.rows.len()
    }
    /// Rows without errors.
    pub fn valid(&self) -> usize {
        self.rows.iter().filter(|r| r.value.is_some()).count()
    }
    /// Rows with errors.
    pub fn invalid(&self) -> usize {
        self.rows.len() - self.valid()
    }
    /// Valid rows that match stored records.
    pub fn matching(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.value.is_some() && r.existing.is_some())
            .count()
    }
}

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum FileProblem {
    Read(ReadError),
    NoHeader(Form),
    MissingColumns {
        missing: Vec<String>,
        unexpected: Vec<String>,
    },
    NoData,
}

impl FileProblem {
    /// The message for the person who uploaded the file.
    pub fn message(&self) -> String {
        match self {
            FileProblem::Read(e) => e.message(),
            FileProblem::NoHeader(form) => format!(
                "在表格前 {HEADER_SEARCH_ROWS} 行中找不到{}的表头。请使用本平台下载的模板《{}》填写，不要删除表头行。",
                form.attachment(),
                form.title()
            ),
            FileProblem::MissingColumns {
                missing,
                unexpected,
            } => {
                let mut m = format!(
                    "表格缺少这些列：{}。请使用本平台下载的模板填写。",
                    missing.join("、")
                );
                if !unexpected.is_empty() {
                    m.push_str(&format!(
                        "另外，这些列不是模板中的列：{}。",
                        unexpected.join("、")
                    ));
                }
                m
            }
            FileProblem::NoData => {
                "表格中没有数据行（只有表头或范例行）。请从第一行范例下方开始填写。".into()
            }
        }
    }
}

impl From<ReadError> for FileProblem {
    fn from(e: ReadError) -> Self {
        FileProblem::Read(e)
    }
}

/// Progress for a page or a terminal: rows checked so far.
#[derive(Debug, Default)]
pub struct Progress {
    pub checked: AtomicUsize,
    pub total: AtomicUsize,
}

/// Count data rows (for the progress bar's total) without checking them.
pub fn count_rows(bytes: &[u8]) -> Result<usize, FileProblem> {
    let mut n = 0usize;
    read::for_each_row::<FileProblem>(bytes, |_| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

struct Layout {
    /// For each file column, the form column it holds.
    map: Vec<Option<&'static Column>>,
}

/// A recognised header row: its layout, the headers as written, and the form's columns
/// it lacks and the file's columns the form does not have.
struct HeaderRow {
    layout: Layout,
    headers: Vec<String>,
    missing: Vec<String>,
    unexpected: Vec<String>,
}

fn find_layout(form: Form, row: &Row) -> Option<HeaderRow> {
    let texts: Vec<String> = row.cells.iter().map(Cell::display).collect();
    // The form's keys once per row, not once per cell: a row can be 16,384 cells wide (an
    // xls row 65,536), and normalising every header again for each cell made the header
    // search of a 5 KB file take seconds (found by `cargo fuzz`).
    let form_keys: Vec<(String, &'static Column)> = form
        .columns()
        .iter()
        .map(|c| (header_key(c.header), c))
        .collect();
    let mut map = Vec::with_capacity(texts.len());
    let mut found = 0;
    let mut unexpected = Vec::new();
    for t in &texts {
        let key = header_key(t);
        let col = form_keys
            .iter()
            .find(|(k, _)| !key.is_empty() && *k == key)
            .map(|&(_, c)| c);
        if col.is_some() {
            found += 1;
        } else if !key.is_empty() {
            unexpected.push(t.trim().to_string());
        }
        map.push(col);
    }
    // A header row names three of the form's columns (or a third of them).
    if found < 3 && found * 3 < form.columns().len() {
        return None;
    }
    let missing: Vec<String> = form
        .columns()
        .iter()
        .filter(|c| c.key != "seq" && !map.iter().any(|m| m.is_some_and(|m| m.key == c.key)))
        .map(|c| c.header.replace('\n', ""))
        .collect();
    Some(HeaderRow {
        layout: Layout { map },
        headers: texts,
        missing,
        unexpected,
    })
}

fn is_example_or_note(row: &Row) -> bool {
    let first = row
        .cells
        .iter()
        .find(|c| !c.is_empty())
        .map(Cell::display)
        .unwrap_or_default();
    let first = first.trim();
    first == "范例" || first.starts_with("填报说明") || first.starts_with("多选项之间")
}

/// Values of one row by field key, with where each came from. A list searched by key,
/// not a hash map: a row has a score of columns, and a map per row (hashing every key
/// with SipHash) was about a twentieth of a 100,000-row check's profile.
struct RowValues {
    values: Vec<(&'static str, (String, usize))>,
}

impl RowValues {
    /// The value of `key` and its column; the last column mapped to it wins, as it did
    /// when the row was a map.
    fn find(&self, key: &str) -> Option<&(String, usize)> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    fn get(&self, key: &str) -> String {
        self.find(key).map(|(v, _)| v.clone()).unwrap_or_default()
    }
}

fn row_values(layout: &Layout, row: &Row) -> RowValues {
    let mut values = Vec::with_capacity(layout.map.len());
    for (i, col) in layout.map.iter().enumerate() {
        let Some(col) = col else { continue };
        let text = match row.cells.get(i) {
            // Dates typed into a date cell: the validator reads ISO dates.
            Some(Cell::DateTime(dt)) if col.key == "founded_on" => {
                dt.date().format("%Y-%m-%d").to_string()
            }
            Some(c) => c.display(),
            None => String::new(),
        };
        values.push((col.key, (text, i)));
    }
    RowValues { values }
}

/// A 附件2 row as the volunteer check's input; a multi-choice cell is one value with
/// separators.
fn volunteer_input(v: &RowValues) -> VolunteerInput {
    VolunteerInput::read(|k| v.get(k), |k| vec![v.get(k)])
}

/// A 附件1 row as the team check's input.
fn team_input(v: &RowValues) -> TeamInput {
    TeamInput::read(|k| v.get(k), |k| vec![v.get(k)])
}

/// Check a whole file for `form`. Rows are streamed; `progress` counts them.
pub fn check_file(
    form: Form,
    bytes: &[u8],
    today: NaiveDate,
    existing: &dyn Existing,
    progress: &Progress,
) -> Result<CheckReport, FileProblem> {
    let mut report = CheckReport::default();
    let mut layout: Option<Layout> = None;
    // First row of each unique value, for duplicates within the file.
    let mut seen: HashMap<(&'static str, String), (u32, usize)> = HashMap::new();
    read::for_each_row_ahead::<FileProblem>(bytes, |row| {
        progress.checked.fetch_add(1, Ordering::Relaxed);
        let Some(l) = &layout else {
            if row.number > HEADER_SEARCH_ROWS {
                return Err(FileProblem::NoHeader(form));
            }
            if let Some(HeaderRow {
                layout: found,
                headers,
                missing,
                unexpected,
            }) = find_layout(form, &row)
            {
                if !missing.is_empty() {
                    return Err(FileProblem::MissingColumns {
                        missing,
                        unexpected,
                    });
                }
                report.header_row = row.number;
                report.headers = headers;
                report.unexpected = unexpected;
                layout = Some(found);
            }
            return Ok(());
        };
        if row.cells.iter().all(Cell::is_empty) || is_example_or_note(&row) {
            return Ok(());
        }
        let values = row_values(l, &row);
        if values.values.iter().all(|(_, (v, _))| v.trim().is_empty()) {
            return Ok(());
        }
        let mut row_issues = Vec::new();
        let issue = |key: &str, message: String| {
            let (value, idx) = values.find(key).cloned().unwrap_or_default();
            Issue {
                row: row.number,
                column: values
                    .find(key)
                    .and_then(|(_, i)| report.headers.get(*i).cloned())
                    .unwrap_or_else(|| {
                        form.column(key)
                            .map(|c| c.header.to_string())
                            .unwrap_or_default()
                    })
                    .replace('\n', ""),
                column_index: values.find(key).map(|_| idx),
                value,
                message,
            }
        };
        let (checked, uniques, found): (Option<Checked>, Vec<(&'static str, String)>, Option<Gid>) =
            match form {
                Form::Volunteers => {
                    match registration::check_volunteer(&volunteer_input(&values), today) {
                        Ok(f) => {
                            let by_phone = existing.volunteer_by_phone(&f.phone);
                            let by_id = existing.volunteer_by_id_number(&f.id.number);
                            let found = match (by_phone, by_id) {
                                (Some(a), Some(b)) if a != b => {
                                    row_issues.push(issue(
                                "id_number",
                                "这个手机号和身份证号分别属于两位已登记的志愿者，请核对后再导入".into(),
                            ));
                                    None
                                }
                                // Neither the stored phone nor the person is named: a file
                                // must not be a way to look people up.
                                (None, Some(_)) | (Some(_), None) if existing.strict_identity() => {
                                    row_issues.push(issue(
                                        "id_number",
                                        "这个身份证号或手机号与已登记志愿者的信息不一致，请核对本人的手机号和身份证号；确属本人的，请本人登录后修改，或联系平台管理员".into(),
                                    ));
                                    None
                                }
                                (a, b) => a.or(b),
                            };
                            let uniques = vec![
                                ("phone", f.phone.clone()),
                                ("id_number", f.id.number.clone()),
                            ];
                            (Some(Checked::Volunteer(Box::new(f))), uniques, found)
                        }
                        Err(errors) => {
                            row_issues.extend(errors.into_iter().map(|(k, m)| issue(k, m)));
                            // A wrong row still claims its valid phone and ID number, so a
                            // duplicate is reported in the same pass, not after the fix.
                            let mut uniques = Vec::new();
                            if let Ok(phone) = validate::mobile(&values.get("phone")) {
                                uniques.push(("phone", phone));
                            }
                            if let Ok(id) = validate::id_number(&values.get("id_number"), today) {
                                uniques.push(("id_number", id.number));
                            }
                            (None, uniques, None)
                        }
                    }
                }
                Form::Teams => match registration::check_team(&team_input(&values), today) {
                    Ok(f) => {
                        let found = existing.team_by_name(&f.org_name);
                        let uniques = vec![("org_name", team_name_key(&f.org_name))];
                        (Some(Checked::Team(Box::new(f))), uniques, found)
                    }
                    Err(errors) => {
                        row_issues.extend(errors.into_iter().map(|(k, m)| issue(k, m)));
                        let name = values.get("org_name");
                        let uniques = if name.trim().is_empty() {
                            Vec::new()
                        } else {
                            vec![("org_name", team_name_key(&name))]
                        };
                        (None, uniques, None)
                    }
                },
            };
        // Duplicates within the file: flag both rows, each naming the other.
        let index = report.rows.len();
        for (key, value) in uniques {
            match seen.entry((key, value)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    let label = form.column(key).map(|c| c.header).unwrap_or(key);
                    let (first_row, first_index) = *first.get();
                    let value = &first.key().1;
                    row_issues.push(issue(
                        key,
                        format!("与第 {first_row} 行的{label}重复，同一文件中只能出现一次"),
                    ));
                    let mut first_issue = issue(
                        key,
                        format!(
                            "与第 {} 行的{label}重复，同一文件中只能出现一次",
                            row.number
                        ),
                    );
                    first_issue.row = first_row;
                    first_issue.value = value.clone();
                    report.issues.push(first_issue);
                    report.rows[first_index].value = None;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert((row.number, index));
                }
            }
        }
        let ok = row_issues.is_empty();
        report.issues.extend(row_issues);
        report.rows.push(CheckedRow {
            row: row.number,
            value: if ok { checked } else { None },
            existing: if ok { found } else { None },
        });
        Ok(())
    })?;
    if layout.is_none() {
        return Err(FileProblem::NoHeader(form));
    }
    if report.rows.is_empty() {
        return Err(FileProblem::NoData);
    }
    report.issues.sort_by_key(|i| (i.row, i.column_index));
    Ok(report)
}

/// One page of the preview: the file's rows, those with errors first (in file order), then
/// the others, `per_page` at a time. The file is read again and only the page's rows are
/// kept, so a 100,000-row preview costs one pass and one page of memory.
pub fn preview_rows(
    bytes: &[u8],
    report: &CheckReport,
    page: usize,
    per_page: usize,
) -> Result<Vec<super::template::ReportRow>, FileProblem> {
    let mut by_row: HashMap<u32, (Vec<String>, Vec<usize>)> = HashMap::new();
    for i in &report.issues {
        let e = by_row.entry(i.row).or_default();
        e.0.push(if i.column.is_empty() {
            i.message.clone()
        } else {
            format!("{}：{}", i.column, i.message)
        });
        if let Some(c) = i.column_index {
            e.1.push(c);
        }
    }
    let mut bad: Vec<u32> = by_row.keys().copied().collect();
    bad.sort_unstable();
    let good = report
        .rows
        .iter()
        .map(|r| r.row)
        .filter(|n| !by_row.contains_key(n));
    let wanted: Vec<u32> = bad
        .iter()
        .copied()
        .chain(good)
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .collect();
    let wanted_set: std::collections::HashSet<u32> = wanted.iter().copied().collect();
    let mut found: HashMap<u32, super::template::ReportRow> = HashMap::new();
    read::for_each_row::<FileProblem>(bytes, |row| {
        if wanted_set.contains(&row.number) {
            let (errors, bad_columns) = by_row.remove(&row.number).unwrap_or_default();
            found.insert(
                row.number,
                super::template::ReportRow {
                    number: row.number,
                    cells: row.cells.iter().map(Cell::display).collect(),
                    errors,
                    bad_columns,
                },
            );
        }
        Ok(())
    })?;
    Ok(wanted.iter().filter_map(|n| found.remove(n)).collect())
}

/// The error report: the file's rows with a 错误说明 column and the bad cells marked.
pub fn error_report(
    form: Form,
    bytes: &[u8],
    report: &CheckReport,
) -> Result<Vec<u8>, FileProblem> {
    let mut by_row: HashMap<u32, (Vec<String>, Vec<usize>)> = HashMap::new();
    for i in &report.issues {
        let e = by_row.entry(i.row).or_default();
        let text = if i.column.is_empty() {
            i.message.clone()
        } else {
            format!("{}：{}", i.column, i.message)
        };
        e.0.push(text);
        if let Some(c) = i.column_index {
            e.1.push(c);
        }
    }
    let mut rows = Vec::new();
    read::for_each_row::<FileProblem>(bytes, |row| {
        if row.number <= report.header_row
            || is_example_or_note(&row)
            || row.cells.iter().all(Cell::is_empty)
        {
            return Ok(());
        }
        let (errors, bad_columns) = by_row.remove(&row.number).unwrap_or_default();
        rows.push(super::template::ReportRow {
            number: row.number,
            cells: row.cells.iter().map(Cell::display).collect(),
            errors,
            bad_columns,
        });
        Ok(())
    })?;
    super::template::error_report(
        form,
        &format!("{}（错误说明）", form.title()),
        report.header_row,
        &report.headers,
        &rows,
    )
    .map_err(|e| FileProblem::Read(ReadError::Corrupt(e)))
}

impl Existing for crate::store::Store {
    fn volunteer_by_phone(&self, phone: &str) -> Option<Gid> {
        self.volunteer_id_by_phone(phone)
    }

    fn volunteer_by_id_number(&self, id_number: &str) -> Option<Gid> {
        self.volunteer_id_by_id_number(id_number)
    }

    fn team_by_name(&self, name: &str) -> Option<Gid> {
        self.team_id_by_name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nobody;

    impl Existing for Nobody {
        fn volunteer_by_phone(&self, _: &str) -> Option<Gid> {
            None
        }
        fn volunteer_by_id_number(&self, _: &str) -> Option<Gid> {
            None
        }
        fn team_by_name(&self, _: &str) -> Option<Gid> {
            None
        }
    }

    fn check(form: Form, bytes: &[u8]) -> Result<CheckReport, FileProblem> {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        check_file(form, bytes, today, &Nobody, &Progress::default())
    }

    /// Found by `cargo fuzz` (spreadsheet): one cell far to the right made a 5 KB xls row
    /// 65,527 cells wide, and each cell normalised every header of the form again (3 s per
    /// check in a debug build, about 30 s per input under the fuzzer); 29 rows of 16,384
    /// cells above the header (a 480 KB CSV) cost as much. It took 25 s in a debug build
    /// before the fix, half a second after.
    #[test]
    fn wide_rows_are_searched_for_the_header_in_one_pass() {
        // What is checked here is the outcome on these shapes; their cost is what the
        // fuzzer's per-input timeout watches (speed targets live outside timed tests).
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz/wide_row.xls");
        let xls = std::fs::read(path).unwrap();
        match check(Form::Volunteers, &xls) {
            Err(FileProblem::MissingColumns { missing, .. }) => {
                assert_eq!(missing, ["是否为基层“三长”"]);
            }
            other => panic!("{other:?}"),
        }
        let headers: Vec<&str> = Form::Teams.columns().iter().map(|c| c.header).collect();
        let mut csv = String::new();
        for _ in 1..HEADER_SEARCH_ROWS {
            csv.push_str(&",".repeat(16_383));
            csv.push_str("备注\n");
        }
        csv.push_str(&format!("\"{}\"\n", headers.join("\",\"")));
        csv.push_str("1,利川市科技志愿服务队\n");
        let report = check(Form::Teams, csv.as_bytes()).unwrap();
        assert_eq!(report.header_row, HEADER_SEARCH_ROWS);
        assert_eq!(report.rows_read(), 1);
    }
}
