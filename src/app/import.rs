//! Collective registration (集体注册) as a use case: check an uploaded 附件1 / 附件2 with
//! the exchange module, then commit the checked rows through the store — the same steps
//! for the web page (in a background job) and the `kezhi import` command.

use crate::domain::ids::Gid;
use crate::domain::people::{Consent, NewVolunteer, Source, Team, Volunteer};
use crate::domain::refusal::Refusal;
use crate::exchange::columns::Form;
use crate::exchange::import::{CheckReport, Checked, FileProblem, Progress, check_file};
use crate::store::{
    ExistingRows, ImportSummary, ImportTeamRow, ImportVolunteerRow, Store, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};

/// The choices made on the preview page (or on the command line).
#[derive(Debug, Clone, Copy, Default)]
pub struct CommitChoice {
    /// Import the valid rows even though others have errors.
    pub valid_only: bool,
    /// Rows matching stored records update them (else they are skipped).
    pub update_existing: bool,
    /// A team admin imports: matching rows never update anyone; people who are not yet
    /// members are invited (they accept on their own page). Only platform admins update.
    pub team_admin: bool,
}

/// Why a checked file was not committed.
#[derive(Debug)]
pub enum CommitRefusal {
    /// Rows have errors and the choice was all-or-nothing.
    HasErrors(usize),
    /// No valid rows at all.
    NothingValid,
    Store(StoreError),
}

impl CommitRefusal {
    /// The message for the person importing.
    pub fn message(&self) -> String {
        match self {
            CommitRefusal::HasErrors(n) => format!(
                "有 {n} 行存在错误，按“全部正确才导入”的规则，没有导入任何数据。请下载错误说明修改后重新上传，或选择“只导入正确的行”。"
            ),
            CommitRefusal::NothingValid => "没有可以导入的正确数据行。".into(),
            CommitRefusal::Store(e) => e.user_message(),
        }
    }
}

/// Check a file for a platform admin (streaming; `progress` counts rows).
pub fn check(
    store: &Store,
    form: Form,
    bytes: &[u8],
    today: NaiveDate,
    progress: &Progress,
) -> Result<CheckReport, FileProblem> {
    check_as(store, form, bytes, today, progress, false)
}

/// Check a file; for a team admin a row must agree with a stored person on both phone and
/// ID number to match them, so a file cannot reach a stranger's record. The stored
/// records are looked up in one snapshot taken when the check begins.
pub fn check_as(
    store: &Store,
    form: Form,
    bytes: &[u8],
    today: NaiveDate,
    progress: &Progress,
    team_admin: bool,
) -> Result<CheckReport, FileProblem> {
    store.with_import_lookups(team_admin, |existing| {
        check_file(form, bytes, today, existing, progress)
    })
}

/// Commit the checked rows in one transaction and write the audit entry.
pub fn commit(
    store: &Store,
    form: Form,
    report: &CheckReport,
    team: Option<Gid>,
    choice: CommitChoice,
    actor: (&str, &str),
    now: DateTime<Utc>,
) -> Result<ImportSummary, CommitRefusal> {
    let invalid = report.invalid();
    if invalid > 0 && !choice.valid_only {
        return Err(CommitRefusal::HasErrors(invalid));
    }
    if report.valid() == 0 {
        return Err(CommitRefusal::NothingValid);
    }
    let origin = store.installation_id();
    let summary = match form {
        Form::Volunteers => {
            // Each row is copied as it is stored, not all before the transaction.
            let rows = report.rows.iter().filter_map(|r| match &r.value {
                Some(Checked::Volunteer(f)) => Some(ImportVolunteerRow {
                    fields: (**f).clone(),
                    existing: r.existing,
                }),
                _ => None,
            });
            let make = |f| {
                Volunteer::from_fields(
                    f,
                    NewVolunteer {
                        origin,
                        now,
                        source: Source::Imported,
                        // The person confirms the record when they first sign in.
                        confirmed: false,
                        consent: Some(Consent {
                            accepted_at: now,
                            how: "collective".into(),
                            guardian_name: None,
                            guardian_phone: None,
                        }),
                    },
                )
            };
            let existing = if choice.team_admin {
                ExistingRows::Invite
            } else if choice.update_existing {
                ExistingRows::Update
            } else {
                ExistingRows::Skip
            };
            store.import_volunteers(rows, team, existing, make, now)
        }
        Form::Teams if choice.team_admin => {
            return Err(CommitRefusal::Store(StoreError::Refused(
                Refusal::TeamImportNeedsPlatformAdmin,
            )));
        }
        Form::Teams => {
            let rows = report.rows.iter().filter_map(|r| match &r.value {
                Some(Checked::Team(f)) => Some(ImportTeamRow {
                    fields: (**f).clone(),
                    existing: r.existing,
                }),
                _ => None,
            });
            let make = |f| Team::from_fields(f, origin, now, Source::Imported);
            store.import_teams(rows, choice.update_existing, make, now)
        }
    }
    .map_err(CommitRefusal::Store)?;
    let detail = format!(
        "导入{}：新增 {}，更新 {}，跳过 {}，邀请 {}{}",
        form.attachment(),
        summary.added,
        summary.updated,
        summary.skipped,
        summary.invited,
        if invalid > 0 {
            format!("，错误行 {invalid} 未导入")
        } else {
            String::new()
        }
    );
    let action = if form == Form::Teams {
        "import.teams"
    } else {
        "import.volunteers"
    };
    let records = (summary.added + summary.updated) as u64;
    super::audit::record(store, actor, now, action, detail, records)
        .map_err(CommitRefusal::Store)?;
    log::info!(
        "import committed: {} added, {} updated",
        summary.added,
        summary.updated
    );
    Ok(summary)
}
