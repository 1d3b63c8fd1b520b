//! Bringing laptops together: a complete bundle (.zip with a manifest, JSON Lines per
//! entity, photos and the two official forms) written from the store, full or since the
//! last bundle, and another laptop's bundle verified whole and merged.

use crate::domain::activity::{Activity, Signup};
use crate::domain::ids::Gid;
use crate::domain::people::{Membership, Team, Volunteer};
use crate::domain::record::{Certificate, Photo, Report};
use crate::exchange::bundle::{Bundle, BundleError, BundleWriter, Manifest};
use crate::exchange::columns::Form;
use crate::exchange::export::{self, IdNumbers};
use crate::store::merge::{AdminPhoneChange, MergeInput, MergeSummary};
use crate::store::{ChangeKind, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

const WATERMARK: &str = "export.watermark.bundle";

/// The Chinese name of an entity in a bundle.
pub fn entity_label(entity: &str) -> &'static str {
    match entity {
        "teams" => "组织",
        "volunteers" => "志愿者",
        "memberships" => "组织成员",
        "activities" => "活动",
        "signups" => "报名和时长",
        "reports" => "活动报道",
        "certificates" => "服务证明",
        "photos" => "照片",
        "demands" => "服务需求",
        _ => "其他",
    }
}

/// Why a bundle was not merged.
#[derive(Debug)]
pub enum MergeRefusal {
    Bundle(BundleError),
    Store(StoreError),
    /// The bundle moves teams to other admin phones and the admin has not confirmed it.
    /// Bundles carry hashes, not signatures: anyone can write one, so a change of who
    /// controls a team is shown before anything is stored.
    AdminPhonesChange(Vec<AdminPhoneChange>),
}

impl MergeRefusal {
    /// The message for the admin.
    pub fn message(&self) -> String {
        match self {
            MergeRefusal::Bundle(e) => e.message(),
            MergeRefusal::Store(e) => e.user_message(),
            MergeRefusal::AdminPhonesChange(changes) => format!(
                "这个数据包会更换 {} 个组织的管理员手机号，需要确认后才能合并：{}",
                changes.len(),
                changes
                    .iter()
                    .map(|c| format!("{}（{} → {}）", c.team, c.from, c.to))
                    .collect::<Vec<_>>()
                    .join("；")
            ),
        }
    }
}

/// The records changed after a changes-log position, read from the log once for every
/// kind (`None`: a whole bundle keeps every record).
struct Changed(Option<HashSet<(ChangeKind, Gid)>>);

impl Changed {
    fn since(store: &Store, after: Option<u64>) -> Result<Changed, StoreError> {
        Ok(Changed(match after {
            Some(a) => Some(
                store
                    .changes_since(a)?
                    .into_iter()
                    .map(|(_, c)| (c.kind, c.id))
                    .collect(),
            ),
            None => None,
        }))
    }

    fn keeps(&self, kind: ChangeKind, id: Gid) -> bool {
        self.0.as_ref().is_none_or(|s| s.contains(&(kind, id)))
    }
}

/// Which records a bundle carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct BundleScope<'a> {
    /// Only records changed after this changes-log sequence (`None`: everything).
    pub since: Option<u64>,
    /// Only volunteers of this region code (and their memberships, signups and
    /// certificates): a paired laptop limited to a region.
    pub region: Option<&'a str>,
    /// Include the two official forms (for people opening a USB bundle); a sync skips them.
    pub forms: bool,
}

/// A bundle written by [`write_bundle`]: where it went, how many records, and the changes
/// log sequence it covers up to.
pub struct Written<W> {
    pub out: W,
    pub records: u64,
    pub up_to: u64,
}

/// Whether a volunteer's region lies inside `scope` (a province, city or county code).
pub fn in_region(region: &crate::domain::regions::RegionPath, scope: &str) -> bool {
    region.province == scope || region.city == scope || region.county.as_deref() == Some(scope)
}

/// Write a bundle of the records in `scope` to `out` (a file, or memory for a sync).
pub fn write_bundle<W: std::io::Write + std::io::Seek>(
    store: &Store,
    site: &str,
    scope: BundleScope<'_>,
    now: DateTime<Utc>,
    out: W,
) -> Result<Written<W>, String> {
    let err = |e: StoreError| e.user_message();
    let since = scope.since;
    // Read the log position first: a record written while the bundle is being read is
    // then sent again next time rather than missed.
    let up_to = store.last_change().map_err(err)?;
    let changed = Changed::since(store, since).map_err(err)?;

    let all_volunteers = store.volunteers().map_err(err)?;
    let allowed: Option<HashSet<Gid>> = scope.region.map(|r| {
        all_volunteers
            .iter()
            .filter(|v| in_region(&v.region, r))
            .map(|v| v.id)
            .collect()
    });
    let may_send = |id: Gid| allowed.as_ref().is_none_or(|a| a.contains(&id));

    let teams: Vec<Team> = store
        .teams()
        .map_err(err)?
        .into_iter()
        .filter(|o| changed.keeps(ChangeKind::Team, o.id))
        .collect();
    let volunteers: Vec<Volunteer> = all_volunteers
        .into_iter()
        .filter(|v| may_send(v.id))
        .filter(|v| changed.keeps(ChangeKind::Volunteer, v.id))
        .collect();
    let memberships: Vec<Membership> = store
        .all_memberships()
        .map_err(err)?
        .into_iter()
        .filter(|m| may_send(m.volunteer))
        .filter(|m| changed.keeps(ChangeKind::Membership, m.id))
        .collect();
    let activities: Vec<Activity> = store
        .activities()
        .map_err(err)?
        .into_iter()
        .filter(|a| changed.keeps(ChangeKind::Activity, a.id))
        .collect();
    let signups: Vec<Signup> = store
        .all_signups()
        .map_err(err)?
        .into_iter()
        .filter(|s| may_send(s.volunteer))
        .filter(|s| changed.keeps(ChangeKind::Signup, s.id))
        .collect();
    let reports: Vec<Report> = store
        .all_reports()
        .map_err(err)?
        .into_iter()
        .filter(|r| changed.keeps(ChangeKind::Report, r.id))
        .collect();
    let certificates: Vec<Certificate> = store
        .all_certificates()
        .map_err(err)?
        .into_iter()
        .filter(|c| may_send(c.volunteer))
        .filter(|c| changed.keeps(ChangeKind::Certificate, c.id))
        .collect();

    let mut w = BundleWriter::new(out);
    let mut total = 0;
    let be = |e: BundleError| e.message();
    total += w.add_records("teams", &teams).map_err(be)?;
    total += w.add_records("volunteers", &volunteers).map_err(be)?;
    total += w.add_records("memberships", &memberships).map_err(be)?;
    total += w.add_records("activities", &activities).map_err(be)?;
    total += w.add_records("signups", &signups).map_err(be)?;
    total += w.add_records("reports", &reports).map_err(be)?;
    total += w
        .add_records("demands", Vec::<serde_json::Value>::new())
        .map_err(be)?;
    total += w.add_records("certificates", &certificates).map_err(be)?;
    let mut photo_ids: Vec<Gid> = activities.iter().filter_map(|a| a.cover_photo).collect();
    photo_ids.extend(reports.iter().flat_map(|r| r.photos.iter().copied()));
    photo_ids.sort();
    photo_ids.dedup();
    for id in photo_ids {
        if let Some(p) = store.photo(id).map_err(err)? {
            let meta = serde_json::json!({ "mime": p.mime, "created_at": p.created_at });
            w.add_file(&format!("photos/{id}"), &p.bytes).map_err(be)?;
            w.add_file(&format!("photos/{id}.json"), meta.to_string().as_bytes())
                .map_err(be)?;
        }
    }
    if scope.forms {
        let forms = [
            (Form::Teams, export::teams_xlsx(&teams)?),
            (
                Form::Volunteers,
                export::volunteers_xlsx(&volunteers, IdNumbers::Full)?,
            ),
        ];
        for (form, bytes) in forms {
            w.add_file(&form.file_name(), &bytes).map_err(be)?;
        }
    }
    let out = w
        .finish(Manifest {
            format: "kezhi-bundle".into(),
            format_version: 1,
            installation_id: store.installation_id().to_string(),
            installation_name: site.to_string(),
            kezhi_version: crate::VERSION.to_string(),
            // What the records need to be read, not this store's indexes.
            schema_version: crate::store::migrate::RECORDS_VERSION,
            created_at: now,
            since_sequence: since,
            up_to_sequence: up_to,
            counts: BTreeMap::new(),
            parts: BTreeMap::new(),
        })
        .map_err(be)?;
    Ok(Written {
        out,
        records: total,
        up_to,
    })
}

/// Write a bundle of the whole store (or what changed since the last bundle) to `output`.
/// Returns the number of records written.
pub fn export_bundle(
    store: &Store,
    site: &str,
    since_last: bool,
    actor: (&str, &str),
    now: DateTime<Utc>,
    output: &Path,
) -> Result<u64, String> {
    let err = |e: StoreError| e.user_message();
    let since = if since_last {
        Some(
            store
                .setting(WATERMARK)
                .map_err(err)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        )
    } else {
        None
    };
    let file =
        std::fs::File::create(output).map_err(|e| format!("无法写入 {}：{e}", output.display()))?;
    let written = write_bundle(
        store,
        site,
        BundleScope {
            since,
            region: None,
            forms: true,
        },
        now,
        file,
    )?;
    let (total, up_to) = (written.records, written.up_to);
    store
        .set_setting(WATERMARK, &up_to.to_string())
        .map_err(err)?;
    super::audit::record(
        store,
        actor,
        now,
        "export.bundle",
        format!(
            "导出数据包（{}），含完整身份证号",
            if since_last {
                "上次之后的变更"
            } else {
                "全部"
            }
        ),
        total,
    )
    .map_err(err)?;
    Ok(total)
}

/// Open a bundle, verify it whole and read every record and photo it carries.
pub fn read_bundle(
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(Manifest, MergeInput), MergeRefusal> {
    let mut b = Bundle::open(
        std::io::Cursor::new(bytes),
        crate::store::migrate::SCHEMA_VERSION,
    )
    .map_err(MergeRefusal::Bundle)?;
    let manifest = b.manifest().clone();
    let mut photos = Vec::new();
    for path in b.paths("photos/") {
        if path.ends_with(".json") {
            continue;
        }
        let Some(id) = path.trim_start_matches("photos/").parse::<Gid>().ok() else {
            continue;
        };
        let bytes = b.file(&path).map_err(MergeRefusal::Bundle)?;
        let mime = match crate::domain::record::sniff_image(&bytes) {
            Ok(m) => m.to_string(),
            Err(_) => continue,
        };
        photos.push(Photo {
            id,
            mime,
            bytes,
            created_at: now,
        });
    }
    let input = MergeInput {
        teams: b.records("teams").map_err(MergeRefusal::Bundle)?,
        volunteers: b.records("volunteers").map_err(MergeRefusal::Bundle)?,
        memberships: b.records("memberships").map_err(MergeRefusal::Bundle)?,
        activities: b.records("activities").map_err(MergeRefusal::Bundle)?,
        signups: b.records("signups").map_err(MergeRefusal::Bundle)?,
        reports: b.records("reports").map_err(MergeRefusal::Bundle)?,
        certificates: b.records("certificates").map_err(MergeRefusal::Bundle)?,
        photos,
        demands: b.records("demands").map_err(MergeRefusal::Bundle)?,
    };
    Ok((manifest, input))
}

/// Verify a bundle whole and merge it in one transaction.
/// With `admin_changes_confirmed` false, a bundle that changes any team's admin phone is
/// refused with the list of those teams, and nothing is stored.
pub fn merge_bundle(
    store: &Store,
    bytes: Vec<u8>,
    actor: (&str, &str),
    now: DateTime<Utc>,
    admin_changes_confirmed: bool,
) -> Result<(Manifest, MergeSummary), MergeRefusal> {
    let (manifest, input) = read_bundle(bytes, now)?;
    let admin_changes = store
        .admin_phone_changes(&input.teams)
        .map_err(MergeRefusal::Store)?;
    if !admin_changes.is_empty() && !admin_changes_confirmed {
        return Err(MergeRefusal::AdminPhonesChange(admin_changes));
    }
    let summary = store.merge(input, now).map_err(MergeRefusal::Store)?;
    let changed: usize = summary.values().map(|c| c.added + c.updated).sum();
    let conflicts: usize = summary.get("volunteers").map(|c| c.conflicts).unwrap_or(0);
    super::audit::record(
        store,
        actor,
        now,
        "merge",
        format!(
            "合并来自“{}”的数据包：新增或更新 {changed} 条，冲突 {conflicts} 条{}",
            manifest.installation_name,
            if admin_changes.is_empty() {
                String::new()
            } else {
                format!(
                    "；经确认更换管理员手机号的组织：{}",
                    admin_changes
                        .iter()
                        .map(|c| format!("{}（{} → {}）", c.team, c.from, c.to))
                        .collect::<Vec<_>>()
                        .join("、")
                )
            }
        ),
        changed as u64,
    )
    .map_err(MergeRefusal::Store)?;
    Ok((manifest, summary))
}
