//! Who is asking: the session cookie, the CSRF token, and the role that follows. Every
//! request gets a `Ctx`; handlers ask it for the role they need.

use super::App;
use super::handlers::Uploader;
use crate::config::Settings;
use crate::domain::account::{Admin, Session, Subject};
use crate::domain::people::{Team, TeamPower, Volunteer};
use crate::domain::{secret, validate};
use crate::error::AppError;
use crate::store::TeamSummary;
use crate::views::{PageCtx, Role};
use chrono::{DateTime, Utc};
use rouille::{Request, Response};
use std::net::SocketAddr;

/// The session cookie.
pub const SESSION_COOKIE: &str = "kz_session";
/// The CSRF cookie (double-submit: forms carry the same value in a `csrf` field).
pub const CSRF_COOKIE: &str = "kz_csrf";
/// A one-shot message for the next page.
pub const FLASH_COOKIE: &str = "kz_flash";

/// The signed-in party, resolved from the session.
#[derive(Debug, Clone)]
pub enum Viewer {
    Anonymous,
    Admin(Admin),
    Volunteer {
        volunteer: Box<Volunteer>,
        teams: Vec<TeamSummary>,
    },
    VerifiedPhone(String),
}

/// Everything a handler needs to know about the request besides its body.
pub struct Ctx {
    pub viewer: Viewer,
    pub session_token: Option<String>,
    /// When the signed-in session ends (a kept page must not outlive it).
    pub session_expires: Option<DateTime<Utc>>,
    pub csrf: String,
    /// Set when the CSRF cookie must be (re)issued with this response.
    pub csrf_is_new: bool,
    pub remote: SocketAddr,
    pub now: DateTime<Utc>,
    pub settings: Settings,
    pub path: String,
    pub flash: Option<String>,
    /// The form of a POST (urlencoded, or the text parts of a multipart upload), read
    /// once by the middleware for the CSRF check.
    pub form: Vec<(String, String)>,
    /// Files of a multipart upload.
    pub files: Vec<Upload>,
}

/// One uploaded file. Files over the per-file cap are cut and flagged, never read whole.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub too_large: bool,
}

impl Ctx {
    /// Build the context: read cookies and resolve the session.
    pub fn load(app: &App, req: &Request) -> Result<Ctx, AppError> {
        let now = app.now();
        let token = session_cookie(req);
        let session = match &token {
            Some(t) => app.store.session(t, now)?,
            None => None,
        };
        let session_expires = session.as_ref().map(|s| s.expires_at);
        let viewer = match session {
            Some(Session { subject, .. }) => resolve(app, subject)?,
            None => Viewer::Anonymous,
        };
        let (csrf, csrf_is_new) = csrf_token(req);
        Ok(Ctx {
            session_token: token.filter(|_| !matches!(viewer, Viewer::Anonymous)),
            session_expires,
            viewer,
            csrf,
            csrf_is_new,
            remote: req.remote_addr().to_owned(),
            now,
            settings: app.settings(),
            path: req.url(),
            flash: cookie(req, FLASH_COOKIE).and_then(|k| flash_text(&k)),
            form: Vec::new(),
            files: Vec::new(),
        })
    }

    /// The role used for navigation and access checks.
    pub fn role(&self) -> Role {
        match &self.viewer {
            Viewer::Anonymous => Role::Public,
            Viewer::Admin(_) => Role::PlatformAdmin,
            Viewer::VerifiedPhone(_) => Role::VerifiedPhone,
            Viewer::Volunteer { teams, .. } if !teams.is_empty() => Role::TeamAdmin,
            Viewer::Volunteer { .. } => Role::Volunteer,
        }
    }

    /// The frame's data for a page.
    pub fn page(&self) -> PageCtx {
        let user_label = match &self.viewer {
            Viewer::Anonymous => None,
            Viewer::Admin(a) => Some(a.display_name.clone()),
            Viewer::Volunteer { volunteer, .. } => Some(validate::mask_phone(&volunteer.phone)),
            Viewer::VerifiedPhone(p) => Some(validate::mask_phone(p)),
        };
        // Admins plan by the clock, and an offline laptop's clock may be wrong: show it.
        let server_time = matches!(self.role(), Role::PlatformAdmin | Role::TeamAdmin).then(|| {
            self.now
                .with_timezone(&self.settings.utc_offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        });
        PageCtx {
            site_name: self.settings.site_name.clone(),
            role: self.role(),
            user_label,
            csrf: self.csrf.clone(),
            flash: self.flash.clone(),
            server_time,
            path: self.path.clone(),
            refresh: None,
        }
    }

    /// The platform admin, or 403.
    pub fn require_admin(&self) -> Result<&Admin, AppError> {
        match &self.viewer {
            Viewer::Admin(a) => Ok(a),
            _ => Err(AppError::forbidden()),
        }
    }

    /// A value of the POSTed form (trimmed), or "".
    pub fn field(&self, name: &str) -> &str {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// Every value of a repeated form field (checkbox groups), trimmed, empty ones dropped.
    pub fn fields(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The signed-in volunteer, if any.
    pub fn volunteer(&self) -> Option<&Volunteer> {
        match &self.viewer {
            Viewer::Volunteer { volunteer, .. } => Some(volunteer),
            _ => None,
        }
    }

    /// Whether the request came from this machine (first-run setup is only allowed then).
    pub fn is_loopback(&self) -> bool {
        super::ratelimit::is_loopback(self.remote.ip())
    }

    /// A stable key for what belongs to this signed-in party (import jobs): unlike
    /// `actor`, two people never share it.
    pub fn owner_key(&self) -> String {
        match &self.viewer {
            Viewer::Admin(a) => format!("admin:{}", a.id),
            Viewer::Volunteer { volunteer, .. } => format!("volunteer:{}", volunteer.id),
            Viewer::VerifiedPhone(p) => format!("phone:{p}"),
            Viewer::Anonymous => "anonymous".into(),
        }
    }

    /// A label for the audit log: who acted.
    pub fn actor(&self) -> String {
        match &self.viewer {
            Viewer::Admin(a) => format!("admin:{}", a.username),
            Viewer::Volunteer { volunteer, .. } => {
                format!(
                    "{}（{}）",
                    volunteer.real_name,
                    validate::mask_phone(&volunteer.phone)
                )
            }
            Viewer::VerifiedPhone(p) => format!("phone:{}", validate::mask_phone(p)),
            Viewer::Anonymous => "anonymous".into(),
        }
    }

    /// Log what this viewer did, from their address, now.
    pub fn audit(
        &self,
        app: &App,
        action: &str,
        detail: impl Into<String>,
        records: u64,
    ) -> Result<(), AppError> {
        self.audit_as(app, &self.actor(), action, detail, records)
    }

    /// Log an action under an actor the session does not carry yet (a login, the first
    /// admin's setup).
    pub fn audit_as(
        &self,
        app: &App,
        actor: &str,
        action: &str,
        detail: impl Into<String>,
        records: u64,
    ) -> Result<(), AppError> {
        let address = self.remote.ip().to_string();
        crate::app::audit::record(
            &app.store,
            (actor, &address),
            self.now,
            action,
            detail,
            records,
        )?;
        Ok(())
    }
}

/// The team `id`, if the signed-in volunteer administers it and its status allows `power`.
/// Not its admin → 403; its status forbids `power` → 403 with the reason (under review,
/// refused, suspended), so the admin knows what to do.
pub fn require_team(
    app: &App,
    ctx: &Ctx,
    id: crate::domain::ids::Gid,
    power: TeamPower,
) -> Result<Team, AppError> {
    let Viewer::Volunteer { teams, .. } = &ctx.viewer else {
        return Err(AppError::forbidden());
    };
    if !teams.iter().any(|t| t.id == id) {
        return Err(AppError::forbidden());
    }
    let team = app.store.team(id)?.ok_or(AppError::NotFound)?;
    if !team.status.allows(power) {
        return Err(AppError::Forbidden(team.status.refusal().into()));
    }
    Ok(team)
}

/// The teams the signed-in volunteer administers whose status allows `power`.
pub fn teams_allowing(ctx: &Ctx, power: TeamPower) -> Vec<&TeamSummary> {
    match &ctx.viewer {
        Viewer::Volunteer { teams, .. } => {
            teams.iter().filter(|t| t.status.allows(power)).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether the session named in a raw `Cookie` header belongs to someone who may send
/// `who`'s large bodies. Runs before the body is read, so it has only the request head.
pub fn may_upload(app: &App, cookie_header: Option<&str>, who: Uploader) -> bool {
    let Some(token) = cookie_header.and_then(|h| {
        h.split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == SESSION_COOKIE)
            .map(|(_, v)| v.trim())
            .filter(|t| is_token(t))
    }) else {
        return false;
    };
    let viewer = match app.store.session(token, app.now()) {
        Ok(Some(Session { subject, .. })) => resolve(app, subject),
        Ok(None) => return false,
        Err(e) => Err(e.into()),
    };
    match viewer {
        Ok(Viewer::Admin(_)) => true,
        Ok(Viewer::Volunteer { volunteer, teams }) => {
            // Only a team in good standing uploads (under review or suspended it may not
            // import or publish at all).
            let power = match who {
                Uploader::PlatformAdmin => return false,
                Uploader::Manager => TeamPower::Act,
                Uploader::Preparer => TeamPower::Prepare,
            };
            volunteer.confirmed && teams.iter().any(|t| t.status.allows(power))
        }
        Ok(_) => false,
        Err(e) => {
            log::error!("checking who may upload failed: {e}");
            false
        }
    }
}

fn resolve(app: &App, subject: Subject) -> Result<Viewer, AppError> {
    Ok(match subject {
        Subject::Admin(id) => match app.store.admin(id)? {
            Some(a) => Viewer::Admin(a),
            None => Viewer::Anonymous,
        },
        Subject::Volunteer(id) => match app.store.volunteer(id)? {
            Some(v) => {
                let teams = app.store.teams_administered_by(&v.phone)?;
                Viewer::Volunteer {
                    volunteer: Box::new(v),
                    teams,
                }
            }
            None => Viewer::Anonymous,
        },
        Subject::VerifiedPhone(phone) => match app.store.volunteer_by_phone(&phone)? {
            // Registered since the code was checked (at the desk, or by import).
            Some(v) => resolve(app, Subject::Volunteer(v.id))?,
            None => Viewer::VerifiedPhone(phone),
        },
    })
}

fn is_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The session cookie, when it has the shape of a token.
pub fn session_cookie(req: &Request) -> Option<String> {
    cookie(req, SESSION_COOKIE).filter(|t| is_token(t))
}

/// This browser's CSRF token, or a new one (`true`: the cookie must be issued).
pub fn csrf_token(req: &Request) -> (String, bool) {
    match cookie(req, CSRF_COOKIE).filter(|t| is_token(t)) {
        Some(t) => (t, false),
        None => (secret::token(), true),
    }
}

/// A cookie's value.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    rouille::input::cookies(req)
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}")
}

/// Start a session for `subject` and return the response with its cookie. Any earlier
/// session of this browser is ended, and the CSRF token rotates with the sign-in.
pub fn sign_in(
    app: &App,
    ctx: &Ctx,
    subject: Subject,
    lifetime: chrono::Duration,
    then: Response,
) -> Result<Response, AppError> {
    if let Some(old) = &ctx.session_token {
        app.store.delete_session(old)?;
    }
    let token = secret::token();
    app.store.insert_session(
        &token,
        &Session {
            subject,
            created_at: ctx.now,
            expires_at: ctx.now + lifetime,
        },
    )?;
    Ok(then
        .with_additional_header(
            "Set-Cookie",
            set_cookie(SESSION_COOKIE, &token, lifetime.num_seconds()),
        )
        .with_additional_header(
            "Set-Cookie",
            set_cookie(CSRF_COOKIE, &secret::token(), 30 * 24 * 3600),
        ))
}

/// Redirect after a POST, with a one-shot message for the next page.
pub fn redirect_with_flash(to: &str, flash_key: &str) -> Response {
    Response::redirect_303(to.to_string())
        .with_additional_header("Set-Cookie", set_cookie(FLASH_COOKIE, flash_key, 60))
}

/// The messages a flash cookie may carry; anything else is ignored, so the cookie cannot
/// inject text.
fn flash_text(key: &str) -> Option<String> {
    Some(
        match key {
            "logged_in" => "登录成功。",
            "logged_out" => "已退出登录。",
            "setup_done" => "初始设置完成，欢迎使用科志。",
            "admin_created" => "已添加管理员。",
            "paired" => "配对成功。以后可以在这里一键同步。",
            "unpaired" => "已解除配对。",
            "new_pair_code" => "已生成新的配对码。",
            "password_set" => "密码已保存。",
            "settings_saved" => "设置已保存。",
            "registered" => "注册成功！欢迎成为科技志愿者。",
            "org_registered" => {
                "组织注册已提交，等待平台管理员审核。审核通过前可以完善组织信息、准备活动草稿。"
            }
            "saved" => "已保存。",
            "confirmed" => "信息已确认，欢迎使用。",
            "phone_changed" => "手机号已更换。",
            "applied" => "已提交入队申请，请等待组织管理员审核。",
            "left" => "已退出该组织。",
            "approved" => "已通过申请。",
            "rejected" => "已拒绝申请。",
            "member_added" => "已添加到本组织。",
            "entered" => "已录入，并加入本组织。本人用手机号登录后确认信息即可。",
            "status_changed" => "组织状态已更新。",
            "id_fixed" => "身份证号已更正。",
            "signed_up" => "报名成功！",
            "waitlisted" => "已加入候补名单，有人取消时按先后顺序递补。",
            "signup_cancelled" => "已取消报名。",
            "published" => "活动已发布。",
            "draft_saved" => "草稿已保存。",
            "team_taken_up" => {
                "注册成功，您已是本组织的管理员。请核对下面的组织信息，如有错误点击“编辑信息”更正。"
            }
            "draft_not_published" => "组织通过审核后才能发布活动，已先保存为草稿。",
            "invited" => "已发出邀请，对方在“我的”页面同意后加入本组织。",
            "invitation_accepted" => "已加入该组织。",
            "invitation_declined" => "已谢绝邀请。",
            "activity_cancelled" => "活动已取消，已报名的志愿者会看到“活动已取消”。",
            "checked_in" => "签到成功。",
            "checked_out" => "签退成功。",
            "hours_saved" => "服务时长已保存。",
            "backup_done" => "备份完成。",
            "demand_taken" => "已承接这个需求。",
            "demand_done" => "需求已标记为完成。",
            "report_saved" => "活动报道已保存。",
            _ => return None,
        }
        .to_string(),
    )
}
