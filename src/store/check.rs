//! `kezhi check`: read every record back and check that indexes and records agree.

use super::codec::decode;
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::account::Admin;
use crate::domain::people::{Organization, Volunteer, org_name_key};
use redb::{ReadableDatabase, ReadableTableMetadata};

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub schema_version: u32,
    pub admins: u64,
    pub volunteers: u64,
    pub organizations: u64,
    pub changes: u64,
    pub audit: u64,
    /// Problems, each a Chinese sentence.
    pub problems: Vec<String>,
}

impl Store {
    /// Decode every record and cross-check the unique indexes.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        self.read(check_tx)
    }
}

/// `kezhi check` on a data file opened read-only: works on a read-only folder or medium,
/// and beside a running server (which opens the file in single-writer mode). Nothing is
/// written, so a file of an older schema is checked as it is.
pub fn check_file(path: &std::path::Path) -> Result<CheckReport, StoreError> {
    let db = redb::Database::builder()
        .set_concurrency_mode(redb::ConcurrencyMode::SingleWriter)
        .open_read_only(path)?;
    let tx = db.begin_read()?;
    let found = super::migrate::stored_version_read(&tx)?;
    let supported = super::migrate::SCHEMA_VERSION;
    if let Some(found) = found.filter(|v| *v > supported) {
        return Err(StoreError::NewerSchema { found, supported });
    }
    let mut report = check_tx(&tx)?;
    if let Some(found) = found {
        report.schema_version = found;
    }
    Ok(report)
}

fn check_tx(tx: &redb::ReadTransaction) -> Result<CheckReport, StoreError> {
    {
        {
            let mut r = CheckReport {
                schema_version: super::migrate::SCHEMA_VERSION,
                ..Default::default()
            };
            let admins = tx.open_table(ADMINS)?;
            let by_username = tx.open_table(USERNAME_ADMIN)?;
            for row in admins.range::<u128>(..)? {
                let (k, v) = row?;
                match decode::<Admin>(v.value()) {
                    Ok(a) => {
                        let indexed = by_username.get(a.username.as_str())?.map(|g| g.value());
                        if indexed != Some(k.value()) {
                            r.problems
                                .push(format!("管理员 {} 的用户名索引不一致", a.username));
                        }
                    }
                    Err(e) => r.problems.push(format!("管理员记录无法读取：{e}")),
                }
                r.admins += 1;
            }
            let vols = tx.open_table(VOLUNTEERS)?;
            let by_phone = tx.open_table(PHONE_VOLUNTEER)?;
            let by_idn = tx.open_table(IDNUMBER_VOLUNTEER)?;
            for row in vols.range::<u128>(..)? {
                let (k, v) = row?;
                match decode::<Volunteer>(v.value()) {
                    Ok(vol) => {
                        if by_phone.get(vol.phone.as_str())?.map(|g| g.value()) != Some(k.value()) {
                            r.problems
                                .push(format!("志愿者 {} 的手机号索引不一致", vol.id));
                        }
                        if by_idn.get(vol.id_number.as_str())?.map(|g| g.value()) != Some(k.value())
                        {
                            r.problems
                                .push(format!("志愿者 {} 的身份证号索引不一致", vol.id));
                        }
                    }
                    Err(e) => r.problems.push(format!("志愿者记录无法读取：{e}")),
                }
                r.volunteers += 1;
            }
            if by_phone.len()? != r.volunteers {
                r.problems.push("手机号索引的条数与志愿者数不一致".into());
            }
            let orgs = tx.open_table(ORGANIZATIONS)?;
            let by_name = tx.open_table(NAME_ORG)?;
            for row in orgs.range::<u128>(..)? {
                let (k, v) = row?;
                match decode::<Organization>(v.value()) {
                    Ok(o) => {
                        let key = org_name_key(&o.name);
                        if by_name.get(key.as_str())?.map(|g| g.value()) != Some(k.value()) {
                            r.problems.push(format!("组织 {} 的名称索引不一致", o.id));
                        }
                    }
                    Err(e) => r.problems.push(format!("组织记录无法读取：{e}")),
                }
                r.organizations += 1;
            }
            super::indexes::check_tx(tx, &mut r.problems)?;
            r.changes = tx.open_table(CHANGES)?.len()?;
            r.audit = tx.open_table(AUDIT)?.len()?;
            Ok(r)
        }
    }
}
