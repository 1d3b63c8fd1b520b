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

/// Navigation entries for a role: (path, label).
pub fn nav_items(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut items = vec![
        ("/", "首页"),
        ("/activities", "活动"),
        ("/teams", "组织"),
        ("/stats", "数据"),
    ];
    match role {
        Role::Public => {
            items.push(("/login?next=/register/volunteer", "志愿者注册"));
            items.push(("/login?next=/register/org", "组织注册"));
            items.push(("/demands/new", "提需求"));
            items.push(("/login", "登录"));
            items.push(("/admin/login", "管理员"));
        }
        Role::VerifiedPhone => {
            items.push(("/register/volunteer", "志愿者注册"));
            items.push(("/register/org", "组织注册"));
        }
        Role::Volunteer => {
            items.push(("/me/activities", "我参加的活动"));
            items.push(("/me", "志愿者信息"));
            items.push(("/me/record", "服务记录"));
            items.push(("/register/org", "组织注册"));
        }
        Role::TeamAdmin => {
            items.push(("/me/activities", "我参加的活动"));
            items.push(("/me", "志愿者信息"));
            items.push(("/me/record", "服务记录"));
            items.push(("/org", "组织信息"));
            items.push(("/org/activities", "我发布的活动"));
            items.push(("/demands", "服务需求"));
            items.push(("/import", "集体注册导入"));
            items.push(("/export", "导出"));
        }
        Role::PlatformAdmin => {
            items.push(("/admin", "管理首页"));
            items.push(("/admin/desk", "现场登记"));
            items.push(("/admin/stats", "数据统计"));
            items.push(("/admin/volunteers", "志愿者管理"));
            items.push(("/admin/teams", "组织管理"));
            items.push(("/demands", "服务需求"));
            items.push(("/import", "集体注册导入"));
            items.push(("/export", "导出上报"));
            items.push(("/admin/outbox", "验证码发件箱"));
            items.push(("/admin/audit", "审计日志"));
            items.push(("/admin/admins", "管理员账户"));
            items.push(("/admin/settings", "系统设置"));
        }
    }
    items.push(("/links", "友情链接"));
    items.push(("/join", "扫码访问"));
    items
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
                nav.mainnav aria-label="主菜单" {
                    ul {
                        @for (href, label) in nav_items(ctx.role) {
                            li {
                                @if *href == ctx.path {
                                    a.active href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        @if ctx.role != Role::Public {
                            li {
                                form.inline method="post" action="/logout" {
                                    (super::components::csrf_field(&ctx.csrf))
                                    button.linkish type="submit" { "退出登录" }
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
        let public = page(&ctx(Role::Public), "标题", html! {}).into_string();
        assert!(!public.contains("/admin/outbox"));
        assert!(!public.contains("退出登录"));
    }
}
