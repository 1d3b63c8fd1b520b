//! Volunteers and teams, with their unique indexes (phone, ID number, team name) and
//! the admin-phone index that makes a volunteer a team's admin.

use super::changes::{self, ChangeKind};
use super::codec::{decode, encode};
use super::tables::*;
use super::{Store, StoreError};
use crate::domain::ids::Gid;
use crate::domain::people::{OrgStatus, Organization, Volunteer, org_name_key};
use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

/// A team as listed for its admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSummary {
    pub id: Gid,
    pub name: String,
    pub status: OrgStatus,
}

/// How many people records the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeopleCounts {
    pub volunteers: u64,
    pub organizations: u64,
}

fn insert_volunteer_tx(tx: &WriteTransaction, v: &Volunteer) -> Result<(), StoreError> {
    let mut by_phone = tx.open_table(PHONE_VOLUNTEER)?;
    if by_phone.get(v.phone.as_str())?.is_some() {
        return Err(StoreError::Taken("手机号"));
    }
    let mut by_id = tx.open_table(IDNUMBER_VOLUNTEER)?;
    if by_id.get(v.id_number.as_str())?.is_some() {
        return Err(StoreError::Taken("身份证号"));
    }
    by_phone.insert(v.phone.as_str(), v.id.0)?;
    by_id.insert(v.id_number.as_str(), v.id.0)?;
    tx.open_table(VOLUNTEERS)?
        .insert(v.id.0, encode(v).as_slice())?;
    changes::record_tx(tx, ChangeKind::Volunteer, v.id)?;
    Ok(())
}

fn insert_organization_tx(tx: &WriteTransaction, o: &Organization) -> Result<(), StoreError> {
    let key = org_name_key(&o.name);
    let mut by_name = tx.open_table(NAME_ORG)?;
    if by_name.get(key.as_str())?.is_some() {
        return Err(StoreError::Taken("组织名称"));
    }
    by_name.insert(key.as_str(), o.id.0)?;
    tx.open_table(ADMINPHONE_ORGS)?
        .insert((o.admin_phone.as_str(), o.id.0), ())?;
    tx.open_table(ORGANIZATIONS)?
        .insert(o.id.0, encode(o).as_slice())?;
    changes::record_tx(tx, ChangeKind::Organization, o.id)?;
    Ok(())
}

impl Store {
    /// Add a volunteer; `Taken` names the field if the phone or ID number is registered.
    pub fn insert_volunteer(&self, v: &Volunteer) -> Result<(), StoreError> {
        self.write(|tx| insert_volunteer_tx(tx, v))
    }

    /// A volunteer by id.
    pub fn volunteer(&self, id: Gid) -> Result<Option<Volunteer>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(VOLUNTEERS)?;
            Ok(match t.get(id.0)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            })
        })
    }

    /// The volunteer registered with a phone.
    pub fn volunteer_by_phone(&self, phone: &str) -> Result<Option<Volunteer>, StoreError> {
        let id = self.read(|tx| {
            let t = tx.open_table(PHONE_VOLUNTEER)?;
            Ok::<_, StoreError>(t.get(phone)?.map(|g| Gid(g.value())))
        })?;
        match id {
            Some(id) => self.volunteer(id),
            None => Ok(None),
        }
    }

    /// Set or clear a volunteer's password hash.
    pub fn set_volunteer_password(&self, id: Gid, hash: Option<String>) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut t = tx.open_table(VOLUNTEERS)?;
            let mut v: Volunteer = match t.get(id.0)? {
                Some(g) => decode(g.value())?,
                None => return Err(StoreError::NotFound),
            };
            v.password_hash = hash;
            v.updated_at = chrono::Utc::now();
            t.insert(id.0, encode(&v).as_slice())?;
            drop(t);
            changes::record_tx(tx, ChangeKind::Volunteer, id)?;
            Ok(())
        })
    }

    /// Add a team; `Taken` if its name (ignoring width and spaces) is in use.
    pub fn insert_organization(&self, o: &Organization) -> Result<(), StoreError> {
        self.write(|tx| insert_organization_tx(tx, o))
    }

    /// A team by id.
    pub fn organization(&self, id: Gid) -> Result<Option<Organization>, StoreError> {
        self.read(|tx| {
            let t = tx.open_table(ORGANIZATIONS)?;
            Ok(match t.get(id.0)? {
                Some(v) => Some(decode(v.value())?),
                None => None,
            })
        })
    }

    /// The teams whose admin phone is `phone`.
    pub fn orgs_administered_by(&self, phone: &str) -> Result<Vec<OrgSummary>, StoreError> {
        let ids = self.read(|tx| {
            let t = tx.open_table(ADMINPHONE_ORGS)?;
            let mut ids = Vec::new();
            for row in t.range((phone, 0u128)..=(phone, u128::MAX))? {
                ids.push(Gid(row?.0.value().1));
            }
            Ok::<_, StoreError>(ids)
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(o) = self.organization(id)? {
                out.push(OrgSummary {
                    id: o.id,
                    name: o.name,
                    status: o.status,
                });
            }
        }
        Ok(out)
    }

    /// Counts for the admin dashboard.
    pub fn people_counts(&self) -> Result<PeopleCounts, StoreError> {
        self.read(|tx| {
            Ok(PeopleCounts {
                volunteers: tx.open_table(VOLUNTEERS)?.len()?,
                organizations: tx.open_table(ORGANIZATIONS)?.len()?,
            })
        })
    }
}
