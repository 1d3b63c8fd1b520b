//! The volunteer form (registration, editing, confirming a record entered by others),
//! the agreement, and a volunteer's own pages.

use super::components::{
    ERROR_SUMMARY_ANCHOR, Field, FormState, RegionOptions, checkbox_group, csrf_field,
    default_submit, form_feedback, region_fields, select_field,
};
use super::layout::{PageCtx, page};
use crate::domain::dict;
use maud::{Markup, html};

/// How the volunteer form is used this time.
pub struct VolunteerFormSpec<'a> {
    pub action: &'a str,
    pub heading: &'a str,
    pub intro: Option<&'a str>,
    pub submit: &'a str,
    /// The phone, shown but not editable (it was proven by a code).
    pub fixed_phone: Option<&'a str>,
    /// The masked ID number, shown but not editable (only a platform admin changes it).
    pub locked_id_number: Option<&'a str>,
    /// Ask for the registration agreement (and a guardian for minors).
    pub agreement: bool,
    /// Hidden fields carried from a previous step.
    pub hidden: &'a [(String, String)],
    /// Steps shown above the form (labels, index of the current one).
    pub steps: Option<(&'a [&'a str], usize)>,
}

/// The parts of the volunteer form inside a `<form>`, shared with the team form's
/// admin step.
pub fn volunteer_fields(
    form: &FormState,
    regions: &RegionOptions,
    spec: &VolunteerFormSpec,
) -> Markup {
    let multi = |name: &str| -> Vec<&str> {
        form.value(name)
            .split('、')
            .filter(|s| !s.is_empty())
            .collect()
    };
    let cats = multi("service_categories");
    let fields = multi("service_fields");
    html! {
        fieldset {
            legend { "基本信息" }
            (Field::text("real_name", "真实姓名", form.value("real_name")).error(form.error("real_name")).render())
            @match spec.fixed_phone {
                Some(p) => {
                    div.field { label { "手机号" } p.readonly id="fixed-phone" { (p) } }
                }
                None => {
                    (Field::phone("phone", "手机号", form.value("phone")).error(form.error("phone")).render())
                }
            }
            @match spec.locked_id_number {
                Some(masked) => {
                    div.field {
                        label { "身份证号" }
                        p.readonly { (masked) }
                        small.hint { "身份证号不能自行修改。如有错误，请联系平台管理员更正。" }
                    }
                }
                None => {
                    (Field::text("id_number", "身份证号", form.value("id_number"))
                        .hint("18位，最后一位可以是 X。性别和出生日期会与身份证号核对。")
                        .error(form.error("id_number")).render())
                }
            }
            (select_field("gender", "性别", &["男", "女"], form.value("gender"), form.error("gender")))
            (select_field("political_status", "政治面貌", &dict::political_status().names(), form.value("political_status"), form.error("political_status")))
            (select_field("ethnicity", "民族", &dict::ethnic_groups().names(), form.value("ethnicity"), form.error("ethnicity")))
        }
        fieldset {
            legend { "工作与专业" }
            (Field::text("employer", "工作单位", form.value("employer")).error(form.error("employer")).render())
            (select_field("title_level", "职称", &dict::title_levels().names(), form.value("title_level"), form.error("title_level")))
            (select_field("education", "最高学历", &dict::education().names(), form.value("education"), form.error("education")))
            (select_field("occupation", "从业类别", &dict::occupations().names(), form.value("occupation"), form.error("occupation")))
            (select_field("sanzhang", "是否为基层“三长”", &dict::sanzhang().names(), form.value("sanzhang"), form.error("sanzhang")))
        }
        (region_fields(form, regions, "volunteer"))
        (checkbox_group("service_categories", "服务类别", &dict::service_categories().names(), &cats, form.error("service_categories")))
        (checkbox_group("service_fields", "服务领域或行业", &dict::service_fields().names(), &fields, form.error("service_fields")))
        @if spec.agreement {
            fieldset id="guardian" {
                legend { "监护人（未满14周岁的志愿者必填）" }
                (Field { required: false, ..Field::text("guardian_name", "监护人姓名", form.value("guardian_name")) }.error(form.error("guardian_name")).render())
                (Field { required: false, ..Field::phone("guardian_phone", "监护人手机号", form.value("guardian_phone")) }.error(form.error("guardian_phone")).render())
            }
            fieldset.field.has-error[form.error("agree").is_some()] id="f-agree" {
                legend { "科技志愿者注册协议" }
                div.agreement { (agreement_text()) }
                label.check {
                    input type="checkbox" name="agree" value="yes" checked[form.value("agree") == "yes"];
                    "我已阅读并同意《科技志愿者注册协议》"
                }
                @if let Some(e) = form.error("agree") { p.error { (e) } }
            }
        }
    }
}

/// The whole volunteer form page.
pub fn volunteer_form(
    ctx: &PageCtx,
    form: &FormState,
    regions: &RegionOptions,
    spec: &VolunteerFormSpec,
) -> Markup {
    page(
        ctx,
        spec.heading,
        html! {
            h1 { (spec.heading) }
            @if let Some((labels, current)) = spec.steps { (steps(labels, current)) }
            @if let Some(i) = spec.intro { p { (i) } }
            (form_feedback(form))
            form id="volunteer-form" method="post" action={ (spec.action) (ERROR_SUMMARY_ANCHOR) } novalidate {
                (default_submit())
                (csrf_field(&ctx.csrf))
                @for (k, v) in spec.hidden { input type="hidden" name=(k) value=(v); }
                (volunteer_fields(form, regions, spec))
                button.primary type="submit" id="submit" { (spec.submit) }
            }
        },
    )
}

/// A row of step labels.
pub fn steps(labels: &[&str], current: usize) -> Markup {
    html! {
        ol.steps {
            @for (i, l) in labels.iter().enumerate() {
                li.current[i == current] { (i + 1) ". " (l) }
            }
        }
    }
}

/// The registration agreement (科技志愿者注册协议), written for this platform.
pub fn agreement_text() -> Markup {
    html! {
        p { "欢迎注册成为科技志愿者。注册前请阅读以下内容：" }
        ol {
            li { strong { "我们保存什么：" } "您填写的姓名、手机号、性别、身份证号、政治面貌、民族、工作单位、职称、学历、从业类别、所在区域、服务类别与领域、是否为基层“三长”，以及您报名和参加活动的记录、服务时长。" }
            li { strong { "为什么保存：" } "用于科技志愿者注册管理、组织活动、记录志愿服务时长和出具证明，并按《中国科协科普部关于进一步做好科技志愿服务有关工作的通知》汇总上报科技志愿服务信息平台。" }
            li { strong { "谁能看到：" } "您本人；您加入的组织的管理员（可看到姓名、手机号等，身份证号始终隐去中间部分）；县科协平台管理员。身份证号只在平台管理员导出上报数据时完整出现，每次查看和导出都会记录在审计日志中。" }
            li { strong { "数据存放：" } "数据保存在县科协的本地电脑中，不经过互联网传输，除按规定上报外不向其他单位提供。" }
            li { strong { "更正与删除：" } "您可以随时登录修改自己的信息；身份证号有误、希望注销或删除信息，请联系县科协工作人员办理。" }
            li { strong { "未成年人：" } "未满14周岁的志愿者须由监护人同意，并填写监护人姓名和手机号。" }
            li { strong { "志愿精神：" } "科技志愿服务是自愿、无偿的公益服务。请如实填写信息，遵守活动安排和安全要求。" }
        }
    }
}

/// The agreement on its own page.
pub fn agreement_page(ctx: &PageCtx) -> Markup {
    page(
        ctx,
        "科技志愿者注册协议",
        html! { section.card { h1 { "科技志愿者注册协议" } (agreement_text()) } },
    )
}

/// What a volunteer's own profile page shows.
pub struct ProfileView {
    pub rows: Vec<(&'static str, String)>,
    pub has_password: bool,
    /// Teams this person administers: (id, name, status label).
    pub admin_of: Vec<(String, String, &'static str)>,
    /// Memberships: (org id, name, state label, added by team, can leave).
    pub teams: Vec<(String, String, &'static str, bool, bool)>,
    /// Teams inviting this person to join: (org id, name).
    pub invitations: Vec<(String, String)>,
    /// Whether the person agreed to be shown as 典型人物.
    pub showcase_consent: bool,
}

/// 志愿者信息: the volunteer's own data, teams and account.
pub fn profile(ctx: &PageCtx, v: &ProfileView) -> Markup {
    page(
        ctx,
        "志愿者信息",
        html! {
            h1 { "志愿者信息" }
            section.card id="profile" {
                dl.facts { @for (k, val) in &v.rows { dt { (k) } dd { (val) } } }
                p.row-actions {
                    a.button.primary href="/me/edit" id="edit-profile" { "编辑信息" }
                    a.button href="/me/phone" { "更换手机号" }
                }
            }
            @if !v.admin_of.is_empty() {
                section.card id="my-admin-teams" {
                    h2 { "我管理的组织" }
                    ul { @for (id, name, status) in &v.admin_of {
                        li { a href={ "/team/" (id) } { (name) } " " span.badge { (status) } }
                    } }
                }
            }
            @if !v.invitations.is_empty() {
                section.card.notice id="invitations" {
                    h2 { "组织邀请" }
                    p.hint { "同意后您将成为该组织成员，组织管理员可以看到您的姓名、手机号和所在区域。" }
                    ul.plain { @for (id, name) in &v.invitations {
                        li.invitation {
                            a href={ "/teams/" (id) } { (name) } " 邀请您加入 "
                            form.inline method="post" action={ "/me/teams/" (id) "/accept" } {
                                (csrf_field(&ctx.csrf))
                                button.primary type="submit" class="accept-invitation" { "同意加入" }
                            }
                            " "
                            form.inline method="post" action={ "/me/teams/" (id) "/decline" } {
                                (csrf_field(&ctx.csrf))
                                button type="submit" class="decline-invitation" { "谢绝" }
                            }
                        }
                    } }
                }
            }
            section.card id="my-teams" {
                h2 { "我加入的组织" }
                @if v.teams.is_empty() {
                    p.muted { "还没有加入组织。" a href="/teams" { "浏览组织" } }
                } @else {
                    ul.plain {
                        @for (id, name, state, by_team, can_leave) in &v.teams {
                            li {
                                a href={ "/teams/" (id) } { (name) } " "
                                span.badge { (state) }
                                @if *by_team { " " span.badge { "由组织添加" } }
                                @if *can_leave {
                                    " "
                                    form.inline method="post" action={ "/me/teams/" (id) "/leave" } {
                                        (csrf_field(&ctx.csrf))
                                        button.linkish type="submit" { "退出" }
                                    }
                                }
                            }
                        }
                    }
                    p { a href="/teams" { "浏览更多组织" } }
                }
            }
            section.card id="showcase-consent" {
                h2 { "典型人物展示" }
                p { @if v.showcase_consent { "您已同意：县科协可以把您的姓名和服务事迹作为典型人物展示在首页。" } @else { "县科协可能希望把优秀志愿者作为典型人物展示在首页（只显示姓名和事迹，不显示手机号和身份证号）。" } }
                form method="post" action="/me/showcase-consent" {
                    (csrf_field(&ctx.csrf))
                    @if v.showcase_consent {
                        input type="hidden" name="consent" value="no";
                        button type="submit" { "撤回同意" }
                    } @else {
                        input type="hidden" name="consent" value="yes";
                        button type="submit" id="showcase-agree" { "同意展示" }
                    }
                }
            }
            section.card {
                h2 { "登录密码" }
                p { @if v.has_password { "已设置密码，可以用手机号 + 密码登录。" } @else { "设置密码后，下次登录不需要验证码。" } }
                a.button href="/me/password" { @if v.has_password { "修改密码" } @else { "设置密码" } }
            }
        },
    )
}

/// Change of phone, step 1 (new phone) and step 2 (code sent to it).
pub fn phone_change(ctx: &PageCtx, form: &FormState, code_sent_to: Option<(&str, &str)>) -> Markup {
    page(
        ctx,
        "更换手机号",
        html! {
            section.card {
                h1 { "更换手机号" }
                (form_feedback(form))
                @match code_sent_to {
                    None => {
                        form id="phone-change" method="post" action="/me/phone" novalidate {
                            (csrf_field(&ctx.csrf))
                            (Field::phone("new_phone", "新手机号", form.value("new_phone")).error(form.error("new_phone")).render())
                            button.primary type="submit" { "发送验证码到新手机号" }
                        }
                    }
                    Some((phone, masked)) => {
                        p { "验证码已发送到 " strong { (masked) } "。" }
                        form id="phone-verify" method="post" action="/me/phone/verify" novalidate {
                            (csrf_field(&ctx.csrf))
                            input type="hidden" name="new_phone" value=(phone);
                            (Field { autocomplete: "one-time-code", inputmode: Some("numeric"), ..Field::text("code", "6 位验证码", "") }.error(form.error("code")).render())
                            button.primary type="submit" { "确认更换" }
                        }
                    }
                }
            }
        },
    )
}
