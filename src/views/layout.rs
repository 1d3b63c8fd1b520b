//! The page frame: head, top bar with the site name, role-based navigation, flash
//! message, content and footer. Mobile-first; works without JavaScript.

use maud::{DOCTYPE, Markup, html};

/// Who is looking at the page, for navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 公众: not signed in.
    Public,
    /// A phone proven by a code that has not registered yet.
    VerifiedPhone,
    /// 志愿者.
    Volunteer,
    /// 组织管理员: a volunteer who administers a team.
    TeamAdmin,
    /// 平台管理员.
    PlatformAdmin,
}

impl Role {
    /// The Chinese name of the role.
    pub fn label(self) -> &'static str {
        match self {
            Role::Public => "公众",
            Role::VerifiedPhone => "待注册",
            Role::Volunteer => "志愿者",
            Role::TeamAdmin => "组织管理员",
            Role::PlatformAdmin => "平台管理员",
        }
    }
}

/// Everything the frame needs to know about the request.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub site_name: String,
    pub role: Role,
    /// Shown in the top bar: a masked phone or an admin's name.
    pub user_label: Option<String>,
    pub csrf: String,
    pub flash: Option<String>,
    /// The server's local time, shown on admin pages (an offline laptop's clock may be wrong).
    pub server_time: Option<String>,
    /// The current path, to mark the active navigation item.
    pub path: String,
    /// Reload the page after this many seconds (progress pages work without JavaScript).
    pub refresh: Option<u32>,
}

/// A role's navigation: a few entries that fit one row on a 360 px phone, and the rest
/// grouped under 更多 (a `<details>` menu: it opens without JavaScript, also in WeChat).
pub struct Nav {
    pub primary: Vec<(&'static str, &'static str)>,
    /// (group, entries), in the manual's groups.
    pub more: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
}

/// The navigation for a role.
pub fn nav(role: Role) -> Nav {
    let public_site = vec![
        ("/", "首页"),
        ("/activities", "活动"),
        ("/teams", "组织"),
        ("/stats", "数据"),
        ("/demands/new", "提需求"),
    ];
    let other = vec![("/links", "友情链接"), ("/join", "扫码访问")];
    match role {
        Role::Public => Nav {
            primary: vec![
                ("/activities", "活动"),
                ("/teams", "组织"),
                ("/login?next=/register/volunteer", "注册"),
                ("/login", "登录"),
            ],
            more: vec![
                (
                    "志愿者",
                    vec![
                        ("/login?next=/register/volunteer", "志愿者注册"),
                        ("/login", "登录"),
                    ],
                ),
                ("组织", vec![("/login?next=/register/team", "组织注册")]),
                ("浏览", public_site),
                ("管理", vec![("/admin/login", "管理员")]),
                ("友情链接", other),
            ],
        },
        Role::VerifiedPhone => Nav {
            primary: vec![
                ("/activities", "活动"),
                ("/register/volunteer", "志愿者注册"),
                ("/register/team", "组织注册"),
            ],
            more: vec![("浏览", public_site), ("友情链接", other)],
        },
        Role::Volunteer => Nav {
            primary: vec![
                ("/activities", "活动"),
                ("/me/activities", "我的活动"),
                ("/me", "我的"),
            ],
            more: vec![
                (
                    "志愿者",
                    vec![
                        ("/me/activities", "我参加的活动"),
                        ("/me", "志愿者信息"),
                        ("/me/record", "服务记录"),
                    ],
                ),
                ("组织", vec![("/register/team", "组织注册")]),
                ("浏览", public_site),
                ("友情链接", other),
            ],
        },
        Role::TeamAdmin => Nav {
            primary: vec![
                ("/activities", "活动"),
                ("/team/activities/new", "活动发布"),
                ("/team", "组织"),
                ("/me", "我的"),
            ],
            more: vec![
                (
                    "组织",
                    vec![
                        ("/team", "组织信息"),
                        ("/team/activities/new", "活动发布"),
                        ("/team/activities", "我发布的活动"),
                        ("/demands", "服务需求"),
                        ("/import", "集体注册导入"),
                        ("/export", "导出"),
                    ],
                ),
                (
                    "志愿者",
                    vec![
                        ("/me/activities", "我参加的活动"),
                        ("/me", "志愿者信息"),
                        ("/me/record", "服务记录"),
                    ],
                ),
                ("浏览", public_site),
                ("友情链接", other),
            ],
        },
        Role::PlatformAdmin => Nav {
            primary: vec![
                ("/admin", "管理"),
                ("/admin/desk", "现场登记"),
                ("/admin/volunteers", "志愿者"),
                ("/admin/teams", "组织"),
            ],
            more: vec![
                (
                    "管理",
                    vec![
                        ("/admin", "管理首页"),
                        ("/admin/desk", "现场登记"),
                        ("/admin/volunteers", "志愿者管理"),
                        ("/admin/teams", "组织管理"),
                        ("/admin/stats", "数据统计"),
                        ("/demands", "服务需求"),
                    ],
                ),
                (
                    "数据",
                    vec![
                        ("/import", "集体注册导入"),
                        ("/export", "导出上报"),
                        ("/admin/merge", "合并数据包"),
                        ("/admin/sync", "数据同步"),
                    ],
                ),
                (
                    "系统",
                    vec![
                        ("/admin/outbox", "验证码发件箱"),
                        ("/admin/audit", "审计日志"),
                        ("/admin/admins", "管理员账户"),
                        ("/admin/settings", "系统设置"),
                    ],
                ),
                ("浏览", public_site),
                ("友情链接", other),
            ],
        },
    }
}

/// Every navigation entry of a role (primary first), for tests and the sitemap.
pub fn nav_items(role: Role) -> Vec<(&'static str, &'static str)> {
    let n = nav(role);
    let mut items = n.primary.clone();
    for (_, group) in n.more {
        for item in group {
            if !items.iter().any(|(h, _)| *h == item.0) {
                items.push(item);
            }
        }
    }
    items
}

fn nav_link(href: &str, label: &str, current: &str) -> Markup {
    html! {
        @if href == current {
            a.active href=(href) aria-current="page" { (label) }
        } @else {
            a href=(href) { (label) }
        }
    }
}

/// Wrap `body` in the site frame.
pub fn page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="format-detection" content="telephone=no";
                @if let Some(secs) = ctx.refresh { meta http-equiv="refresh" content=(secs); }
                title { (title) " · " (ctx.site_name) "科技志愿服务" }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                script src="/assets/app.js" defer {}
            }
            body {
                header.topbar {
                    a.brand href="/" { (ctx.site_name) " · 科技志愿服务" }
                    @if let Some(u) = &ctx.user_label {
                        span.who { (ctx.role.label()) "：" (u) }
                    }
                }
                @let menu = nav(ctx.role);
                nav.mainnav aria-label="主菜单" {
                    ul.primary {
                        @for (href, label) in &menu.primary {
                            li { (nav_link(href, label, &ctx.path)) }
                        }
                        li.more-item {
                            details.more id="more-menu" {
                                summary { "更多" }
                                div.more-panel {
                                    @for (group, items) in &menu.more {
                                        section.more-group {
                                            h2 { (group) }
                                            ul { @for (href, label) in items {
                                                li { (nav_link(href, label, &ctx.path)) }
                                            } }
                                        }
                                    }
                                    @if ctx.role != Role::Public {
                                        form.inline method="post" action="/logout" {
                                            (super::components::csrf_field(&ctx.csrf))
                                            button.linkish type="submit" id="logout" { "退出登录" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" {
                    @if let Some(f) = &ctx.flash {
                        p.flash role="status" { (f) }
                    }
                    (body)
                }
                footer.footer {
                    @if let Some(t) = &ctx.server_time {
                        p id="server-time" { "服务器时间：" (t) "（如与实际时间不符，请校准本机时钟）" }
                    }
                    p { "科志 Kezhi " (crate::VERSION) " · 离线运行，数据保存在本机" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(role: Role) -> PageCtx {
        PageCtx {
            site_name: "测试县科协".into(),
            role,
            user_label: None,
            csrf: "tok".into(),
            flash: Some("<b>已保存</b>".into()),
            server_time: None,
            path: "/".into(),
            refresh: None,
        }
    }

    #[test]
    fn page_escapes_and_navigates() {
        let html = page(&ctx(Role::PlatformAdmin), "标题", html! { p { "正文" } }).into_string();
        assert!(
            html.contains("&lt;b&gt;已保存&lt;/b&gt;"),
            "flash must be escaped"
        );
        assert!(html.contains("/admin/outbox"));
        assert!(html.contains("退出登录"));
        for role in [
            Role::Public,
            Role::VerifiedPhone,
            Role::Volunteer,
            Role::TeamAdmin,
            Role::PlatformAdmin,
        ] {
            let n = nav(role);
            // One row on a 360 px phone: at most four short entries beside 更多.
            assert!(n.primary.len() <= 4, "{role:?}");
            let chars: usize = n.primary.iter().map(|(_, l)| l.chars().count()).sum();
            assert!(chars <= 14, "{role:?}: {chars} characters");
        }
        let public = page(&ctx(Role::Public), "标题", html! {}).into_string();
        assert!(!public.contains("/admin/outbox"));
        assert!(!public.contains("退出登录"));
    }
}
