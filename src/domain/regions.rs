//! Administrative regions (MCA 2024 list, see `assets/reference/SOURCES.md`) compiled into
//! the binary, and the resolver that turns what people type into province/city/county codes.
//!
//! The awkward parts are the second-level "containers" that are not real prefectures
//! (直辖市's 市辖区/县, 省直辖县级行政区划) and the four prefecture cities without counties;
//! people fill these in many different ways and all of them should land on the same codes.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::validate::normalize;

/// One administrative division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    /// 6-digit GB/T 2260 code.
    pub code: &'static str,
    /// Official name, e.g. "历下区".
    pub name: &'static str,
    /// Code of the parent division; `None` for provinces.
    pub parent: Option<&'static str>,
    /// 1 province, 2 prefecture or container, 3 county-level.
    pub level: u8,
}

/// Second-level rows that need special handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialKind {
    /// 直辖市's 市辖区 / 县 row: a grouping, not a prefecture.
    MunicipalityContainer,
    /// 省(自治区)直辖县级行政区划: groups county-level units run directly by the province.
    DirectlyAdministeredContainer,
    /// A prefecture city with no county level below it (东莞, 中山, 儋州, 嘉峪关).
    NoCountyLevel,
}

/// A resolved location as codes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegionPath {
    /// Province code, e.g. "370000".
    pub province: String,
    /// Second-level code: a prefecture city or a container such as "110100".
    pub city: String,
    /// County-level code; `None` only for cities without a county level.
    pub county: Option<String>,
}

impl RegionPath {
    /// The place as people read it, "吉林省 四平市 铁西区" (down to the city where there is
    /// no county level).
    pub fn full_name(&self) -> String {
        full_name(self.county.as_deref().unwrap_or(&self.city))
    }
}

struct Data {
    regions: Vec<Region>,
    by_code: HashMap<&'static str, usize>,
    children: HashMap<&'static str, Vec<usize>>,
    roots: Vec<usize>,
    special: HashMap<&'static str, SpecialKind>,
    ethnic_forms: Vec<String>,
}

fn parse_rows(file: &str, text: &'static str) -> Vec<Vec<&'static str>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_else(|| panic!("{file}: compiled-in reference file has no header"))
        .split('\t')
        .collect();
    assert_eq!(header[0], "code", "{file}: first column must be code");
    lines
        .map(|l| l.split('\t').map(str::trim).collect())
        .collect()
}

fn data() -> &'static Data {
    static CELL: OnceLock<Data> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut regions = Vec::new();
        for (file, text) in [
            (
                "regions.tsv",
                include_str!("../../assets/reference/regions.tsv"),
            ),
            (
                "regions_hk_mo_tw.tsv",
                include_str!("../../assets/reference/regions_hk_mo_tw.tsv"),
            ),
        ] {
            for row in parse_rows(file, text) {
                let cell = |i: usize| row.get(i).copied().unwrap_or("");
                let level = cell(3)
                    .parse()
                    .unwrap_or_else(|_| panic!("{file}: bad level in row {row:?}"));
                regions.push(Region {
                    code: cell(0),
                    name: cell(1),
                    parent: Some(cell(2)).filter(|p| !p.is_empty()),
                    level,
                });
            }
        }
        regions.sort_by_key(|r| r.code);
        let by_code: HashMap<_, _> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code, i))
            .collect();
        assert_eq!(by_code.len(), regions.len(), "region codes must be unique");
        let mut children: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut roots = Vec::new();
        for (i, r) in regions.iter().enumerate() {
            match r.parent {
                Some(p) => children.entry(p).or_default().push(i),
                None => roots.push(i),
            }
        }
        let mut special = HashMap::new();
        for row in parse_rows(
            "regions_special.tsv",
            include_str!("../../assets/reference/regions_special.tsv"),
        ) {
            let kind = match row.get(3).copied() {
                Some("municipality_container") => SpecialKind::MunicipalityContainer,
                Some("directly_administered_container") => {
                    SpecialKind::DirectlyAdministeredContainer
                }
                Some("no_county_level") => SpecialKind::NoCountyLevel,
                other => panic!("regions_special.tsv: unknown kind {other:?}"),
            };
            let idx = by_code
                .get(row[0])
                .unwrap_or_else(|| panic!("regions_special.tsv: unknown code {}", row[0]));
            let code = regions[*idx].code;
            special.insert(code, kind);
        }
        let mut ethnic_forms: Vec<String> = super::dict::ethnic_groups()
            .names()
            .into_iter()
            .filter_map(|n| n.strip_suffix('族').map(|stem| (n, stem)))
            .flat_map(|(full, stem)| {
                // Region names drop 族 for some peoples (伊犁哈萨克自治州); one-character
                // stems like 回 are too likely to be part of a place name to strip bare.
                let bare = (stem.chars().count() >= 2).then(|| stem.to_string());
                std::iter::once(full.to_string()).chain(bare)
            })
            .collect();
        ethnic_forms.sort_by_key(|f| std::cmp::Reverse(f.chars().count()));
        Data {
            regions,
            by_code,
            children,
            roots,
            special,
            ethnic_forms,
        }
    })
}

/// The region with this code, if any.
pub fn by_code(code: &str) -> Option<&'static Region> {
    let d = data();
    d.by_code.get(code).map(|&i| &d.regions[i])
}

/// Children of `parent` in code order; `None` gives the 31 mainland provinces followed by
/// 台湾省, 香港 and 澳门 (which have no children).
pub fn children(parent: Option<&str>) -> Vec<&'static Region> {
    let d = data();
    let idx = match parent {
        None => Some(&d.roots),
        Some(p) => d.children.get(p),
    };
    idx.map(|v| v.iter().map(|&i| &d.regions[i]).collect())
        .unwrap_or_default()
}

/// The 31 mainland provinces, autonomous regions and municipalities (those with children).
pub fn provinces() -> Vec<&'static Region> {
    children(None)
        .into_iter()
        .filter(|r| !children(Some(r.code)).is_empty())
        .collect()
}

/// How a second-level row is special, if it is.
pub fn special_kind(code: &str) -> Option<SpecialKind> {
    data().special.get(code).copied()
}

fn is_container(code: &str) -> bool {
    matches!(
        special_kind(code),
        Some(SpecialKind::MunicipalityContainer | SpecialKind::DirectlyAdministeredContainer)
    )
}

/// Display name from the province down, e.g. "山东省 济南市 历下区". Containers are left out
/// ("北京市 东城区", "河南省 济源市"); an unknown code is returned unchanged.
pub fn full_name(code: &str) -> String {
    let mut parts = Vec::new();
    let mut cur = by_code(code);
    while let Some(r) = cur {
        if !is_container(r.code) {
            parts.push(r.name);
        }
        cur = r.parent.and_then(by_code);
    }
    if parts.is_empty() {
        return code.to_string();
    }
    parts.reverse();
    parts.join(" ")
}

/// The province/city/county codes above a county-level or second-level code.
pub fn path_of(code: &str) -> Option<RegionPath> {
    let r = by_code(code)?;
    match r.level {
        3 => {
            let city = by_code(r.parent?)?;
            Some(RegionPath {
                province: city.parent?.to_string(),
                city: city.code.to_string(),
                county: Some(r.code.to_string()),
            })
        }
        2 => Some(RegionPath {
            province: r.parent?.to_string(),
            city: r.code.to_string(),
            county: None,
        }),
        _ => None,
    }
}

/// JSON array `[{"code":"..","name":".."},…]` of the children of `parent` (provinces for
/// `None`), for the cascading select.
pub fn tree_json(parent: Option<&str>) -> String {
    #[derive(serde::Serialize)]
    struct Node {
        code: &'static str,
        name: &'static str,
    }
    let nodes: Vec<Node> = children(parent)
        .into_iter()
        .map(|r| Node {
            code: r.code,
            name: r.name,
        })
        .collect();
    serde_json::to_string(&nodes).expect("serialising plain strings cannot fail")
}

/// Suffixes people add or leave out, longest first so that 壮族自治区 wins over 区.
const SUFFIXES: [&str; 19] = [
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "新区",
    "特区",
    "省",
    "市",
    "盟",
    "县",
    "区",
    "旗",
    "州",
];

/// `name` without its administrative suffix, if something is left. 州 is tried last and
/// only for input ("恩施州"); region names never lose it (杭州 must stay 杭州).
fn strip_suffix(name: &str, allow_zhou: bool) -> Option<&str> {
    SUFFIXES
        .iter()
        .filter(|s| allow_zhou || **s != "州")
        .find_map(|s| name.strip_suffix(s).filter(|rest| !rest.is_empty()))
}

/// The short forms a region is also known by: "济南" for 济南市, "恩施"/"恩施州" for
/// 恩施土家族苗族自治州, "东乡"/"东乡县" for 东乡族自治县.
fn short_keys(name: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let Some(base) = strip_suffix(name, false) else {
        return keys;
    };
    keys.push(base.to_string());
    let autonomous = ["自治州", "自治县", "自治旗", "自治区"]
        .into_iter()
        .find(|s| name.ends_with(s));
    if let Some(suffix) = autonomous {
        let mut stem = base;
        'strip: loop {
            for form in &data().ethnic_forms {
                if let Some(rest) = stem.strip_suffix(form.as_str())
                    && rest.chars().count() >= 2
                {
                    stem = rest;
                    continue 'strip;
                }
            }
            break;
        }
        if stem == base
            && let Some(rest) = base.strip_suffix('族')
            && rest.chars().count() >= 2
        {
            stem = rest;
        }
        keys.push(stem.to_string());
        // "恩施州", "石柱县", "鄂伦春旗": the everyday short names.
        let short_suffix = suffix.trim_start_matches("自治");
        if short_suffix != "区" {
            keys.push(format!("{stem}{short_suffix}"));
        }
    }
    keys.dedup();
    keys
}

fn is_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

enum Found {
    None,
    One(&'static Region),
    Many(Vec<&'static Region>),
}

/// Short forms of every region, computed once: imports match thousands of cells.
fn keys_of(r: &Region) -> &'static [String] {
    static KEYS: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    KEYS.get_or_init(|| {
        data()
            .regions
            .iter()
            .map(|r| (r.code, short_keys(r.name)))
            .collect()
    })
    .get(r.code)
    .map(Vec::as_slice)
    .unwrap_or_default()
}

/// How loosely `find` may match.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loose {
    /// Code or exact name only.
    Exact,
    /// Also short forms ("济南", "恩施州", "广西省").
    Short,
}

/// Matches `input` (already normalised, non-empty) against `candidates`: by code, then by
/// exact name, then by short forms. Within a tier two hits make the input ambiguous.
fn find_with(candidates: &[&'static Region], input: &str, loose: Loose) -> Found {
    let stripped = strip_suffix(input, true);
    let tiers: [&dyn Fn(&Region) -> bool; 3] = [
        &|r| is_code(input) && r.code == input,
        &|r| r.name == input,
        &|r| {
            loose == Loose::Short
                && keys_of(r)
                    .iter()
                    .any(|k| k == input || Some(k.as_str()) == stripped)
        },
    ];
    for tier in tiers {
        let hits: Vec<&'static Region> = candidates.iter().copied().filter(|r| tier(r)).collect();
        match hits.len() {
            0 => continue,
            1 => return Found::One(hits[0]),
            _ => return Found::Many(hits),
        }
    }
    Found::None
}

fn find(candidates: &[&'static Region], input: &str) -> Found {
    find_with(candidates, input, Loose::Short)
}

fn ambiguous(input: &str, hits: &[&'static Region]) -> String {
    let names: Vec<String> = hits
        .iter()
        .map(|r| format!("“{}”", full_name(r.code)))
        .collect();
    format!("“{input}”可能是{}，请填写完整名称", names.join("或"))
}

fn all_at_level(level: u8) -> Vec<&'static Region> {
    data().regions.iter().filter(|r| r.level == level).collect()
}

/// Error for a name that was not found under `place`: say so differently when it exists
/// somewhere else, since then the other fields are the likely mistake.
fn not_under(input: &str, place_code: &str, level: u8, field: &str) -> String {
    let place = full_name(place_code);
    match find(&all_at_level(level), input) {
        Found::One(r) => format!("“{}”不属于“{place}”，请检查所在区域{field}", r.name),
        Found::Many(hits) => format!("“{}”不属于“{place}”，请检查所在区域{field}", hits[0].name),
        Found::None => {
            let what = if level == 2 { "市" } else { "县" };
            format!("在“{place}”下找不到“{input}”，请检查所在区域{what}")
        }
    }
}

fn path(province: &Region, city: &Region, county: Option<&Region>) -> RegionPath {
    RegionPath {
        province: province.code.to_string(),
        city: city.code.to_string(),
        county: county.map(|c| c.code.to_string()),
    }
}

/// Resolved inputs kept per thread: an imported file repeats the same few regions on
/// every row, and resolving one (normalising, listing children, matching names) was the
/// largest part of checking a 附件2 row. Bounded (then started afresh) like the parsed
/// multi-choice cells in `dict`.
const RESOLVED_KEPT: usize = 1024;

/// A reused key buffer and the resolved inputs by key.
type Resolved = (String, HashMap<String, Result<RegionPath, String>>);

thread_local! {
    static RESOLVED: std::cell::RefCell<Resolved> =
        std::cell::RefCell::new((String::new(), HashMap::new()));
}

/// Resolves what a person typed or a form sent into codes. Each part may be a 6-digit code
/// or a name, with or without its suffix ("山东", "济南", "历下").
///
/// Municipalities accept the city as the municipality's name, 市辖区/县, or empty; county-level
/// units run directly by a province accept the city as their own name, as
/// 省直辖县级行政区划, or empty; cities without counties accept an empty county or the
/// city's own name. Names are matched within the chosen parent only.
pub fn resolve(province: &str, city: &str, county: &str) -> Result<RegionPath, String> {
    RESOLVED.with(|kept| {
        let mut kept = kept.borrow_mut();
        let (key, map) = &mut *kept;
        key.clear();
        // Each part behind its length, so no two inputs share a key.
        for part in [province, city, county] {
            key.push_str(&part.len().to_string());
            key.push(':');
            key.push_str(part);
        }
        if let Some(found) = map.get(key.as_str()) {
            return found.clone();
        }
        let found = resolve_uncached(province, city, county);
        if map.len() >= RESOLVED_KEPT {
            map.clear();
        }
        map.insert(key.clone(), found.clone());
        found
    })
}

fn resolve_uncached(province: &str, city: &str, county: &str) -> Result<RegionPath, String> {
    let (p_in, c_in, k_in) = (normalize(province), normalize(city), normalize(county));
    if p_in.is_empty() {
        return Err("请填写所在区域省".to_string());
    }
    let prov = match find(&children(None), &p_in) {
        Found::One(r) => r,
        Found::Many(hits) => return Err(ambiguous(&p_in, &hits)),
        Found::None => return Err(format!("找不到省份“{p_in}”")),
    };
    let seconds = children(Some(prov.code));
    if seconds.is_empty() {
        return Err(format!(
            "“{}”没有下级市、县数据，所在区域请选择内地的省、市、县",
            prov.name
        ));
    }
    let containers: Vec<&'static Region> = seconds
        .iter()
        .copied()
        .filter(|r| special_kind(r.code) == Some(SpecialKind::MunicipalityContainer))
        .collect();
    if !containers.is_empty() {
        return resolve_municipality(prov, &containers, &c_in, &k_in);
    }
    let direct = seconds
        .iter()
        .copied()
        .find(|r| special_kind(r.code) == Some(SpecialKind::DirectlyAdministeredContainer));
    let direct_units = direct.map(|d| children(Some(d.code))).unwrap_or_default();

    if c_in.is_empty() {
        // The template allows leaving 市 empty for a directly administered unit.
        if let (Some(d), false) = (direct, k_in.is_empty())
            && let Found::One(unit) = find(&direct_units, &k_in)
        {
            return Ok(path(prov, d, Some(unit)));
        }
        return Err("请填写所在区域市".to_string());
    }
    let city = match find(&seconds, &c_in) {
        Found::One(r) => r,
        Found::Many(hits) => return Err(ambiguous(&c_in, &hits)),
        Found::None => match direct {
            Some(d) if c_in.contains("直辖") || c_in.contains("直管") => d,
            Some(d) => {
                // City written as the directly administered unit itself (济源市); the county
                // may then be empty or repeat it.
                let Found::One(unit) = find(&direct_units, &c_in) else {
                    return Err(city_not_found(prov, &c_in));
                };
                if k_in.is_empty() || matches!(find(&[unit], &k_in), Found::One(_)) {
                    return Ok(path(prov, d, Some(unit)));
                }
                return Err(not_under(&k_in, unit.code, 3, "市/县"));
            }
            None => return Err(city_not_found(prov, &c_in)),
        },
    };
    let counties = children(Some(city.code));
    if counties.is_empty() {
        // No county level (东莞 etc.): empty or the city's own name both mean "none".
        if k_in.is_empty() || matches!(find(&[city], &k_in), Found::One(_)) {
            return Ok(path(prov, city, None));
        }
        return Err(format!(
            "{}（{}不设县级区划，所在区域县请留空）",
            not_under(&k_in, city.code, 3, "市/县"),
            city.name
        ));
    }
    if k_in.is_empty() {
        return Err("请填写所在区域县".to_string());
    }
    // "南昌市"/"南昌" in the county field most likely repeats the city, so it must not be
    // read as 南昌县 through the short-form match; only an exact county name counts then.
    let repeats_city = matches!(find(&[city], &k_in), Found::One(_))
        && matches!(find_with(&counties, &k_in, Loose::Exact), Found::None);
    if repeats_city {
        return Err(format!(
            "请填写所在区域县（“{k_in}”与所在区域市“{}”同名，请填写其下区、县或县级市的完整名称）",
            city.name
        ));
    }
    match find(&counties, &k_in) {
        Found::One(c) => Ok(path(prov, city, Some(c))),
        Found::Many(hits) => Err(ambiguous(&k_in, &hits)),
        Found::None => Err(not_under(&k_in, city.code, 3, "市/县")),
    }
}

/// City not among the province's second-level units; if it names one of the province's
/// counties, say which city to write instead.
fn city_not_found(prov: &Region, c_in: &str) -> String {
    let counties: Vec<&'static Region> = children(Some(prov.code))
        .into_iter()
        .flat_map(|c| children(Some(c.code)))
        .collect();
    if let Found::One(county) = find(&counties, c_in)
        && let Some(parent) = county.parent.and_then(by_code)
    {
        return format!(
            "“{}”是区县，所在区域市应填写“{}”，所在区域县填写“{}”",
            county.name, parent.name, county.name
        );
    }
    not_under(c_in, prov.code, 2, "省/市")
}

/// 北京/天津/上海/重庆: the city field is only a container, so the county decides. All
/// containers are searched because people confuse 重庆's 市辖区 and 县.
fn resolve_municipality(
    prov: &'static Region,
    containers: &[&'static Region],
    c_in: &str,
    k_in: &str,
) -> Result<RegionPath, String> {
    let counties: Vec<&'static Region> = containers
        .iter()
        .flat_map(|c| children(Some(c.code)))
        .collect();
    let in_county = |k: &str| -> Result<RegionPath, String> {
        match find(&counties, k) {
            Found::One(c) => {
                let container = c.parent.and_then(by_code).expect("county has a parent");
                Ok(path(prov, container, Some(c)))
            }
            Found::Many(hits) => Err(ambiguous(k, &hits)),
            Found::None => Err(not_under(k, prov.code, 3, "市/县")),
        }
    };
    let city_is_container = c_in.is_empty()
        || matches!(find(&[prov], c_in), Found::One(_))
        || !matches!(find(containers, c_in), Found::None);
    if city_is_container {
        if k_in.is_empty() {
            return Err("请填写所在区域县".to_string());
        }
        return in_county(k_in);
    }
    // The district typed into the city field (北京 / 东城区 / empty or 东城区 again).
    if let Found::One(c) = find(&counties, c_in)
        && (k_in.is_empty() || matches!(find(&[c], k_in), Found::One(_)))
    {
        return in_county(c_in);
    }
    Err(not_under(c_in, prov.code, 2, "省/市"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str, c: &str, k: &str) -> (String, String, Option<String>) {
        let r = resolve(p, c, k).unwrap_or_else(|e| panic!("{p}/{c}/{k}: {e}"));
        (r.province, r.city, r.county)
    }

    fn triple(p: &str, c: &str, k: Option<&str>) -> (String, String, Option<String>) {
        (p.to_string(), c.to_string(), k.map(str::to_string))
    }

    #[test]
    fn counts() {
        let d = data();
        let level = |l| d.regions.iter().filter(|r| r.level == l).count();
        assert_eq!(level(1), 34);
        assert_eq!(level(2), 342);
        assert_eq!(level(3), 2846);
        assert_eq!(provinces().len(), 31);
        let roots = children(None);
        assert_eq!(roots.len(), 34);
        assert_eq!(roots[0].code, "110000");
        assert_eq!(roots[30].code, "650000");
        let tail: Vec<&str> = roots[31..].iter().map(|r| r.name).collect();
        assert_eq!(tail, ["台湾省", "香港特别行政区", "澳门特别行政区"]);
        assert!(
            roots[31..]
                .iter()
                .all(|r| children(Some(r.code)).is_empty())
        );
        assert_eq!(d.special.len(), 13);
    }

    #[test]
    fn data_is_consistent() {
        for r in &data().regions {
            match r.parent {
                None => assert_eq!(r.level, 1),
                Some(p) => {
                    let parent = by_code(p).unwrap();
                    assert_eq!(parent.level + 1, r.level, "{}", r.code);
                    let shared = if r.level == 2 { 2 } else { 4 };
                    assert_eq!(r.code[..shared], p[..shared], "{}", r.code);
                }
            }
        }
        for p in provinces() {
            assert!(!children(Some(p.code)).is_empty());
        }
        // Every second-level unit without children is one of the special cases.
        for r in data().regions.iter().filter(|r| r.level == 2) {
            if children(Some(r.code)).is_empty() {
                assert_eq!(special_kind(r.code), Some(SpecialKind::NoCountyLevel));
            }
        }
    }

    #[test]
    fn spot_checks() {
        let check = |code, name, parent| {
            let r = by_code(code).unwrap();
            assert_eq!((r.name, r.parent), (name, parent), "{code}");
        };
        check("110101", "东城区", Some("110100"));
        check("440300", "深圳市", Some("440000"));
        check("220302", "铁西区", Some("220300"));
        check("220300", "四平市", Some("220000"));
        check("370000", "山东省", None);
        check("419001", "济源市", Some("419000"));
        check("429021", "神农架林区", Some("429000"));
        check("659012", "白杨市", Some("659000"));
        check("653229", "和安县", Some("653200"));
        check("460302", "西沙区", Some("460300"));
        check("810000", "香港特别行政区", None);
        assert_eq!(by_code("999999"), None);
        assert_eq!(
            special_kind("500200"),
            Some(SpecialKind::MunicipalityContainer)
        );
        assert_eq!(
            special_kind("659000"),
            Some(SpecialKind::DirectlyAdministeredContainer)
        );
        assert_eq!(special_kind("441900"), Some(SpecialKind::NoCountyLevel));
        assert_eq!(special_kind("370100"), None);
    }

    #[test]
    fn full_names() {
        assert_eq!(full_name("370102"), "山东省 济南市 历下区");
        assert_eq!(full_name("110101"), "北京市 东城区");
        assert_eq!(full_name("110100"), "北京市");
        assert_eq!(full_name("500229"), "重庆市 城口县");
        assert_eq!(full_name("419001"), "河南省 济源市");
        assert_eq!(full_name("441900"), "广东省 东莞市");
        assert_eq!(full_name("370000"), "山东省");
        assert_eq!(full_name("123456"), "123456");
    }

    #[test]
    fn paths() {
        assert_eq!(
            path_of("370102"),
            Some(RegionPath {
                province: "370000".into(),
                city: "370100".into(),
                county: Some("370102".into()),
            })
        );
        assert_eq!(path_of("441900").unwrap().county, None);
        assert_eq!(path_of("441900").unwrap().province, "440000");
        assert_eq!(path_of("419001").unwrap().city, "419000");
        assert_eq!(path_of("370000"), None);
        assert_eq!(path_of("x"), None);
    }

    #[test]
    fn tree_json_shape() {
        let v: serde_json::Value = serde_json::from_str(&tree_json(None)).unwrap();
        let arr = v.as_array().unwrap();
        assert_eq!(arr.len(), 34);
        assert_eq!(
            arr[0],
            serde_json::json!({"code": "110000", "name": "北京市"})
        );
        let v: serde_json::Value = serde_json::from_str(&tree_json(Some("110100"))).unwrap();
        assert_eq!(
            v[0],
            serde_json::json!({"code": "110101", "name": "东城区"})
        );
        assert_eq!(tree_json(Some("441900")), "[]");
        assert_eq!(tree_json(Some("nope")), "[]");
    }

    #[test]
    fn short_keys_examples() {
        assert_eq!(short_keys("济南市"), ["济南"]);
        assert_eq!(short_keys("广西壮族自治区"), ["广西"]);
        assert_eq!(
            short_keys("恩施土家族苗族自治州"),
            ["恩施土家族苗族", "恩施", "恩施州"]
        );
        assert_eq!(
            short_keys("伊犁哈萨克自治州"),
            ["伊犁哈萨克", "伊犁", "伊犁州"]
        );
        assert_eq!(short_keys("东乡族自治县"), ["东乡族", "东乡", "东乡县"]);
        assert_eq!(short_keys("鄂伦春自治旗"), ["鄂伦春", "鄂伦春旗"]);
        assert_eq!(short_keys("杭州市"), ["杭州"]);
        assert_eq!(short_keys("六枝特区"), ["六枝"]);
        assert!(short_keys("市").is_empty());
    }

    #[test]
    fn ordinary_names_codes_and_suffixes() {
        let want = triple("370000", "370100", Some("370102"));
        assert_eq!(ok("山东省", "济南市", "历下区"), want);
        assert_eq!(ok("山东", "济南", "历下"), want);
        assert_eq!(ok(" 山东省 ", "济南 市", "历下区\n"), want);
        assert_eq!(ok("370000", "370100", "370102"), want);
        assert_eq!(ok("山东", "370100", "历下区"), want);
        assert_eq!(
            ok("广西", "南宁", "青秀区"),
            triple("450000", "450100", Some("450103"))
        );
        assert_eq!(ok("内蒙古", "呼和浩特", "新城区").0, "150000");
        assert_eq!(
            ok("新疆", "和田地区", "和安县").2.as_deref(),
            Some("653229")
        );
        assert_eq!(ok("新疆", "和田", "和安").2.as_deref(), Some("653229"));
        assert_eq!(ok("宁夏", "银川", "兴庆区").0, "640000");
        assert_eq!(ok("湖北省", "恩施土家族苗族自治州", "利川市").1, "422800");
        assert_eq!(ok("湖北", "恩施州", "利川").1, "422800");
        assert_eq!(ok("湖北", "恩施", "利川市").2.as_deref(), Some("422802"));
        assert_eq!(
            ok("湖北省", "宜昌市", "夷陵区").2.as_deref(),
            Some("420506")
        );
        assert_eq!(ok("广西省", "南宁市", "青秀区").0, "450000");
        // A county since turned into a district, under its old name.
        assert_eq!(ok("江苏", "南京", "江宁县").2.as_deref(), Some("320115"));
    }

    #[test]
    fn tiexi_is_matched_within_its_parent() {
        assert_eq!(
            ok("吉林省", "四平市", "铁西区"),
            triple("220000", "220300", Some("220302"))
        );
        let shenyang = ok("辽宁省", "沈阳市", "铁西区");
        assert_eq!(shenyang.1, "210100");
        assert_eq!(
            by_code(shenyang.2.as_deref().unwrap()).unwrap().name,
            "铁西区"
        );
        assert_eq!(
            resolve("吉林省", "长春市", "铁西区").unwrap_err(),
            "“铁西区”不属于“吉林省 长春市”，请检查所在区域市/县"
        );
        assert_eq!(
            resolve("吉林省", "长春市", "220302").unwrap_err(),
            "“铁西区”不属于“吉林省 长春市”，请检查所在区域市/县"
        );
        assert_eq!(
            resolve("吉林省", "长春市", "不存在区").unwrap_err(),
            "在“吉林省 长春市”下找不到“不存在区”，请检查所在区域县"
        );
    }

    #[test]
    fn municipalities() {
        let want = triple("110000", "110100", Some("110101"));
        for city in ["北京市", "北京", "市辖区", "", "110100", "110000"] {
            assert_eq!(ok("北京市", city, "东城区"), want, "{city}");
        }
        assert_eq!(ok("北京", "北京", "东城"), want);
        assert_eq!(ok("北京", "东城区", ""), want);
        assert_eq!(ok("北京", "东城区", "东城区"), want);
        assert_eq!(ok("上海", "上海市", "浦东新区").1, "310100");
        assert_eq!(ok("上海", "", "浦东").2.as_deref(), Some("310115"));
        assert_eq!(ok("天津", "市辖区", "滨海新区").0, "120000");
        // 重庆's counties sit under 500200 县, its districts under 500100 市辖区.
        let chengkou = triple("500000", "500200", Some("500229"));
        for city in ["重庆市", "重庆", "", "县", "市辖区"] {
            assert_eq!(ok("重庆", city, "城口县"), chengkou, "{city}");
        }
        assert_eq!(ok("重庆市", "重庆市", "城口"), chengkou);
        assert_eq!(ok("重庆市", "", "石柱县").2.as_deref(), Some("500240"));
        assert_eq!(
            ok("重庆", "重庆市", "渝中区"),
            triple("500000", "500100", Some("500103"))
        );
        assert_eq!(resolve("北京", "北京", "").unwrap_err(), "请填写所在区域县");
        assert_eq!(
            resolve("北京", "北京", "铁西区").unwrap_err(),
            "“铁西区”不属于“北京市”，请检查所在区域市/县"
        );
    }

    #[test]
    fn directly_administered_units() {
        let jiyuan = triple("410000", "419000", Some("419001"));
        for (c, k) in [
            ("济源市", "济源市"),
            ("济源市", ""),
            ("济源", "济源"),
            ("省直辖县级行政区划", "济源市"),
            ("419000", "419001"),
            ("", "济源市"),
            ("省直辖县", "济源"),
        ] {
            assert_eq!(ok("河南省", c, k), jiyuan, "{c}/{k}");
        }
        let xiantao = triple("420000", "429000", Some("429004"));
        assert_eq!(ok("湖北省", "仙桃市", ""), xiantao);
        assert_eq!(ok("湖北", "仙桃", "仙桃市"), xiantao);
        assert_eq!(ok("湖北省", "省直辖县级行政区划", "仙桃市"), xiantao);
        assert_eq!(ok("湖北", "神农架林区", "").2.as_deref(), Some("429021"));
        assert_eq!(ok("湖北", "神农架", "").2.as_deref(), Some("429021"));
        assert_eq!(ok("海南", "琼海市", "琼海市").2.as_deref(), Some("469002"));
        assert_eq!(
            ok("海南省", "省直辖县级行政区划", "白沙黎族自治县")
                .2
                .as_deref(),
            Some("469025")
        );
        assert_eq!(ok("海南", "白沙县", "").2.as_deref(), Some("469025"));
        let baiyang = triple("650000", "659000", Some("659012"));
        assert_eq!(ok("新疆", "白杨市", ""), baiyang);
        assert_eq!(
            ok("新疆维吾尔自治区", "自治区直辖县级行政区划", "白杨市"),
            baiyang
        );
        assert_eq!(ok("新疆", "省直辖县级行政区划", "白杨"), baiyang);
        assert_eq!(
            resolve("河南省", "济源市", "洛阳市").unwrap_err(),
            "在“河南省 济源市”下找不到“洛阳市”，请检查所在区域县"
        );
        assert_eq!(
            resolve("河南省", "省直辖县级行政区划", "").unwrap_err(),
            "请填写所在区域县"
        );
    }

    #[test]
    fn cities_without_counties() {
        let dongguan = triple("440000", "441900", None);
        assert_eq!(ok("广东省", "东莞市", ""), dongguan);
        assert_eq!(ok("广东", "东莞", "东莞市"), dongguan);
        assert_eq!(ok("广东", "东莞市", "东莞"), dongguan);
        assert_eq!(ok("广东", "441900", "441900"), dongguan);
        assert_eq!(ok("广东", "中山市", "").1, "442000");
        assert_eq!(ok("海南", "儋州市", "儋州市").1, "460400");
        assert_eq!(ok("甘肃", "嘉峪关市", ""), triple("620000", "620200", None));
        assert_eq!(ok("甘肃省", "嘉峪关", "嘉峪关市").2, None);
        let err = resolve("广东", "东莞市", "南山区").unwrap_err();
        assert!(err.starts_with("“南山区”不属于“广东省 东莞市”"), "{err}");
        assert!(err.contains("所在区域县请留空"), "{err}");
    }

    #[test]
    fn kept_results_are_told_apart_by_each_part() {
        // The same text split differently across the three parts is a different input.
        for _ in 0..2 {
            assert_eq!(
                resolve("吉林省", "长春市", "").unwrap_err(),
                "请填写所在区域县"
            );
            assert_eq!(
                resolve("吉林省长春市", "", "").unwrap_err(),
                "找不到省份“吉林省长春市”"
            );
            assert_eq!(
                resolve("吉林省", "长春市", "南关区").unwrap(),
                resolve_uncached("吉林省", "长春市", "南关区").unwrap()
            );
        }
    }

    #[test]
    fn errors() {
        assert_eq!(resolve("", "", "").unwrap_err(), "请填写所在区域省");
        assert_eq!(resolve("火星", "", "").unwrap_err(), "找不到省份“火星”");
        assert_eq!(
            resolve("山东", "", "历下区").unwrap_err(),
            "请填写所在区域市"
        );
        assert_eq!(resolve("山东", "济南", "").unwrap_err(), "请填写所在区域县");
        assert!(
            resolve("山东", "济南市", "济南市")
                .unwrap_err()
                .starts_with("请填写所在区域县")
        );
        // Repeating the city must not be taken for the same-named county.
        for county in ["南昌市", "南昌", "360100"] {
            assert!(
                resolve("江西", "南昌市", county)
                    .unwrap_err()
                    .contains("与所在区域市“南昌市”同名"),
                "{county}"
            );
        }
        assert_eq!(ok("江西", "南昌市", "南昌县").2.as_deref(), Some("360121"));
        assert_eq!(ok("江苏", "淮安市", "淮安区").2.as_deref(), Some("320803"));
        assert!(resolve("江苏", "淮安市", "淮安市").is_err());
        assert_eq!(
            resolve("山东", "长春市", "朝阳区").unwrap_err(),
            "“长春市”不属于“山东省”，请检查所在区域省/市"
        );
        assert_eq!(
            resolve("山东", "月亮市", "").unwrap_err(),
            "在“山东省”下找不到“月亮市”，请检查所在区域市"
        );
        assert_eq!(
            resolve("山东", "历下区", "").unwrap_err(),
            "“历下区”是区县，所在区域市应填写“济南市”，所在区域县填写“历下区”"
        );
        assert!(resolve("香港", "", "").unwrap_err().contains("内地"));
    }

    #[test]
    fn ambiguous_short_names() {
        // List siblings whose short forms collide; such inputs must be reported, not guessed.
        let mut clashes = Vec::new();
        for parent in data().regions.iter().filter(|r| r.level < 3) {
            let kids = children(Some(parent.code));
            for (i, a) in kids.iter().enumerate() {
                for b in &kids[i + 1..] {
                    let ka = short_keys(a.name);
                    if short_keys(b.name).iter().any(|k| ka.contains(k)) {
                        clashes.push((a.code, b.code));
                    }
                }
            }
        }
        assert!(
            !clashes.is_empty(),
            "the data has some, e.g. X县 beside X区"
        );
        for (a, b) in &clashes {
            let (ra, rb) = (by_code(a).unwrap(), by_code(b).unwrap());
            let p = path_of(a).unwrap();
            let key = short_keys(ra.name)
                .into_iter()
                .find(|k| short_keys(rb.name).contains(k))
                .unwrap();
            let result = if ra.level == 3 {
                resolve(&p.province, &p.city, &key)
            } else {
                resolve(&p.province, &key, "")
            };
            let err = result.unwrap_err();
            assert!(err.contains("完整名称"), "{key}: {err}");
            // Full names still work.
            if ra.level == 3 {
                assert_eq!(
                    resolve(&p.province, &p.city, ra.name)
                        .unwrap()
                        .county
                        .as_deref(),
                    Some(ra.code)
                );
            }
        }
    }
}
