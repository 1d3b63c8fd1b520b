//! Reference dictionaries (民族, 政治面貌, 学历, 职称, …) compiled into the binary from
//! `assets/reference/*.tsv`, with the synonyms people actually type in Excel.
//!
//! Each dictionary keeps its file order because that is the dropdown order the templates
//! show. Lookups go through the same normalisation as every other field, so full-width
//! letters, stray spaces and line breaks inside a cell do not matter.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::validate::normalize;

/// One allowed value of a dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The file's `code` column, or its `order` column when the file has no code.
    pub code: &'static str,
    /// The canonical name, as exported and shown in dropdowns.
    pub name: &'static str,
}

/// A closed list of values with name/synonym lookup.
#[derive(Debug)]
pub struct Dict {
    label: &'static str,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Dict {
    /// All entries in file order (the dropdown order).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with exactly this code.
    pub fn by_code(&self, code: &str) -> Option<&Entry> {
        let code = normalize(code);
        self.entries.iter().find(|e| e.code == code)
    }

    /// Finds an entry by its name or a synonym, ignoring width, case and any whitespace.
    pub fn lookup(&self, raw: &str) -> Option<&Entry> {
        self.lookup_index(raw).map(|i| &self.entries[i])
    }

    fn lookup_index(&self, raw: &str) -> Option<usize> {
        self.index.get(&key(raw)).copied()
    }

    /// The canonical names in file order.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }

    /// The Chinese field label, e.g. "民族", for messages.
    pub fn label(&self) -> &'static str {
        self.label
    }
}

/// Lookup key: whitespace is meaningless in these values (the notice's template even breaks
/// "青少年科技教育" over two lines), and ASCII case only matters for alpha codes like "HA".
fn key(raw: &str) -> String {
    normalize(raw).to_ascii_uppercase()
}

/// A parsed TSV file whose cells borrow from the compiled-in text.
struct Table {
    file: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<&'static str>>,
}

impl Table {
    fn parse(file: &'static str, text: &'static str) -> Table {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .unwrap_or_else(|| panic!("{file}: compiled-in reference file has no header"))
            .split('\t')
            .map(str::trim)
            .collect();
        let rows = lines
            .map(|l| l.split('\t').map(str::trim).collect())
            .collect();
        Table { file, header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{}: compiled-in file lacks column `{name}`", self.file))
    }

    /// The cell, or "" when a trailing empty cell was trimmed off the line.
    fn cell(row: &[&'static str], col: usize) -> &'static str {
        row.get(col).copied().unwrap_or("")
    }
}

/// Collects entries and lookup keys. Canonical names always win; a synonym that would point
/// at two different entries is dropped, since guessing would silently store the wrong value.
struct Builder {
    label: &'static str,
    entries: Vec<Entry>,
    primary: HashMap<String, usize>,
    synonyms: HashMap<String, Option<usize>>,
}

impl Builder {
    fn new(label: &'static str) -> Builder {
        Builder {
            label,
            entries: Vec::new(),
            primary: HashMap::new(),
            synonyms: HashMap::new(),
        }
    }

    fn entry(&mut self, code: &'static str, name: &'static str) -> usize {
        assert!(
            !code.is_empty() && !name.is_empty(),
            "{}: empty code or name",
            self.label
        );
        let idx = self.entries.len();
        self.entries.push(Entry { code, name });
        let previous = self.primary.insert(key(name), idx);
        assert!(previous.is_none(), "{}: duplicate name {name}", self.label);
        idx
    }

    fn synonym(&mut self, word: &str, idx: usize) {
        let k = key(word);
        if k.is_empty() {
            return;
        }
        let slot = self.synonyms.entry(k).or_insert(Some(idx));
        if *slot != Some(idx) {
            *slot = None;
        }
    }

    /// Adds a synonym for the entry named `target`; the target must exist.
    fn alias(&mut self, word: &str, target: &str) {
        let idx = *self
            .primary
            .get(&key(target))
            .unwrap_or_else(|| panic!("{}: alias target {target} missing", self.label));
        self.synonym(word, idx);
    }

    fn build(self) -> Dict {
        let mut index: HashMap<String, usize> = self
            .synonyms
            .into_iter()
            .filter_map(|(k, v)| v.map(|i| (k, i)))
            .collect();
        index.extend(self.primary);
        Dict {
            label: self.label,
            entries: self.entries,
            index,
        }
    }
}

/// Loads a plain list whose code is `code_col` and name is `name`.
fn simple(label: &'static str, file: &'static str, text: &'static str, code_col: &str) -> Builder {
    let t = Table::parse(file, text);
    let (c, n) = (t.col(code_col), t.col("name"));
    let mut b = Builder::new(label);
    for row in &t.rows {
        b.entry(Table::cell(row, c), Table::cell(row, n));
    }
    b
}

/// 民族 (GB/T 3304): names, names without 族, alpha codes and legacy names.
pub fn ethnic_groups() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let t = Table::parse(
            "ethnic_groups.tsv",
            include_str!("../../assets/reference/ethnic_groups.tsv"),
        );
        let (c, n, a) = (t.col("code"), t.col("name"), t.col("alpha_code"));
        let mut b = Builder::new("民族");
        for row in &t.rows {
            let name = Table::cell(row, n);
            let idx = b.entry(Table::cell(row, c), name);
            b.synonym(Table::cell(row, a), idx);
            if let Some(stem) = name.strip_suffix('族') {
                b.synonym(stem, idx);
            }
        }
        for (old, new) in [
            ("毛难族", "毛南族"),
            ("毛难", "毛南族"),
            ("崩龙族", "德昂族"),
            ("崩龙", "德昂族"),
            ("其它", "其他"),
            // Everyday short forms.
            ("蒙族", "蒙古族"),
            ("维族", "维吾尔族"),
        ] {
            b.alias(old, new);
        }
        b.build()
    })
}

/// 政治面貌 (GB/T 4762): short and standard names plus everyday forms.
pub fn political_status() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let text = include_str!("../../assets/reference/political_status.tsv");
        let t = Table::parse("political_status.tsv", text);
        let full = t.col("full_name");
        let mut b = simple("政治面貌", "political_status.tsv", text, "code");
        for (idx, row) in t.rows.iter().enumerate() {
            b.synonym(Table::cell(row, full), idx);
        }
        for (word, target) in [
            ("党员", "中共党员"),
            ("共产党员", "中共党员"),
            ("中国共产党员", "中共党员"),
            ("预备党员", "中共预备党员"),
            ("中共预备党员", "中共预备党员"),
            ("团员", "共青团员"),
            ("共青团", "共青团员"),
            ("无党派", "无党派人士"),
            ("民革", "民革党员"),
            ("民革会员", "民革党员"),
            ("民盟", "民盟盟员"),
            ("民建", "民建会员"),
            ("民进", "民进会员"),
            ("农工党", "农工党党员"),
            ("致公党", "致公党党员"),
            ("九三学社", "九三学社社员"),
            ("台盟", "台盟盟员"),
        ] {
            b.alias(word, target);
        }
        b.build()
    })
}

/// 最高学历: the practical dropdown, also accepting every GB/T 4658 name and common words.
pub fn education() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut b = simple(
            "最高学历",
            "education_dropdown.tsv",
            include_str!("../../assets/reference/education_dropdown.tsv"),
            "order",
        );
        let gb = Table::parse(
            "education.tsv",
            include_str!("../../assets/reference/education.tsv"),
        );
        let (n, d) = (gb.col("name"), gb.col("dropdown"));
        for row in &gb.rows {
            // A broad category such as 研究生教育 maps to several levels; the first is the
            // higher one, which is what a category heading usually stands for.
            let target = Table::cell(row, d).split('|').next().unwrap_or("");
            b.alias(Table::cell(row, n), target);
        }
        for (word, target) in [
            ("大学专科教育", "大专"), // GB/T 4658-1984 code 30, still used by older systems
            ("博士", "博士研究生"),
            ("博士后", "博士研究生"),
            ("博士研究生毕业", "博士研究生"),
            ("硕士", "硕士研究生"),
            ("研究生", "硕士研究生"),
            ("学士", "本科"),
            ("大学本科", "本科"),
            ("本科毕业", "本科"),
            ("大学专科", "大专"),
            ("专科", "大专"),
            ("高职", "大专"),
            ("高专", "大专"),
            ("中专", "中专/中技"),
            ("中技", "中专/中技"),
            ("中专中技", "中专/中技"),
            ("技校", "中专/中技"),
            ("中等专科", "中专/中技"),
            ("职高", "中专/中技"),
            ("职业高中", "中专/中技"),
            ("普通高中", "高中"),
            ("初级中学", "初中"),
            ("小学", "小学及以下"),
            ("小学以下", "小学及以下"),
        ] {
            b.alias(word, target);
        }
        b.build()
    })
}

/// 职称 level: 正高/副高/中级/初级/无, with the synonyms and example titles from the file.
pub fn title_levels() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let text = include_str!("../../assets/reference/title_levels.tsv");
        let t = Table::parse("title_levels.tsv", text);
        let (n, s, e) = (t.col("name"), t.col("synonyms"), t.col("examples"));
        let mut b = simple("职称", "title_levels.tsv", text, "code");
        for (idx, row) in t.rows.iter().enumerate() {
            let name = Table::cell(row, n);
            b.synonym(&format!("{name}职称"), idx);
            for syn in Table::cell(row, s).split('、') {
                b.synonym(syn, idx);
            }
            // People often write their actual title (高级工程师) instead of its level.
            for example in Table::cell(row, e).split('、') {
                let example = example.trim_end_matches('等');
                for title in expand_slash(example) {
                    b.synonym(&title, idx);
                }
            }
        }
        b.alias("无职称", "无");
        b.alias("没有", "无");
        b.build()
    })
}

/// Expands the examples' shorthand "医师/医士" and "二级/三级教师" into full titles.
fn expand_slash(s: &str) -> Vec<String> {
    let parts: Vec<&str> = s.split('/').collect();
    let Some((last, heads)) = parts.split_last() else {
        return Vec::new();
    };
    let mut out = vec![last.to_string()];
    for head in heads {
        // "二级" shares the tail of "三级教师" after a same-length head: 二级 + 教师.
        let head_len = head.chars().count();
        let tail: String = last.chars().skip(head_len).collect();
        if head_len < last.chars().count() {
            // A bare "二级" is not a title by itself, so only the expanded form is kept.
            out.push(format!("{head}{tail}"));
        } else {
            out.push(head.to_string());
        }
    }
    out
}

/// 从业类别 (sector of employment).
pub fn occupations() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut b = simple(
            "从业类别",
            "occupation_category.tsv",
            include_str!("../../assets/reference/occupation_category.tsv"),
            "order",
        );
        for (word, target) in [
            ("党政机关", "机关"),
            ("政府机关", "机关"),
            ("机关单位", "机关"),
            ("企业单位", "企业"),
            ("公司", "企业"),
            ("高等院校", "高校"),
            ("高等学校", "高校"),
            ("科研机构", "科研院所"),
            ("科研单位", "科研院所"),
            ("医疗卫生", "医疗卫生机构"),
            ("医院", "医疗卫生机构"),
            ("中小学", "中小学校"),
            ("农技推广", "农技推广机构"),
            ("社会团体", "社会组织"),
            ("在校学生", "学生"),
            ("离退休", "离退休人员"),
            ("退休", "离退休人员"),
            ("退休人员", "离退休人员"),
            ("个体", "个体及自由职业"),
            ("自由职业", "个体及自由职业"),
            ("其它", "其他"),
        ] {
            b.alias(word, target);
        }
        b.build()
    })
}

/// 主管单位类型.
pub fn supervisor_types() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut b = simple(
            "主管单位类型",
            "supervisor_types.tsv",
            include_str!("../../assets/reference/supervisor_types.tsv"),
            "code",
        );
        for (word, target) in [
            ("省科协", "地方科协"),
            ("市科协", "地方科协"),
            ("县科协", "地方科协"),
            ("区科协", "地方科协"),
            ("乡镇科协", "地方科协"),
            ("农村专业技术协会", "农技协"),
            ("其它", "其他"),
        ] {
            b.alias(word, target);
        }
        b.build()
    })
}

/// 是否为基层"三长".
pub fn sanzhang() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut b = simple(
            "是否为基层“三长”",
            "sanzhang.tsv",
            include_str!("../../assets/reference/sanzhang.tsv"),
            "code",
        );
        for (word, target) in [
            ("医院院长", "基层医院院长"),
            ("校长", "中小学校长"),
            ("学校校长", "中小学校长"),
            ("中小学校校长", "中小学校长"),
            ("站长", "农技站站长"),
            ("农技站长", "农技站站长"),
            ("农技推广站站长", "农技站站长"),
            ("无", "否"),
            ("不是", "否"),
            ("非", "否"),
        ] {
            b.alias(word, target);
        }
        b.build()
    })
}

/// 服务类别: the notice's 8 values.
pub fn service_categories() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut b = simple(
            "服务类别",
            "service_categories.tsv",
            include_str!("../../assets/reference/service_categories.tsv"),
            "order",
        );
        b.alias("其它", "其他");
        b.build()
    })
}

/// 服务领域或行业: the notice's 9 values, also without the trailing 类.
pub fn service_fields() -> &'static Dict {
    static CELL: OnceLock<Dict> = OnceLock::new();
    CELL.get_or_init(|| {
        let text = include_str!("../../assets/reference/service_fields.tsv");
        let mut b = simple("服务领域或行业", "service_fields.tsv", text, "order");
        let names: Vec<(usize, &'static str)> =
            b.entries.iter().map(|e| e.name).enumerate().collect();
        for (idx, name) in names {
            if let Some(stem) = name.strip_suffix('类') {
                b.synonym(stem, idx);
            }
        }
        b.alias("其他", "其他科技服务");
        b.alias("其它", "其他科技服务");
        b.build()
    })
}

/// How a token of a multi-select cell is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Selected,
    Unselected,
}

fn mark_of(c: char) -> Option<Mark> {
    super::checkbox::ticked(c).map(|ticked| {
        if ticked {
            Mark::Selected
        } else {
            Mark::Unselected
        }
    })
}

/// Characters that always end a value. Full-width ，；／｜ become ASCII under NFKC.
fn is_hard_separator(c: char) -> bool {
    matches!(c, '、' | ',' | ';' | '/' | '|')
}

#[derive(Debug)]
struct Token {
    mark: Option<Mark>,
    text: String,
}

/// Splits one separator-delimited segment at whitespace and at checkbox glyphs, so that
/// "☑科技培训□科技咨询" on a single line still yields two marked tokens.
fn tokens(segment: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut cur: Option<Token> = None;
    for c in segment.chars() {
        if c.is_whitespace() {
            out.extend(cur.take());
        } else if let Some(m) = mark_of(c) {
            out.extend(cur.take());
            cur = Some(Token {
                mark: Some(m),
                text: String::new(),
            });
        } else {
            cur.get_or_insert_with(|| Token {
                mark: None,
                text: String::new(),
            })
            .text
            .push(c);
        }
    }
    out.extend(cur);
    // A glyph typed with a space after it ("☑ 科技培训") marks the following word.
    let mut merged: Vec<Token> = Vec::new();
    for t in out {
        match merged.last_mut() {
            Some(prev) if prev.text.is_empty() && prev.mark.is_some() && t.mark.is_none() => {
                prev.text = t.text;
            }
            _ => merged.push(t),
        }
    }
    merged.retain(|t| !t.text.is_empty());
    merged
}

/// Parsed cells kept per thread and dictionary: an imported file repeats the same few
/// multi-choice cells on every row, and parsing one (NFKC, tokens, joined lookups) was a
/// third of checking a 附件2 row. Bounded (then started afresh) so that a file of distinct
/// cells, or a long-lived server thread, keeps at most about a megabyte.
const PARSED_KEPT: usize = 1024;

type Parsed = Result<Vec<&'static str>, String>;

thread_local! {
    static PARSED: std::cell::RefCell<HashMap<usize, HashMap<String, Parsed>>> =
        std::cell::RefCell::new(HashMap::new());
}

/// Parses a multi-select cell into canonical names in dictionary order.
///
/// Values may be separated by 、，,;；/| line breaks or spaces. Template-style cells that
/// list every option with a checkbox are understood: options marked ☑ √ ✓ ✔ ■ ▣ ☒ count,
/// options still showing □ or ☐ do not. A value wrapped over two lines (as the notice's
/// template does with "青少年\n科技教育") is rejoined when the pieces alone are not values.
/// Because `/` separates values, this is meant for dictionaries whose names contain none.
pub fn parse_multi(dict: &Dict, raw: &str) -> Result<Vec<&'static str>, String> {
    // A dictionary lives for the whole program, so its address names it.
    let which = std::ptr::from_ref(dict) as usize;
    PARSED.with(|kept| {
        let mut kept = kept.borrow_mut();
        let map = kept.entry(which).or_default();
        if let Some(found) = map.get(raw) {
            return found.clone();
        }
        let found = parse_multi_uncached(dict, raw);
        if map.len() >= PARSED_KEPT {
            map.clear();
        }
        map.insert(raw.to_string(), found.clone());
        found
    })
}

fn parse_multi_uncached(dict: &Dict, raw: &str) -> Result<Vec<&'static str>, String> {
    let text = unicode_nfkc(raw);
    let mut selected = vec![false; dict.entries.len()];
    for segment in text.split(is_hard_separator) {
        let toks = tokens(segment);
        let mut i = 0;
        while i < toks.len() {
            // Longest run of unmarked continuation tokens that forms one value.
            let run_end = (i + 1..toks.len())
                .find(|&j| toks[j].mark.is_some())
                .unwrap_or(toks.len());
            let found = (i + 1..=run_end).rev().find_map(|j| {
                let joined: String = toks[i..j].iter().map(|t| t.text.as_str()).collect();
                dict.lookup_index(&joined).map(|idx| (j, idx))
            });
            let Some((j, idx)) = found else {
                return Err(format!(
                    "“{}”不是可选的{}，可选：{}",
                    toks[i].text,
                    dict.label,
                    dict.names().join("、")
                ));
            };
            if toks[i].mark != Some(Mark::Unselected) {
                selected[idx] = true;
            }
            i = j;
        }
    }
    Ok(dict
        .entries
        .iter()
        .zip(selected)
        .filter_map(|(e, s)| s.then_some(e.name))
        .collect())
}

/// NFKC without touching whitespace, so line breaks still separate tokens; invisible
/// characters and the emoji variation selector (☑️) are dropped.
fn unicode_nfkc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkc()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{FE0F}'
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<&'static Dict> {
        vec![
            ethnic_groups(),
            political_status(),
            education(),
            title_levels(),
            occupations(),
            supervisor_types(),
            sanzhang(),
            service_categories(),
            service_fields(),
        ]
    }

    fn name_of(d: &Dict, raw: &str) -> Option<&'static str> {
        d.lookup(raw).map(|e| e.name)
    }

    #[test]
    fn counts_and_labels() {
        let e = ethnic_groups();
        assert_eq!(e.entries().len(), 58);
        assert_eq!(e.by_code("01").unwrap().name, "汉族");
        assert_eq!(e.by_code("56").unwrap().name, "基诺族");
        assert_eq!(e.by_code("97").unwrap().name, "其他");
        assert_eq!(e.by_code("98").unwrap().name, "外国血统中国籍人士");
        assert_eq!(e.label(), "民族");
        assert_eq!(political_status().entries().len(), 13);
        assert_eq!(political_status().by_code("13").unwrap().name, "群众");
        assert_eq!(education().entries().len(), 8);
        assert_eq!(education().by_code("5").unwrap().name, "中专/中技");
        assert_eq!(title_levels().entries().len(), 5);
        assert_eq!(title_levels().by_code("9").unwrap().name, "无");
        assert_eq!(occupations().entries().len(), 14);
        assert_eq!(supervisor_types().entries().len(), 7);
        assert_eq!(sanzhang().entries().len(), 4);
        assert_eq!(sanzhang().by_code("0").unwrap().name, "否");
        assert_eq!(service_categories().entries().len(), 8);
        assert_eq!(service_fields().entries().len(), 9);
        assert_eq!(
            service_categories().names(),
            [
                "科技培训",
                "科技咨询",
                "科普报告",
                "农技服务",
                "青少年科技教育",
                "科普讲解",
                "网络科普",
                "其他"
            ]
        );
        assert_eq!(service_fields().names()[8], "其他科技服务");
        for d in all() {
            assert!(!d.label().is_empty());
            // Every canonical name finds itself, and codes are unique.
            for e in d.entries() {
                assert_eq!(d.lookup(e.name), Some(e), "{}", e.name);
                assert_eq!(d.by_code(e.code), Some(e), "{}", e.code);
            }
        }
    }

    #[test]
    fn ethnic_synonyms() {
        let d = ethnic_groups();
        for (raw, want) in [
            ("汉", "汉族"),
            ("汉族", "汉族"),
            (" 汉 族 ", "汉族"),
            ("HA", "汉族"),
            ("ha", "汉族"),
            ("ＨＡ", "汉族"),
            ("MG", "蒙古族"),
            ("蒙古", "蒙古族"),
            ("蒙族", "蒙古族"),
            ("维族", "维吾尔族"),
            ("回", "回族"),
            ("土", "土族"),
            ("土家", "土家族"),
            ("毛难族", "毛南族"),
            ("毛难", "毛南族"),
            ("崩龙族", "德昂族"),
            ("其它", "其他"),
            ("其他", "其他"),
        ] {
            assert_eq!(name_of(d, raw), Some(want), "{raw}");
        }
        assert_eq!(name_of(d, "火星族"), None);
        assert_eq!(name_of(d, ""), None);
        assert_eq!(name_of(d, "族"), None);
    }

    #[test]
    fn political_synonyms() {
        let d = political_status();
        for (raw, want) in [
            ("中共党员", "中共党员"),
            ("中国共产党党员", "中共党员"),
            ("党员", "中共党员"),
            ("预备党员", "中共预备党员"),
            ("中国共产党预备党员", "中共预备党员"),
            ("团员", "共青团员"),
            ("中国共产主义青年团团员", "共青团员"),
            ("无党派", "无党派人士"),
            ("无党派民主人士", "无党派人士"),
            ("九三学社", "九三学社社员"),
            ("群众", "群众"),
        ] {
            assert_eq!(name_of(d, raw), Some(want), "{raw}");
        }
        assert_eq!(name_of(d, "党"), None);
    }

    #[test]
    fn education_synonyms() {
        let d = education();
        for (raw, want) in [
            ("研究生", "硕士研究生"),
            ("博士", "博士研究生"),
            ("硕士", "硕士研究生"),
            ("大学本科", "本科"),
            ("大学专科", "大专"),
            ("专科", "大专"),
            ("中专", "中专/中技"),
            ("中专/中技", "中专/中技"),
            ("技校", "中专/中技"),
            ("研究生教育", "博士研究生"),
            ("大学本科/专科教育", "本科"),
            ("博士研究生肄业", "硕士研究生"),
            ("大学本科肄业", "高中"),
            ("大学本科毕业", "本科"),
            ("技工学校毕业", "中专/中技"),
            ("初中毕业", "初中"),
            ("小学", "小学及以下"),
            ("其他", "小学及以下"),
            ("大学专科教育", "大专"),
        ] {
            assert_eq!(name_of(d, raw), Some(want), "{raw}");
        }
        assert_eq!(name_of(d, "幼儿园大班"), None);
    }

    #[test]
    fn every_gb4658_name_is_accepted() {
        let gb = Table::parse(
            "education.tsv",
            include_str!("../../assets/reference/education.tsv"),
        );
        let n = gb.col("name");
        for row in &gb.rows {
            assert!(education().lookup(Table::cell(row, n)).is_some());
        }
    }

    #[test]
    fn title_synonyms() {
        let d = title_levels();
        for (raw, want) in [
            ("正高", "正高"),
            ("正高级", "正高"),
            ("副高", "副高"),
            ("副高级", "副高"),
            ("中级", "中级"),
            ("中级职称", "中级"),
            ("初级", "初级"),
            ("助理级", "初级"),
            ("员级", "初级"),
            ("无", "无"),
            ("无职称", "无"),
            ("未定级", "无"),
            ("教授", "正高"),
            ("副教授", "副高"),
            ("高级工程师", "副高"),
            ("工程师", "中级"),
            ("助理工程师", "初级"),
            ("医士", "初级"),
            ("医师", "初级"),
            ("二级教师", "初级"),
            ("三级教师", "初级"),
            ("农业技术推广研究员", "正高"),
        ] {
            assert_eq!(name_of(d, raw), Some(want), "{raw}");
        }
        assert_eq!(name_of(d, "高级"), None);
        assert_eq!(name_of(d, "二级"), None);
    }

    #[test]
    fn expand_slash_shorthand() {
        assert_eq!(expand_slash("医师/医士"), ["医士", "医师"]);
        assert_eq!(expand_slash("二级/三级教师"), ["三级教师", "二级教师"]);
        assert_eq!(expand_slash("教授"), ["教授"]);
    }

    #[test]
    fn other_dict_synonyms() {
        assert_eq!(name_of(occupations(), "企业"), Some("企业"));
        assert_eq!(name_of(occupations(), "退休"), Some("离退休人员"));
        assert_eq!(name_of(supervisor_types(), "县科协"), Some("地方科协"));
        let s = sanzhang();
        for (raw, want) in [
            ("医院院长", "基层医院院长"),
            ("基层医院院长", "基层医院院长"),
            ("校长", "中小学校长"),
            ("学校校长", "中小学校长"),
            ("站长", "农技站站长"),
            ("农技站长", "农技站站长"),
            ("无", "否"),
            ("不是", "否"),
            ("否", "否"),
        ] {
            assert_eq!(name_of(s, raw), Some(want), "{raw}");
        }
        assert_eq!(name_of(s, "是"), None);
        assert_eq!(
            name_of(service_categories(), "青少年\n科技教育"),
            Some("青少年科技教育")
        );
        assert_eq!(
            name_of(service_categories(), "青少年 科技 教育"),
            Some("青少年科技教育")
        );
        let f = service_fields();
        assert_eq!(name_of(f, "科技咨询"), Some("科技咨询类"));
        assert_eq!(name_of(f, "科技咨询类"), Some("科技咨询类"));
        assert_eq!(name_of(f, "文体娱乐"), Some("文体娱乐类"));
        assert_eq!(name_of(f, "其他"), Some("其他科技服务"));
        assert_eq!(name_of(f, "科普讲解"), None);
        assert_eq!(name_of(service_categories(), "科技咨询类"), None);
    }

    #[test]
    fn ambiguous_synonyms_are_dropped() {
        let mut b = Builder::new("测试");
        b.entry("1", "甲");
        b.entry("2", "乙");
        b.alias("丙", "甲");
        b.alias("丙", "乙");
        b.alias("丁", "甲");
        b.alias("乙", "甲");
        let d = b.build();
        assert_eq!(d.lookup("丙"), None);
        assert_eq!(d.lookup("丁").unwrap().name, "甲");
        // A canonical name is never taken over by another entry's synonym.
        assert_eq!(d.lookup("乙").unwrap().name, "乙");
    }

    #[test]
    fn parse_multi_separators() {
        let d = service_categories();
        for raw in [
            "科技培训、科普讲解",
            "科技培训，科普讲解",
            "科技培训,科普讲解",
            "科技培训;科普讲解",
            "科技培训；科普讲解",
            "科技培训/科普讲解",
            "科技培训／科普讲解",
            "科技培训|科普讲解",
            "科技培训\n科普讲解",
            "科技培训\r\n科普讲解",
            "科技培训 科普讲解",
            "  科技培训 \u{3000} 科普讲解 、",
            "科普讲解、科技培训、科普讲解",
        ] {
            assert_eq!(
                parse_multi(d, raw).unwrap(),
                ["科技培训", "科普讲解"],
                "{raw:?}"
            );
        }
        assert_eq!(parse_multi(d, "").unwrap(), Vec::<&str>::new());
        assert_eq!(parse_multi(d, " 、 ").unwrap(), Vec::<&str>::new());
        assert_eq!(
            parse_multi(service_fields(), "健康咨询类、科技咨询").unwrap(),
            ["科技咨询类", "健康咨询类"]
        );
    }

    #[test]
    fn parse_multi_checkboxes() {
        let d = service_categories();
        assert_eq!(
            parse_multi(d, "☑科技培训\n□科技咨询\n√科普报告").unwrap(),
            ["科技培训", "科普报告"]
        );
        assert_eq!(
            parse_multi(d, "☑ 科技培训 ☐ 科技咨询 ✔科普报告 ■其他").unwrap(),
            ["科技培训", "科普报告", "其他"]
        );
        assert_eq!(
            parse_multi(d, "☑科技培训□科技咨询✓网络科普").unwrap(),
            ["科技培训", "网络科普"]
        );
        assert_eq!(
            parse_multi(d, "☑\u{FE0F}科技\u{200B}培训 ✅科普讲解").unwrap(),
            ["科技培训", "科普讲解"]
        );
        let template = "□科技培训\n□科技咨询\n□科普报告\n□农技服务\n□青少年\n科技教育\n□科普讲解\n□网络科普\n□其他";
        assert_eq!(parse_multi(d, template).unwrap(), Vec::<&str>::new());
        let marked = template
            .replace("□青少年", "☑青少年")
            .replace("□网络", "√网络");
        assert_eq!(
            parse_multi(d, &marked).unwrap(),
            ["青少年科技教育", "网络科普"]
        );
    }

    #[test]
    fn parse_multi_wrapped_value() {
        let d = service_categories();
        assert_eq!(
            parse_multi(d, "青少年\n科技教育").unwrap(),
            ["青少年科技教育"]
        );
        assert_eq!(
            parse_multi(d, "科技培训、青少年\n科技教育").unwrap(),
            ["科技培训", "青少年科技教育"]
        );
        assert_eq!(
            parse_multi(d, "青少年\n科技教育\n科技培训").unwrap(),
            ["科技培训", "青少年科技教育"]
        );
    }

    #[test]
    fn parse_multi_unknown() {
        let err = parse_multi(service_categories(), "科技培训、天文观测").unwrap_err();
        assert_eq!(
            err,
            "“天文观测”不是可选的服务类别，可选：科技培训、科技咨询、科普报告、农技服务、青少年科技教育、科普讲解、网络科普、其他"
        );
        let err = parse_multi(service_fields(), "☑科技培训类、√养殖").unwrap_err();
        assert!(err.starts_with("“养殖”不是可选的服务领域或行业，可选：科技咨询类"));
        // An unselected unknown value is still reported: it is probably a typo.
        assert!(parse_multi(service_categories(), "□天文").is_err());
    }
}
