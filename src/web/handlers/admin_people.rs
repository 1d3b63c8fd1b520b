//! Platform admin: volunteer and team lists with search and filters, details, unmasking
//! an ID number (audited), fixing an ID number (audited), suspending a team (audited).

use super::forms::{
    RegionLists, list_filter, matches_text, page_number, query_form, region_text, today,
};
use super::respond::{html, rejected};
use crate::domain::ids::Gid;
use crate::domain::people::{Team, TeamDecision, TeamStatus, Volunteer};
use crate::domain::validate;
use crate::error::AppError;
use crate::store::{StoreError, VolunteerQuery};
use crate::views::admin_people::{self as view, TeamLine, VolunteerFilter, VolunteerLine};
use crate::views::components::FormState;
use crate::web::App;
use crate::web::auth::{Ctx, redirect_with_flash};
use rouille::{Request, Response};

const PER_PAGE: usize = 50;

/// Teams listed in the volunteer filter's menu; more and it becomes a typed name.
const TEAM_MENU_MAX: u64 = 50;

pub fn volunteers(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let form = query_form(
        req,
        &[
            "q",
            "province",
            "city",
            "county",
            "category",
            "sanzhang",
            "team",
            "team_name",
        ],
    );
    // A county has thousands of teams: past a screenful the filter is a typed name, not a
    // menu of every team on every page view.
    let many_teams = app.store.people_counts()?.teams > TEAM_MENU_MAX;
    let team_by_name = match form.value("team_name") {
        "" => None,
        name => Some(app.store.team_id_by_name(name)),
    };
    let q = form.value("q");
    let query = VolunteerQuery {
        text: q.to_string(),
        province: form.value("province").to_string(),
        city: form.value("city").to_string(),
        county: form.value("county").to_string(),
        category: form.value("category").to_string(),
        sanzhang: form.value("sanzhang").to_string(),
        team: match team_by_name {
            // A name that matches no team finds nobody rather than everybody.
            Some(found) => Some(found.unwrap_or(Gid(0))),
            None => form.value("team").parse().ok(),
        },
    };
    let page = page_number(req);
    // Newest first, through the list indexes: only the page's records are decoded.
    let found = app.store.volunteer_page(&query, page, PER_PAGE)?;
    let (total, has_more) = (found.total, found.has_more);
    let rows: Vec<VolunteerLine> = found
        .rows
        .into_iter()
        .map(|v| VolunteerLine {
            id: v.id.to_string(),
            masked_id: validate::mask_id_number(&v.id_number),
            region: region_text(&v.region),
            name: v.real_name,
            phone: v.phone,
            sanzhang: v.sanzhang,
            confirmed: v.confirmed,
        })
        .collect();
    let teams: Vec<(String, String)> = if many_teams {
        Vec::new()
    } else {
        app.store
            .team_names()?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect()
    };
    let lists = RegionLists::for_form(&form);
    let options = lists.options();
    let filter = VolunteerFilter {
        q,
        category: form.value("category"),
        sanzhang: form.value("sanzhang"),
        team: form.value("team"),
        team_name: many_teams.then(|| form.value("team_name")),
        teams: &teams,
        form: &form,
        regions: &options,
        query: req.raw_query_string(),
    };
    Ok(html(view::volunteers(
        &ctx.page(),
        &filter,
        &rows,
        total,
        page,
        has_more,
    )))
}

fn volunteer_facts(v: &Volunteer) -> Vec<(&'static str, String)> {
    let mut facts = crate::domain::fields::volunteer_admin_facts(v);
    facts.push((
        "本人确认",
        if v.confirmed {
            "已确认"
        } else {
            "待本人确认"
        }
        .to_string(),
    ));
    facts
}

fn render_volunteer(
    app: &App,
    ctx: &Ctx,
    v: &Volunteer,
    unmasked: bool,
    fix: &FormState,
    status: u16,
) -> Result<Response, AppError> {
    let teams: Vec<(String, &'static str)> = app
        .store
        .teams_of(v.id)?
        .into_iter()
        .map(|t| (t.team.name, t.membership.state.label()))
        .collect();
    let shown = if unmasked {
        v.id_number.clone()
    } else {
        validate::mask_id_number(&v.id_number)
    };
    Ok(rejected(
        view::volunteer_detail(
            &ctx.page(),
            &view::VolunteerDetail {
                id: &v.id.to_string(),
                name: &v.real_name,
                facts: &volunteer_facts(v),
                id_number_shown: &shown,
                unmasked,
                teams: &teams,
                fix_form: fix,
                showcase: (
                    app.store.showcase_consent(v.id)?,
                    app.store.featured()?.iter().any(|f| f.id == v.id),
                ),
            },
        ),
        status,
    ))
}

fn load_volunteer(app: &App, id: Gid) -> Result<Volunteer, AppError> {
    app.store.volunteer(id)?.ok_or(AppError::NotFound)
}

pub fn volunteer(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let v = load_volunteer(app, id)?;
    render_volunteer(app, ctx, &v, false, &FormState::default(), 200)
}

pub fn unmask(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let v = load_volunteer(app, id)?;
    ctx.audit(
        app,
        "volunteer.unmask",
        format!("查看志愿者 {} 的完整身份证号", v.id),
        1,
    )?;
    render_volunteer(app, ctx, &v, true, &FormState::default(), 200)
}

pub fn fix_id_number(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let v = load_volunteer(app, id)?;
    let mut form = FormState::default();
    form.set("id_number", ctx.field("id_number"));
    let checked = match validate::id_number(ctx.field("id_number"), today(ctx)) {
        Ok(c) => c,
        Err(m) => {
            form.fail("id_number", m);
            return render_volunteer(app, ctx, &v, false, &form, 422);
        }
    };
    let mut updated = v.clone();
    updated.id_number = checked.number;
    updated.birth_date = checked.birth_date;
    updated.gender = checked.gender;
    updated.updated_at = ctx.now;
    match app.store.update_volunteer(&updated) {
        Ok(()) => {}
        Err(StoreError::Taken(_)) => {
            form.fail(
                "id_number",
                "这个身份证号已属于另一位志愿者。如是重复登记，请先核实。",
            );
            return render_volunteer(app, ctx, &v, false, &form, 422);
        }
        Err(e) => return Err(e.into()),
    }
    ctx.audit(
        app,
        "volunteer.fix_id_number",
        format!("更正志愿者 {} 的身份证号", v.id),
        1,
    )?;
    Ok(redirect_with_flash(
        &format!("/admin/volunteers/{id}"),
        "id_fixed",
    ))
}

fn status_from_label(label: &str) -> Option<TeamStatus> {
    TeamStatus::ALL.into_iter().find(|s| s.label() == label)
}

fn member_count(app: &App, o: &Team) -> Result<usize, AppError> {
    Ok(app.store.member_count(o.id)?)
}

pub fn teams(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let form = query_form(req, &["q", "province", "city", "county", "status"]);
    let status = status_from_label(form.value("status"));
    let q = form.value("q");
    let page = page_number(req);
    // Newest first; the status and region through `term_teams`, decoding stops after the
    // page.
    let (list, has_more) = app.store.team_page(
        status,
        &list_filter(&form),
        "", // the admin's search matches the name or the admin's phone: `accept` checks it
        |o| matches_text(&o.name, q) || matches_text(&o.admin_phone, q),
        page,
        PER_PAGE,
    )?;
    let mut rows = Vec::with_capacity(list.len());
    for o in &list {
        rows.push(TeamLine {
            id: o.id.to_string(),
            name: o.name.clone(),
            admin_phone: o.admin_phone.clone(),
            region: region_text(&o.region),
            status: o.status.label(),
            members: member_count(app, o)?,
        });
    }
    let lists = RegionLists::for_form(&form);
    Ok(html(view::teams(
        &ctx.page(),
        &view::TeamList {
            q,
            status: form.value("status"),
            form: &form,
            regions: &lists.options(),
            rows: &rows,
            page_no: page,
            has_more,
            query: req.raw_query_string(),
        },
    )))
}

/// The label of a decision, for the review line.
fn review_label(status: TeamStatus) -> &'static str {
    match status {
        TeamStatus::Refused => "审核未通过",
        TeamStatus::Suspended => "已暂停",
        _ => "审核通过",
    }
}

pub fn team(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    ctx.require_admin()?;
    let o = app.store.team(id)?.ok_or(AppError::NotFound)?;
    let facts = team_fields(&o);
    let members: Vec<(String, String, &'static str)> = app
        .store
        .members_of(id)?
        .into_iter()
        .map(|m| {
            (
                m.volunteer.real_name,
                m.volunteer.phone,
                m.membership.state.label(),
            )
        })
        .collect();
    let review = app.store.team_review(id)?;
    let tz = ctx.settings.utc_offset;
    Ok(html(view::team_detail(
        &ctx.page(),
        &view::TeamDetail {
            id: &id.to_string(),
            name: &o.name,
            status: o.status,
            review: review.as_ref().map(|r| {
                (
                    review_label(r.status),
                    r.reason.as_str(),
                    r.by.as_str(),
                    r.at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                )
            }),
            facts: &facts,
            members: &members,
        },
    )))
}

/// Every 附件1 field of a team, as label and value, in the form's order.
pub fn team_fields(o: &Team) -> Vec<(&'static str, String)> {
    let mut facts = crate::domain::fields::shown(crate::domain::fields::TEAM, o);
    facts.push(("来源", o.source.label().to_string()));
    facts
}

pub fn set_team_status(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let admin = ctx.require_admin()?;
    let field = if ctx.field("decision").is_empty() {
        ctx.field("status")
    } else {
        ctx.field("decision")
    };
    let decision = TeamDecision::parse(field)
        .ok_or_else(|| AppError::BadRequest("未知的审核操作。".into()))?;
    let reason = crate::domain::validate::normalize_multiline(ctx.field("reason"));
    if decision.needs_reason() && reason.is_empty() {
        return Err(AppError::Unprocessable(
            "请填写不通过的原因，组织管理员会看到它并据此修改。".into(),
        ));
    }
    if crate::domain::validate::char_count(&reason) > 200 {
        return Err(AppError::Unprocessable("原因不能超过200字。".into()));
    }
    let o = match app
        .store
        .decide_team(id, decision, &reason, &admin.username, ctx.now)
    {
        Ok(o) => o,
        Err(StoreError::Refused(m)) => return Err(AppError::Unprocessable(m.to_string())),
        Err(e) => return Err(e.into()),
    };
    ctx.audit(
        app,
        "team.status",
        format!(
            "组织 {} 状态改为 {}{}",
            o.id,
            o.status.label(),
            if reason.is_empty() {
                String::new()
            } else {
                format!("，原因：{reason}")
            }
        ),
        1,
    )?;
    Ok(redirect_with_flash(
        &format!("/admin/teams/{id}"),
        "status_changed",
    ))
}

pub fn feature(app: &App, ctx: &Ctx) -> Result<Response, AppError> {
    use crate::store::{Featured, FeaturedKind};
    ctx.require_admin()?;
    let id: Gid = ctx
        .field("id")
        .parse()
        .map_err(|_| AppError::BadRequest("缺少要展示的记录。".into()))?;
    let kind = match ctx.field("kind") {
        "case" => FeaturedKind::Case,
        "person" => FeaturedKind::Person,
        _ => return Err(AppError::BadRequest("展示类型无效。".into())),
    };
    let back = match kind {
        FeaturedKind::Case => format!("/activities/{id}"),
        FeaturedKind::Person => format!("/admin/volunteers/{id}"),
    };
    if ctx.field("action") == "remove" {
        app.store.unfeature(kind, id)?;
        return Ok(redirect_with_flash(&back, "saved"));
    }
    match kind {
        FeaturedKind::Case => {
            app.store.activity(id)?.ok_or(AppError::NotFound)?;
        }
        FeaturedKind::Person => {
            load_volunteer(app, id)?;
            if !app.store.showcase_consent(id)? {
                return Err(AppError::Unprocessable(
                    "本人没有同意作为典型人物展示。".into(),
                ));
            }
        }
    }
    let text = crate::domain::validate::normalize_multiline(ctx.field("text"));
    if crate::domain::validate::char_count(&text) > 300 {
        return Err(AppError::Unprocessable("推荐语不能超过300字。".into()));
    }
    app.store.feature(&Featured {
        kind,
        id,
        text,
        at: ctx.now,
    })?;
    ctx.audit(app, "showcase.feature", format!("展示 {id}"), 1)?;
    Ok(redirect_with_flash(&back, "saved"))
}
