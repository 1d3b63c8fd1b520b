//! Export for later upload (导出上报): the official forms filled from the store — all,
//! everything changed since the last export (a watermark per form kept in settings), a
//! region, or a team — with every export written to the audit log.

use crate::domain::ids::Gid;
use crate::domain::people::{MembershipState, Team, Volunteer};
use crate::exchange::columns::Form;
use crate::exchange::export::{self, IdNumbers};
use crate::exchange::template::RowValues;
use crate::store::{ChangeKind, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};

/// Which records an export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Changed since the last All / SinceLast export of this form.
    SinceLast,
    /// Inside a region (province, city or county code).
    Region(String),
    /// A team's approved members (volunteers) or the team itself (teams).
    Team(Gid),
}

/// A finished export.
pub struct Exported {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub count: usize,
}

fn watermark_key(form: Form) -> &'static str {
    match form {
        Form::Teams => "export.watermark.teams",
        Form::Volunteers => "export.watermark.volunteers",
    }
}

fn kind(form: Form) -> ChangeKind {
    match form {
        Form::Teams => ChangeKind::Team,
        Form::Volunteers => ChangeKind::Volunteer,
    }
}

/// The changes-log position of the last full export of `form`.
pub fn watermark(store: &Store, form: Form) -> Result<u64, StoreError> {
    Ok(store
        .setting(watermark_key(form))?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// How many records of `form` changed since its last export ("N 条尚未导出").
pub fn pending(store: &Store, form: Form) -> Result<usize, StoreError> {
    Ok(store
        .changed_ids(kind(form), watermark(store, form)?)?
        .len())
}

fn in_region(r: &crate::domain::regions::RegionPath, code: &str) -> bool {
    r.province == code || r.city == code || r.county.as_deref() == Some(code)
}

/// What to export, for whom.
pub struct ExportRequest<'a> {
    pub form: Form,
    pub scope: Scope,
    pub ids: IdNumbers,
    /// The unit's name, for the file name.
    pub site: &'a str,
    pub today: NaiveDate,
    /// Who exports, from where (audit log).
    pub actor: (&'a str, &'a str),
    pub now: DateTime<Utc>,
}

/// Build the export and write its audit entry; an All / SinceLast export moves the
/// watermark to the changes-log position it covered.
pub fn export(store: &Store, req: &ExportRequest) -> Result<Exported, StoreError> {
    let ExportRequest {
        form,
        ref scope,
        ids,
        ..
    } = *req;
    let up_to = store.last_change()?;
    let (bytes, count) = match form {
        Form::Volunteers => {
            let list: Vec<Volunteer> = match scope {
                Scope::All => {
                    let (bytes, count) = all_volunteers_xlsx(store, ids)?;
                    return finish(store, req, up_to, bytes, count);
                }
                Scope::SinceLast => {
                    let mut v = Vec::new();
                    for id in store.changed_ids(ChangeKind::Volunteer, watermark(store, form)?)? {
                        if let Some(x) = store.volunteer(id)? {
                            v.push(x);
                        }
                    }
                    v
                }
                Scope::Region(code) => store
                    .volunteers()?
                    .into_iter()
                    .filter(|v| in_region(&v.region, code))
                    .collect(),
                Scope::Team(t) => store
                    .members_of(*t)?
                    .into_iter()
                    .filter(|m| m.membership.state == MembershipState::Approved)
                    .map(|m| m.volunteer)
                    .collect(),
            };
            let bytes = export::volunteers_xlsx(&list, ids).map_err(StoreError::Db)?;
            (bytes, list.len())
        }
        Form::Teams => {
            let list: Vec<Team> = match scope {
                Scope::All => store.teams()?,
                Scope::SinceLast => {
                    let mut v = Vec::new();
                    for id in store.changed_ids(ChangeKind::Team, watermark(store, form)?)? {
                        if let Some(x) = store.team(id)? {
                            v.push(x);
                        }
                    }
                    v
                }
                Scope::Region(code) => store
                    .teams()?
                    .into_iter()
                    .filter(|o| in_region(&o.region, code))
                    .collect(),
                Scope::Team(t) => store.team(*t)?.into_iter().collect(),
            };
            let bytes = export::teams_xlsx(&list).map_err(StoreError::Db)?;
            (bytes, list.len())
        }
    };
    finish(store, req, up_to, bytes, count)
}

/// Every stored volunteer as 附件2, read and made into rows on a second thread while this
/// one writes the sheet: reading and decoding 100,000 records and making their rows was
/// about a tenth of the export, and need not wait for the sheet's writer (nor hold every
/// record at once).
fn all_volunteers_xlsx(store: &Store, ids: IdNumbers) -> Result<(Vec<u8>, usize), StoreError> {
    const BATCH: usize = 1024;
    std::thread::scope(|scope| {
        let (count_send, count_recv) = std::sync::mpsc::sync_channel::<usize>(1);
        let (send, batches) = std::sync::mpsc::sync_channel::<Vec<RowValues>>(4);
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut stopped = false;
            store.for_each_volunteer_counted(
                |n| {
                    let _ = count_send.send(n);
                },
                |v| {
                    if stopped {
                        return;
                    }
                    batch.push(export::volunteer_row(&v, ids));
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        stopped = send.send(full).is_err();
                    }
                },
            )?;
            if !batch.is_empty() {
                let _ = send.send(batch);
            }
            Ok::<(), StoreError>(())
        });
        let count = count_recv.recv();
        let mut pending = Vec::new().into_iter();
        let mut short = false;
        let bytes = match count {
            Ok(count) => Some(export::volunteers_xlsx_from(count, || {
                loop {
                    if let Some(row) = pending.next() {
                        return row;
                    }
                    match batches.recv() {
                        Ok(batch) => pending = batch.into_iter(),
                        Err(_) => {
                            short = true;
                            return RowValues::new();
                        }
                    }
                }
            })),
            Err(_) => None,
        };
        drop(batches);
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        match (bytes, count) {
            (Some(bytes), Ok(count)) if !short => Ok((bytes.map_err(StoreError::Db)?, count)),
            _ => Err(StoreError::Db(
                "export: the volunteers read were not the number counted".into(),
            )),
        }
    })
}

/// Move the watermark of a full export and write the audit entry.
fn finish(
    store: &Store,
    req: &ExportRequest,
    up_to: u64,
    bytes: Vec<u8>,
    count: usize,
) -> Result<Exported, StoreError> {
    let ExportRequest {
        form,
        ref scope,
        ids,
        site,
        today,
        actor,
        now,
    } = *req;
    if matches!(scope, Scope::All | Scope::SinceLast) {
        store.set_setting(watermark_key(form), &up_to.to_string())?;
    }
    let scope_text = match scope {
        Scope::All => "全部".to_string(),
        Scope::SinceLast => "上次导出后变更的".to_string(),
        Scope::Region(c) => format!("区域 {}", crate::domain::regions::full_name(c)),
        Scope::Team(t) => format!("组织 {t}"),
    };
    super::audit::record(
        store,
        actor,
        now,
        &format!(
            "export.{}",
            if form == Form::Teams {
                "teams"
            } else {
                "volunteers"
            }
        ),
        format!(
            "导出{}（{scope_text}）{}",
            form.attachment(),
            if ids == IdNumbers::Full {
                "，含完整身份证号"
            } else {
                "，身份证号已隐去"
            }
        ),
        count as u64,
    )?;
    Ok(Exported {
        bytes,
        file_name: export::file_name(site, form, today),
        count,
    })
}
