//! Records written back into the official forms, with the template's value spellings, so
//! an exported file is exactly the template's layout and imports back unchanged.

use super::columns::Form;
use super::template::{self, RowValues};
use crate::domain::fields::{self, Field, Value};
use crate::domain::people::{Team, Volunteer};
use crate::domain::regions::{self, RegionPath};
use crate::domain::validate::mask_id_number;
use std::borrow::Cow;

/// Whether ID numbers appear in full (platform admin exports) or masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdNumbers {
    Full,
    Masked,
}

fn name_of(code: &str) -> String {
    regions::by_code(code)
        .map(|r| r.name.to_string())
        .unwrap_or_default()
}

fn region_values(r: &RegionPath, row: &mut RowValues) {
    row.insert("province", name_of(&r.province));
    row.insert("city", name_of(&r.city));
    row.insert(
        "county",
        r.county.as_deref().map(name_of).unwrap_or_default(),
    );
}

/// A record as a row of `form`, from its field catalogue, in the template's spellings:
/// the region as names, dates as 2019/8/8. Fields the template has no column for (a team's
/// description) are left out.
fn row<R>(form: Form, fields: &[Field<R>], r: &R, ids: IdNumbers) -> RowValues {
    let mut row = RowValues::with_capacity(form.columns().len());
    for f in fields {
        match &f.value {
            Value::Region(path) => region_values(path(r), &mut row),
            // Not made at all when the form has no column for it (once per exported row).
            _ if form.column(f.key).is_none() => {}
            Value::Date(date) => {
                row.insert(f.key, date(r).format("%Y/%-m/%-d").to_string());
            }
            Value::IdNumber(id) => {
                let id = id(r);
                row.insert(
                    f.key,
                    match ids {
                        IdNumbers::Full => id.to_string(),
                        IdNumbers::Masked => mask_id_number(id),
                    },
                );
            }
            _ => {
                if let Some(value) = f.typed(r) {
                    row.insert(f.key, value);
                }
            }
        }
    }
    row.retain(|key, _| form.column(key).is_some());
    row
}

/// A volunteer as an 附件2 row.
pub fn volunteer_row(v: &Volunteer, ids: IdNumbers) -> RowValues {
    row(Form::Volunteers, fields::VOLUNTEER, v, ids)
}

/// A team as an 附件1 row. A team has no ID number, so nothing is masked.
pub fn team_row(o: &Team) -> RowValues {
    row(Form::Teams, fields::TEAM, o, IdNumbers::Full)
}

/// The filled 附件2.
/// The filled 附件2, each row made as it is written.
pub fn volunteers_xlsx(list: &[Volunteer], ids: IdNumbers) -> Result<Vec<u8>, String> {
    template::workbook_from(Form::Volunteers, list.len(), |i| {
        Cow::Owned(volunteer_row(&list[i], ids))
    })
}

/// The filled 附件2 from `count` rows made elsewhere: `next` gives them in order, each
/// just before it is written.
pub fn volunteers_xlsx_from(
    count: usize,
    mut next: impl FnMut() -> RowValues,
) -> Result<Vec<u8>, String> {
    template::workbook_from(Form::Volunteers, count, |_| Cow::Owned(next()))
}

/// The filled 附件1.
pub fn teams_xlsx(list: &[Team]) -> Result<Vec<u8>, String> {
    template::workbook_from(Form::Teams, list.len(), |i| Cow::Owned(team_row(&list[i])))
}

/// "梨树县科协-科技志愿者-20261128.xlsx".
pub fn file_name(site: &str, form: Form, date: chrono::NaiveDate) -> String {
    let kind = match form {
        Form::Teams => "科技志愿服务组织",
        Form::Volunteers => "科技志愿者",
    };
    format!("{site}-{kind}-{}.xlsx", date.format("%Y%m%d"))
}
