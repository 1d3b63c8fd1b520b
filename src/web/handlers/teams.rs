//! Teams: the public list and page, applying to join, and the team admin's 组织信息,
//! editing, 查看全部志愿者, decisions on applications, adding and entering volunteers.

use super::forms::{
    ORG_FIELDS, RegionLists, VOLUNTEER_FIELDS, apply_errors, form_state, is_region_step,
    list_filter, page_number, query_form, region_text, team_form as team_values, team_input, today,
    volunteer_input,
};
use super::respond::{html, rejected};
use crate::domain::ids::Gid;
use crate::domain::people::{
    MembershipState, NewVolunteer, Source, Team, TeamPower, TeamStatus, Volunteer,
};
use crate::domain::{registration, validate};
use crate::error::AppError;
use crate::store::{StoreError, VolunteerQuery};
use crate::views::components::FormState;
use crate::views::team::{self as view, JoinAction, MemberLine, TeamCard, TeamFilter};
use crate::views::volunteer::{self as vview, VolunteerFormSpec};
use crate::web::App;
use crate::web::auth::{Ctx, Viewer, redirect_with_flash, require_team};
use rouille::{Request, Response};

const TEAMS_PER_PAGE: usize = 20;

fn card(app: &App, o: &Team) -> Result<TeamCard, AppError> {
    Ok(card_with(o, app.store.member_count(o.id)?))
}

fn card_with(o: &Team, members: usize) -> TeamCard {
    TeamCard {
        id: o.id.to_string(),
        name: o.name.clone(),
        region: region_text(&o.region),
        categories: o.service_categories.join("、"),
        members,
        status: Some(o.status.label()),
    }
}

pub fn list(app: &App, ctx: &Ctx, req: &Request) -> Result<Response, AppError> {
    let form = query_form(req, &["q", "category", "province", "city", "county"]);
    let page = page_number(req);
    // Active teams newest first, the region and category through `term_teams`; decoding
    // stops after the page.
    let (teams, has_more) = app.store.team_page(
        Some(TeamStatus::Active),
        &list_filter(&form),
        form.value("q"),
        |_| true,
        page,
        TEAMS_PER_PAGE,
    )?;
    // The member counts of the page's teams in one read transaction.
    let ids: Vec<Gid> = teams.iter().map(|o| o.id).collect();
    let cards: Vec<TeamCard> = teams
        .iter()
        .zip(app.store.member_counts(&ids)?)
        .map(|(o, n)| card_with(o, n))
        .collect();
    let lists = RegionLists::for_form(&form);
    let options = lists.options();
    let filter = TeamFilter {
        q: form.value("q"),
        category: form.value("category"),
        form: &form,
        regions: &options,
    };
    let markup = view::team_list(
        &ctx.page(),
        &filter,
        &cards,
        page,
        has_more,
        req.raw_query_string(),
    );
    Ok(html(markup))
}

fn load_team(app: &App, id: Gid) -> Result<Team, AppError> {
    app.store.team(id)?.ok_or(AppError::NotFound)
}

fn team_facts(o: &Team) -> Vec<(&'static str, String)> {
    vec![
        ("所在区域", region_text(&o.region)),
        ("服务类别", o.service_categories.join("、")),
        (
            "主管单位",
            format!("{}（{}）", o.supervisor_name, o.supervisor_type),
        ),
        ("成立日期", o.founded_on.format("%Y-%m-%d").to_string()),
        (
            "民政部门注册",
            if o.mca_registered { "是" } else { "否" }.to_string(),
        ),
    ]
}

fn join_action(app: &App, ctx: &Ctx, o: &Team) -> Result<JoinAction, AppError> {
    if o.status != TeamStatus::Active {
        return Ok(JoinAction::Closed);
    }
    let Some(v) = ctx.volunteer() else {
        return Ok(JoinAction::SignIn);
    };
    Ok(match app.store.membership(o.id, v.id)?.map(|m| m.state) {
        Some(MembershipState::Applied) => JoinAction::Pending,
        Some(MembershipState::Approved) => JoinAction::Member,
        _ => JoinAction::Apply,
    })
}

fn render_team(
    app: &App,
    ctx: &Ctx,
    o: &Team,
    message: Option<String>,
) -> Result<Response, AppError> {
    let c = card(app, o)?;
    let action = join_action(app, ctx, o)?;
    let mut page = ctx.page();
    let status = if message.is_some() { 422 } else { 200 };
    if message.is_some() {
        page.flash = message;
    }
    Ok(rejected(
        view::team_page(&page, &c, &team_facts(o), &o.description, action),
        status,
    ))
}

pub fn show(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let o = load_team(app, id)?;
    let own =
        matches!(&ctx.viewer, Viewer::Volunteer { teams, .. } if teams.iter().any(|t| t.id == id));
    let shown = o.status.is_public()
        || o.status == TeamStatus::WaitingForAdmin
        || own
        || matches!(ctx.viewer, Viewer::Admin(_));
    if !shown {
        return Err(AppError::NotFound);
    }
    render_team(app, ctx, &o, None)
}

pub fn apply(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let Some(v) = ctx.volunteer() else {
        return Ok(Response::redirect_303(format!("/login?next=/teams/{id}")));
    };
    let o = load_team(app, id)?;
    match app.store.apply_to_team(v.id, o.id, ctx.now) {
        Ok(()) => Ok(redirect_with_flash(&format!("/teams/{id}"), "applied")),
        Err(StoreError::Refused(m)) => render_team(app, ctx, &o, Some(m.to_string())),
        Err(e) => Err(e.into()),
    }
}

pub fn admin_home(ctx: &Ctx) -> Result<Response, AppError> {
    let Viewer::Volunteer { teams, .. } = &ctx.viewer else {
        return Err(AppError::forbidden());
    };
    match teams.as_slice() {
        [] => Ok(Response::redirect_303("/register/team")),
        [only] => Ok(Response::redirect_303(format!("/team/{}", only.id))),
        many => Ok(Response::redirect_303(format!("/team/{}", many[0].id))),
    }
}

pub fn admin_show(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Prepare)?;
    let mut facts = vec![("管理员手机号", o.admin_phone.clone())];
    facts.extend(team_facts(&o));
    for (k, v) in [
        ("负责人", &o.leader_name),
        ("负责人职务", &o.leader_title),
        ("负责人单位", &o.leader_org),
        ("负责人电话", &o.leader_phone),
    ] {
        if let Some(v) = v {
            facts.push((k, v.clone()));
        }
    }
    if !o.description.is_empty() {
        facts.push(("组织简介", o.description.clone()));
    }
    let pending = app
        .store
        .members_of(id)?
        .iter()
        .filter(|m| m.membership.state == MembershipState::Applied)
        .count();
    let can_act = o.status.allows(TeamPower::Act);
    let notice = if can_act {
        None
    } else {
        let reason = app
            .store
            .team_review(id)?
            .filter(|r| r.status == o.status && !r.reason.is_empty())
            .map(|r| format!("审核意见：{}", r.reason));
        Some((o.status.refusal().to_string(), reason))
    };
    Ok(html(view::team_admin_page(
        &ctx.page(),
        &view::TeamAdminPage {
            id: &id.to_string(),
            name: &o.name,
            status: o.status.label(),
            facts: &facts,
            pending,
            notice,
            can_act,
        },
    )))
}

fn render_edit(ctx: &Ctx, o: &Team, form: &FormState, status: u16) -> Response {
    let lists = RegionLists::for_form(form);
    let action = format!("/team/{}/edit", o.id);
    rejected(
        view::team_form(
            &ctx.page(),
            form,
            &lists.options(),
            &view::TeamFormSpec {
                heading: "编辑组织信息",
                action: &action,
                submit: "保存",
                fixed_admin_phone: Some(&o.admin_phone),
                step: None,
            },
        ),
        status,
    )
}

pub fn edit_form(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Prepare)?;
    Ok(render_edit(ctx, &o, &team_values(&o), 200))
}

pub fn edit(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Prepare)?;
    let mut form = form_state(ctx, ORG_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_edit(ctx, &o, &form, 200));
    }
    let mut input = team_input(&form);
    input.admin_phone = o.admin_phone.clone();
    let fields = match registration::check_team(&input, today(ctx)) {
        Ok(f) => f,
        Err(errors) => {
            apply_errors(&mut form, errors);
            return Ok(render_edit(ctx, &o, &form, 422));
        }
    };
    let mut updated = o.clone();
    updated.apply(fields, ctx.now, false);
    match app.store.resubmit_team(&updated) {
        Ok(()) => Ok(redirect_with_flash(&format!("/team/{id}"), "saved")),
        Err(StoreError::Taken(_)) => {
            form.fail("org_name", "这个组织名称已被其他组织使用，请换一个名称。");
            Ok(render_edit(ctx, &o, &form, 422))
        }
        Err(e) => Err(e.into()),
    }
}

/// Approved members on one page of a team's members.
const MEMBERS_PER_PAGE: usize = 50;

fn render_members(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    o: &Team,
    add_form: &FormState,
    status: u16,
) -> Result<Response, AppError> {
    let filter = query_form(req, &["q", "province", "city", "county"]);
    let line = |state: MembershipState, v: &crate::store::VolunteerRow| MemberLine {
        volunteer_id: v.id.to_string(),
        name: v.real_name.clone(),
        phone: v.phone.clone(),
        masked_id: validate::mask_id_number(&v.id_number),
        region: region_text(&v.region),
        state: state.label(),
        pending: state == MembershipState::Applied,
        confirmed: v.confirmed,
    };
    let pending: Vec<MemberLine> = app
        .store
        .member_lines_of(o.id, MembershipState::Applied)?
        .iter()
        .map(|(m, v)| line(m.state, v))
        .collect();
    // Approved members a page at a time, newest first, through the admin list's indexes
    // (the team, the region, a name or phone digits).
    let q = filter.value("q");
    let page_no = page_number(req);
    let found = app.store.volunteer_page(
        &VolunteerQuery {
            text: q.to_string(),
            province: filter.value("province").to_string(),
            city: filter.value("city").to_string(),
            county: filter.value("county").to_string(),
            team: Some(o.id),
            ..Default::default()
        },
        page_no,
        MEMBERS_PER_PAGE,
    )?;
    let members: Vec<MemberLine> = found
        .rows
        .iter()
        .map(|v| line(MembershipState::Approved, v))
        .collect();
    let lists = RegionLists::for_form(&filter);
    Ok(rejected(
        view::members_page(
            &ctx.page(),
            &view::MembersPage {
                team_id: &o.id.to_string(),
                org_name: &o.name,
                q,
                filter_form: &filter,
                regions: &lists.options(),
                pending: &pending,
                members: &members,
                total: found.total,
                page_no,
                has_more: found.has_more,
                query: req.raw_query_string(),
                add_form,
            },
        ),
        status,
    ))
}

pub fn members(app: &App, ctx: &Ctx, req: &Request, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Act)?;
    render_members(app, ctx, req, &o, &FormState::default(), 200)
}

pub fn decide(
    app: &App,
    ctx: &Ctx,
    id: Gid,
    volunteer: Gid,
    approve: bool,
) -> Result<Response, AppError> {
    require_team(app, ctx, id, TeamPower::Act)?;
    app.store
        .decide_application(id, volunteer, approve, ctx.now)?;
    Ok(redirect_with_flash(
        &format!("/team/{id}/members"),
        if approve { "approved" } else { "rejected" },
    ))
}

pub fn add_member(app: &App, ctx: &Ctx, req: &Request, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Act)?;
    let mut form = FormState::default();
    form.set("phone", ctx.field("phone"));
    let phone = match validate::mobile(ctx.field("phone")) {
        Ok(p) => p,
        Err(m) => {
            form.fail("phone", m);
            return render_members(app, ctx, req, &o, &form, 422);
        }
    };
    let Some(v) = app.store.volunteer_by_phone(&phone)? else {
        form.fail(
            "phone",
            "这个手机号还没有注册志愿者。可以点击下方“代为录入志愿者信息”。",
        );
        return render_members(app, ctx, req, &o, &form, 422);
    };
    // Joining a team shares the person's data with its admin: they decide themselves.
    match app.store.invite_member(id, v.id, ctx.now) {
        Ok(state) => Ok(redirect_with_flash(
            &format!("/team/{id}/members"),
            if state == MembershipState::Approved {
                "approved"
            } else {
                "invited"
            },
        )),
        Err(StoreError::Refused(m)) => {
            form.message = Some(m.to_string());
            render_members(app, ctx, req, &o, &form, 422)
        }
        Err(e) => Err(e.into()),
    }
}

/// Invite a volunteer found by matching (a demand's page): by id, since the team admin
/// sees only a masked phone. Goes back to `back` when it is a local path.
pub fn invite(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    require_team(app, ctx, id, TeamPower::Act)?;
    let volunteer: Gid = ctx
        .field("volunteer")
        .parse()
        .map_err(|_| AppError::BadRequest("缺少要邀请的志愿者。".into()))?;
    let back = match ctx.field("back") {
        b if b.starts_with('/') && !b.starts_with("//") => b.to_string(),
        _ => format!("/team/{id}/members"),
    };
    match app.store.invite_member(id, volunteer, ctx.now) {
        Ok(state) => Ok(redirect_with_flash(
            &back,
            if state == MembershipState::Approved {
                "approved"
            } else {
                "invited"
            },
        )),
        Err(StoreError::Refused(m)) => Err(AppError::Unprocessable(m.to_string())),
        Err(e) => Err(e.into()),
    }
}

fn render_enter(ctx: &Ctx, o: &Team, form: &FormState, status: u16) -> Response {
    let lists = RegionLists::for_form(form);
    let action = format!("/team/{}/members/new", o.id);
    let spec = VolunteerFormSpec {
        action: &action,
        heading: "代为录入志愿者",
        intro: Some(
            "为现场没有手机或不便操作的人员录入信息。录入后本人用这个手机号登录，核对并确认信息后即可使用。",
        ),
        submit: "录入并加入本组织",
        fixed_phone: None,
        locked_id_number: None,
        agreement: false,
        hidden: &[],
        steps: None,
    };
    rejected(
        vview::volunteer_form(&ctx.page(), form, &lists.options(), &spec),
        status,
    )
}

pub fn enter_form(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Act)?;
    Ok(render_enter(ctx, &o, &FormState::default(), 200))
}

pub fn enter(app: &App, ctx: &Ctx, id: Gid) -> Result<Response, AppError> {
    let o = require_team(app, ctx, id, TeamPower::Act)?;
    let mut form = form_state(ctx, VOLUNTEER_FIELDS, "");
    if is_region_step(ctx) {
        return Ok(render_enter(ctx, &o, &form, 200));
    }
    let fields = match registration::check_volunteer(&volunteer_input(&form), today(ctx)) {
        Ok(f) => f,
        Err(errors) => {
            apply_errors(&mut form, errors);
            return Ok(render_enter(ctx, &o, &form, 422));
        }
    };
    let v = Volunteer::from_fields(
        fields,
        NewVolunteer {
            origin: app.store.installation_id(),
            now: ctx.now,
            source: Source::EnteredByTeam,
            confirmed: false,
            consent: None,
        },
    );
    match app.store.enter_volunteer_for_team(&v, id, ctx.now) {
        Ok(()) => Ok(redirect_with_flash(
            &format!("/team/{id}/members"),
            "entered",
        )),
        Err(StoreError::Taken("手机号")) => {
            form.fail(
                "phone",
                "这个手机号已注册志愿者，请返回上一页用“添加志愿者”按手机号添加。",
            );
            Ok(render_enter(ctx, &o, &form, 422))
        }
        Err(StoreError::Taken(_)) => {
            form.fail("id_number", "这个身份证号已注册志愿者，不能重复录入。");
            Ok(render_enter(ctx, &o, &form, 422))
        }
        Err(StoreError::Refused(m)) => {
            form.message = Some(m.to_string());
            Ok(render_enter(ctx, &o, &form, 422))
        }
        Err(e) => Err(e.into()),
    }
}
