//! The columns of the two official forms, defined once from the reference templates and
//! used by the template writer, the importer, the error report and the exporter alike.

use std::sync::OnceLock;

/// Which official form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// 附件1 科技志愿服务组织集体注册信息表.
    Teams,
    /// 附件2 科技志愿者集体注册信息表.
    Volunteers,
}

impl Form {
    /// The form's title as the notice writes it.
    pub fn title(self) -> &'static str {
        match self {
            Form::Teams => "科技志愿服务组织集体注册信息表",
            Form::Volunteers => "科技志愿者集体注册信息表",
        }
    }

    /// "附件1" / "附件2".
    pub fn attachment(self) -> &'static str {
        match self {
            Form::Teams => "附件1",
            Form::Volunteers => "附件2",
        }
    }

    /// The template's file name.
    pub fn file_name(self) -> String {
        format!("{} {}.xlsx", self.attachment(), self.title())
    }

    /// The notice's 填报说明 for this form.
    pub fn instructions(self) -> &'static str {
        match self {
            Form::Teams => {
                "填报说明：1.是否在民政部门注册、主管单位类型等选项可在下拉菜单中选择，服务类别可根据实际情况多选（多个值之间用“、”分隔）；2.管理员首次登陆平台时，须用此手机号码注册成为科技志愿者，方能履行管理员职责。"
            }
            Form::Volunteers => {
                "填报说明：政治面貌、民族、职称、最高学历、从业类别、所在区域、是否为基层“三长”等选项可在下拉菜单中选择，服务类别、服务领域等选项可根据实际情况多选（多个值之间用“、”分隔）。"
            }
        }
    }

    /// The columns in the notice's order.
    pub fn columns(self) -> &'static [Column] {
        static TEAMS: OnceLock<Vec<Column>> = OnceLock::new();
        static VOLUNTEERS: OnceLock<Vec<Column>> = OnceLock::new();
        match self {
            Form::Teams => {
                TEAMS.get_or_init(|| parse(include_str!("../../assets/reference/template_org.tsv")))
            }
            Form::Volunteers => VOLUNTEERS.get_or_init(|| {
                parse(include_str!(
                    "../../assets/reference/template_volunteer.tsv"
                ))
            }),
        }
    }

    /// The column with this field key.
    pub fn column(self, key: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.key == key)
    }
}

/// What kind of value a column holds (the template's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sequence,
    Text,
    Mobile,
    /// Mobile or landline.
    Phone,
    IdNumber,
    Enum,
    Date,
    Province,
    City,
    County,
}

/// One column of an official form.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header exactly as the notice writes it.
    pub header: &'static str,
    /// The field key shared with the web forms.
    pub key: &'static str,
    pub required: bool,
    pub kind: Kind,
    pub multi: bool,
    /// The notice's example value (the 范例 row).
    pub example: &'static str,
}

impl Column {
    /// Whether Excel must keep this column as text (phones, ID numbers).
    pub fn is_text_format(&self) -> bool {
        matches!(self.kind, Kind::Mobile | Kind::Phone | Kind::IdNumber)
    }
}

fn parse(tsv: &'static str) -> Vec<Column> {
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&'static str> = line.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("");
            Column {
                header: get(1),
                key: get(2),
                required: get(3) == "yes",
                kind: match get(4) {
                    "integer" => Kind::Sequence,
                    "mobile" => Kind::Mobile,
                    "phone" => Kind::Phone,
                    "id18" => Kind::IdNumber,
                    "enum" => Kind::Enum,
                    "date" => Kind::Date,
                    "region_l1" => Kind::Province,
                    "region_l2" => Kind::City,
                    "region_l3" => Kind::County,
                    _ => Kind::Text,
                },
                multi: get(6) == "yes",
                example: get(9),
            }
        })
        .collect()
}

/// A header as compared: spaces, line breaks, quotes of any style and the "（选填）" /
/// "(选填)" note removed, full-width folded.
pub fn header_key(raw: &str) -> String {
    crate::domain::validate::normalize(raw)
        .replace("(选填)", "")
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '*' | '＊'
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_have_the_notice_columns() {
        let t = Form::Teams.columns();
        assert_eq!(t.len(), 15);
        assert_eq!(t[1].header, "组织名称");
        assert_eq!(t[14].key, "leader_phone");
        assert!(!t[14].required);
        let v = Form::Volunteers.columns();
        assert_eq!(v.len(), 17);
        assert_eq!(v[4].kind, Kind::IdNumber);
        assert!(v[4].is_text_format());
        assert!(v[14].multi && v[15].multi);
        assert_eq!(v[16].header, "是否为基层“三长”");
    }

    #[test]
    fn headers_match_whatever_the_quotes_and_breaks() {
        let want = header_key("是否为基层“三长”");
        for typed in [
            "是否为基层\"三长\"",
            "是否为基层三长",
            " 是否为基层\n“三长” ",
            "是否为基层'三长'",
        ] {
            assert_eq!(header_key(typed), want, "{typed}");
        }
        assert_eq!(
            header_key("组织负责人姓名\n（选填）"),
            header_key("组织负责人姓名")
        );
        assert_eq!(header_key("所在\n区域省"), header_key("所在区域省"));
    }
}
