//! Records written back into the official forms, with the template's value spellings, so
//! an exported file is exactly the template's layout and imports back unchanged.

use super::columns::Form;
use super::template::{self, RowValues};
use crate::domain::people::{Team, Volunteer};
use crate::domain::regions::{self, RegionPath};
use crate::domain::validate::mask_id_number;

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

/// A volunteer as an 附件2 row.
pub fn volunteer_row(v: &Volunteer, ids: IdNumbers) -> RowValues {
    let mut row = RowValues::new();
    row.insert("real_name", v.real_name.clone());
    row.insert("phone", v.phone.clone());
    row.insert("gender", v.gender.label().to_string());
    row.insert(
        "id_number",
        match ids {
            IdNumbers::Full => v.id_number.clone(),
            IdNumbers::Masked => mask_id_number(&v.id_number),
        },
    );
    row.insert("political_status", v.political_status.clone());
    row.insert("ethnicity", v.ethnicity.clone());
    row.insert("employer", v.employer.clone());
    row.insert("title_level", v.title_level.clone());
    row.insert("education", v.education.clone());
    row.insert("occupation", v.occupation.clone());
    region_values(&v.region, &mut row);
    row.insert("service_categories", v.service_categories.join("、"));
    row.insert("service_fields", v.service_fields.join("、"));
    row.insert("sanzhang", v.sanzhang.clone());
    row
}

/// A team as an 附件1 row.
pub fn team_row(o: &Team) -> RowValues {
    let mut row = RowValues::new();
    row.insert("org_name", o.name.clone());
    row.insert("admin_phone", o.admin_phone.clone());
    row.insert(
        "mca_registered",
        if o.mca_registered { "是" } else { "否" }.to_string(),
    );
    row.insert("supervisor_type", o.supervisor_type.clone());
    row.insert("supervisor_name", o.supervisor_name.clone());
    row.insert("founded_on", o.founded_on.format("%Y/%-m/%-d").to_string());
    row.insert("service_categories", o.service_categories.join("、"));
    region_values(&o.region, &mut row);
    for (k, v) in [
        ("leader_name", &o.leader_name),
        ("leader_title", &o.leader_title),
        ("leader_org", &o.leader_org),
        ("leader_phone", &o.leader_phone),
    ] {
        row.insert(k, v.clone().unwrap_or_default());
    }
    row
}

/// The filled 附件2.
pub fn volunteers_xlsx(list: &[Volunteer], ids: IdNumbers) -> Result<Vec<u8>, String> {
    let rows: Vec<RowValues> = list.iter().map(|v| volunteer_row(v, ids)).collect();
    template::workbook(Form::Volunteers, &rows)
}

/// The filled 附件1.
pub fn teams_xlsx(list: &[Team]) -> Result<Vec<u8>, String> {
    let rows: Vec<RowValues> = list.iter().map(team_row).collect();
    template::workbook(Form::Teams, &rows)
}

/// "梨树县科协-科技志愿者-20261128.xlsx".
pub fn file_name(site: &str, form: Form, date: chrono::NaiveDate) -> String {
    let kind = match form {
        Form::Teams => "科技志愿服务组织",
        Form::Volunteers => "科技志愿者",
    };
    format!("{site}-{kind}-{}.xlsx", date.format("%Y%m%d"))
}
