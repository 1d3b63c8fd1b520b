//! Platform admin pages: dashboard, code outbox, admin accounts, settings.

use super::components::{Field, FormState, csrf_field, form_feedback};
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// Figures on the dashboard.
pub struct Dashboard {
    pub volunteers: u64,
    pub teams: u64,
    pub outbox: u64,
    pub data_path: String,
}

/// The admin home page.
pub fn dashboard(ctx: &PageCtx, d: &Dashboard) -> Markup {
    page(
        ctx,
        "管理首页",
        html! {
            h1 { "管理首页" }
            section.stats {
                div.stat { strong id="count-volunteers" { (d.volunteers) } span { "名志愿者" } }
                div.stat { strong id="count-orgs" { (d.teams) } span { "个组织" } }
                div.stat { a href="/admin/outbox" { strong { (d.outbox) } } span { "条验证码消息" } }
            }
            section.card {
                h2 { "数据" }
                p { "数据文件：" code { (d.data_path) } }
                p.muted { "复制这个文件即可备份全部数据（请先停止科志）。" }
            }
        },
    )
}

/// One code message as staff see it: the phone only by its last four digits.
pub struct OutboxCode {
    pub time: String,
    pub minutes_ago: i64,
    /// Still within the code's lifetime.
    pub fresh: bool,
    /// "尾号 5678".
    pub tail: String,
    /// The code alone (or the whole text of a message that holds none).
    pub code: String,
    pub delivery: String,
}

/// The outbox: the newest valid codes large enough to read aloud, then the older ones.
pub fn outbox(
    ctx: &PageCtx,
    newest: &[OutboxCode],
    older: &[OutboxCode],
    page_no: usize,
    has_more: bool,
) -> Markup {
    page(
        ctx,
        "验证码发件箱",
        html! {
            h1 { "验证码发件箱" }
            p { "离线时验证码不会发出短信。请来访者说出手机号后四位，核对无误后把验证码告诉本人。" }
            @if !newest.is_empty() {
                section id="outbox-newest" aria-label="最新验证码" {
                    @for c in newest {
                        div.code-card {
                            p.code-tail { (c.tail) }
                            p.code-big { (c.code) }
                            p.muted {
                                (c.time) " · "
                                @if c.minutes_ago == 0 { "刚刚" } @else { (c.minutes_ago) " 分钟前" }
                            }
                        }
                    }
                }
            }
            p { a.button href="/admin/outbox" id="outbox-refresh" { "刷新" } }
            @if newest.is_empty() && older.is_empty() {
                p.muted id="outbox-empty" { "还没有消息。" }
            } @else if !older.is_empty() {
                h2 { @if newest.is_empty() { "验证码" } @else { "较早的验证码" } }
                table.list.stack id="outbox" {
                    thead { tr { th { "时间" } th { "手机号" } th { "验证码" } th { "发送方式" } } }
                    tbody {
                        @for c in older {
                            tr {
                                td data-label="时间" { (c.time) }
                                td.phone data-label="手机号" { (c.tail) }
                                td.text data-label="验证码" { (c.code) }
                                td data-label="发送方式" { (delivery_label(&c.delivery)) }
                            }
                        }
                    }
                }
            }
            nav.pager {
                @if page_no > 1 { a href={ "/admin/outbox?page=" (page_no - 1) } { "上一页" } }
                @if has_more { a href={ "/admin/outbox?page=" (page_no + 1) } { "下一页" } }
            }
        },
    )
}

fn delivery_label(d: &str) -> String {
    match d {
        "outbox" => "发件箱（由工作人员告知）".into(),
        "command: ok" => "已通过外部程序发送".into(),
        other => format!(
            "外部程序发送失败（{}）",
            other.trim_start_matches("command failed: ")
        ),
    }
}

/// One admin account row.
pub struct AdminRow {
    pub username: String,
    pub display_name: String,
    pub created: String,
}

/// Admin accounts and the form to add one.
pub fn admins(ctx: &PageCtx, rows: &[AdminRow], form: &FormState) -> Markup {
    page(
        ctx,
        "管理员账户",
        html! {
            h1 { "平台管理员账户" }
            table.list id="admins" {
                thead { tr { th { "用户名" } th { "姓名" } th { "创建时间" } } }
                tbody { @for r in rows { tr { td { (r.username) } td { (r.display_name) } td { (r.created) } } } }
            }
            section.card {
                h2 { "添加管理员" }
                (form_feedback(form))
                form id="admin-create" method="post" action="/admin/admins" {
                    (csrf_field(&ctx.csrf))
                    (Field::text("username", "用户名", form.value("username")).error(form.error("username")).render())
                    (Field::text("display_name", "姓名", form.value("display_name")).error(form.error("display_name")).render())
                    (Field::password("password", "密码", "new-password").hint("至少 8 位").error(form.error("password")).render())
                    (Field::password("confirm", "再次输入密码", "new-password").error(form.error("confirm")).render())
                    button.primary type="submit" { "添加" }
                }
            }
            section.card {
                h2 { "修改我的密码" }
                form id="admin-password" method="post" action="/admin/password" {
                    (csrf_field(&ctx.csrf))
                    (Field::password("current", "当前密码", "current-password").error(form.error("current")).render())
                    (Field::password("new_password", "新密码", "new-password").error(form.error("new_password")).render())
                    (Field::password("new_confirm", "再次输入新密码", "new-password").render())
                    button type="submit" { "修改密码" }
                }
            }
        },
    )
}

/// One setting as shown: its Chinese name, a line of help, and the value in use.
pub struct SettingRow {
    pub label: &'static str,
    pub help: &'static str,
    pub value: String,
}

/// The data file and its backups, for the settings page.
pub struct DataInfo {
    pub path: String,
    pub size: String,
    pub last_backup: String,
    pub backups_dir: String,
}

/// The settings page (settings that run programs are changed from the terminal).
pub fn settings(
    ctx: &PageCtx,
    rows: &[SettingRow],
    site_form: &FormState,
    data: &DataInfo,
) -> Markup {
    page(
        ctx,
        "系统设置",
        html! {
            h1 { "系统设置" }
            section.card id="data-info" {
                h2 { "数据与备份" }
                dl.facts {
                    dt { "数据文件" } dd { code { (data.path) } }
                    dt { "文件大小" } dd id="data-size" { (data.size) }
                    dt { "最近备份" } dd id="last-backup" { (data.last_backup) }
                    dt { "备份位置" } dd { code { (data.backups_dir) } }
                }
                p.muted { "科志运行时每天自动备份一次，保留最近几份（份数见下方“全部设置”）。也可以在终端运行 kezhi backup -o 文件名。" }
                form method="post" action="/admin/backup" {
                    (csrf_field(&ctx.csrf))
                    button type="submit" id="backup-now" { "立即备份" }
                }
            }
            section.card {
                h2 { "单位名称" }
                (form_feedback(site_form))
                form id="site-name" method="post" action="/admin/settings" {
                    (csrf_field(&ctx.csrf))
                    (Field::text("site_name", "单位名称", site_form.value("site_name")).error(site_form.error("site_name")).render())
                    button type="submit" { "保存" }
                }
            }
            section.card id="all-settings" {
                h2 { "全部设置" }
                dl.settings id="settings" {
                    @for r in rows {
                        div.setting {
                            dt { (r.label) }
                            dd.value { (r.value) }
                            dd.help { (r.help) }
                        }
                    }
                }
                p.muted { "为安全起见，除单位名称外的设置只能在运行科志的电脑上用终端命令 " code { "kezhi settings" } " 修改，改后重启科志生效。" }
            }
        },
    )
}

/// One audit entry as shown.
pub struct AuditLine {
    pub at: String,
    pub actor: String,
    pub address: String,
    pub action: String,
    pub detail: String,
    pub records: u64,
}

/// What the audit page shows.
pub struct AuditPage<'a> {
    pub q: &'a str,
    pub action: &'a str,
    pub actions: &'a [&'a str],
    pub lines: &'a [AuditLine],
    /// How many entries match; unknown for a text search, which stops at its page.
    pub total: Option<usize>,
    pub has_more: bool,
    pub page_no: usize,
    pub query: &'a str,
}

/// The audit log with its filter and download.
pub fn audit(ctx: &PageCtx, d: &AuditPage) -> Markup {
    let AuditPage {
        q,
        action,
        actions,
        lines,
        total,
        has_more,
        page_no,
        query,
    } = *d;
    page(
        ctx,
        "审计日志",
        html! {
            h1 { "审计日志" }
            p.muted { "记录管理员登录、导入、导出、合并、备份、恢复、查看完整身份证号和修改他人数据等操作。日志只能查看和下载，不能修改或删除。" }
            form.card method="get" action="/admin/audit" id="audit-filter" {
                (Field { required: false, ..Field::text("q", "操作人、地址或内容", q) }.render())
                (super::components::filter_select("action", "操作", actions, action))
                button.primary type="submit" { "查询" }
            }
            p {
                @if let Some(total) = total { "共 " (total) " 条 · " } @else { "第 " (page_no) " 页 · " }
                a href={ "/admin/audit.xlsx?" (query) } id="audit-xlsx" { "下载为 Excel" }
            }
            div.table-wrap { table.list.stack id="audit" {
                thead { tr { th { "时间" } th { "操作人" } th { "地址" } th { "操作" } th { "内容" } th { "记录数" } } }
                tbody { @for l in lines {
                    tr { td data-label="时间" { (l.at) } td data-label="操作人" { (l.actor) } td data-label="地址" { (l.address) }
                         td data-label="操作" { (l.action) } td data-label="内容" { (l.detail) } td data-label="记录数" { (l.records) } }
                } }
            } }
            (super::team::pager("/admin/audit", page_no, has_more, query))
        },
    )
}
