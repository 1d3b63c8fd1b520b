//! 集体注册: template downloads, uploading 附件1 / 附件2, the check's progress, the
//! preview with its choices, and the result.

use super::components::{csrf_field, form_error};
use super::layout::{PageCtx, page};
use maud::{Markup, html};

/// The upload page.
pub struct UploadPage<'a> {
    /// Platform admins may import teams (附件1) and choose any team for 附件2.
    pub teams_allowed: bool,
    /// Teams 附件2 may be imported into: (id, name).
    pub teams: &'a [(String, String)],
    pub message: Option<&'a str>,
}

/// Where staff download the templates and upload filled forms.
pub fn upload(ctx: &PageCtx, d: &UploadPage) -> Markup {
    page(
        ctx,
        "集体注册导入",
        html! {
            h1 { "集体注册导入" }
            (form_error(d.message))
            section.card id="templates" {
                h2 { "1. 下载模板" }
                p { "请使用下面的官方模板填写（与通知附件一致）。手机号、身份证号列已设为文本格式，下拉项可直接选择。" }
                ul {
                    li { a href="/templates/teams.xlsx" id="template-teams" { "附件1 科技志愿服务组织集体注册信息表.xlsx" } }
                    li { a href="/templates/volunteers.xlsx" id="template-volunteers" { "附件2 科技志愿者集体注册信息表.xlsx" } }
                }
            }
            @if d.teams_allowed {
                section.card {
                    h2 { "2. 上传附件1（组织）" }
                    form id="upload-teams" method="post" action="/import" enctype="multipart/form-data" {
                        (csrf_field(&ctx.csrf))
                        input type="hidden" name="form" value="teams";
                        div.field { label for="f-teams-file" { "选择文件（.xlsx / .xls / .csv）" }
                            input id="f-teams-file" type="file" name="file" accept=".xlsx,.xls,.csv" required; }
                        button.primary type="submit" { "上传并检查" }
                    }
                }
            }
            section.card {
                h2 { @if d.teams_allowed { "3. " } @else { "2. " } "上传附件2（志愿者）" }
                form id="upload-volunteers" method="post" action="/import" enctype="multipart/form-data" {
                    (csrf_field(&ctx.csrf))
                    input type="hidden" name="form" value="volunteers";
                    div.field {
                        label for="f-team" { "导入后加入组织" }
                        select id="f-team" name="team" {
                            @if d.teams_allowed { option value="" { "不加入组织" } }
                            @for (id, name) in d.teams { option value=(id) { (name) } }
                        }
                    }
                    div.field { label for="f-volunteers-file" { "选择文件（.xlsx / .xls / .csv）" }
                        input id="f-volunteers-file" type="file" name="file" accept=".xlsx,.xls,.csv" required; }
                    button.primary type="submit" { "上传并检查" }
                }
            }
            p.muted { "上传后先检查，不会立即保存。检查结果页面可以选择如何导入。表格中的个人信息请妥善保管，导入后删除本地文件。" }
        },
    )
}

/// While the file is checked or committed.
pub fn progress(ctx: &PageCtx, file_name: &str, what: &str, done: usize, total: usize) -> Markup {
    let pct = (done * 100).checked_div(total).unwrap_or(0).min(100);
    page(
        ctx,
        "正在处理",
        html! {
            section.card id="import-progress" {
                h1 { (what) }
                p { (file_name) }
                progress max="100" value=(pct) { (pct) "%" }
                p id="progress-count" { "已检查 " (done) " / " (total) " 行" }
                p.muted { "页面会自动刷新，请稍候。" }
            }
        },
    )
}

/// One error line on the preview.
pub struct IssueLine {
    pub row: u32,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// The preview after checking.
pub struct Preview<'a> {
    pub job: &'a str,
    pub file_name: &'a str,
    pub form_title: &'a str,
    pub rows_read: usize,
    pub valid: usize,
    pub invalid: usize,
    pub matching: usize,
    pub issues: &'a [IssueLine],
    pub more_issues: usize,
    pub unexpected: &'a [String],
    pub team: Option<&'a str>,
    /// A refusal from an earlier commit attempt.
    pub message: Option<&'a str>,
    /// The uploaded headers, for the rows table.
    pub headers: &'a [String],
    /// One page of rows, errors first: (row number, cells, bad column indexes, messages).
    pub rows: &'a [(u32, Vec<String>, Vec<usize>, String)],
    /// 0-based page of `rows`, and whether more follow.
    pub page: usize,
    pub has_more: bool,
    /// A team admin imports: matching people are invited, never updated.
    pub team_admin: bool,
}

/// 检查结果: counts, errors, and the commit choices.
pub fn preview(ctx: &PageCtx, d: &Preview) -> Markup {
    page(
        ctx,
        "检查结果",
        html! {
            h1 { "检查结果" }
            (form_error(d.message))
            section.card id="summary" {
                p { (d.form_title) " · " (d.file_name) }
                @if let Some(t) = d.team { p { "导入后加入：" strong { (t) } } }
                div.stats {
                    div.stat { strong id="rows-read" { (d.rows_read) } span { "行数据" } }
                    div.stat { strong id="rows-valid" { (d.valid) } span { "行正确" } }
                    div.stat { strong id="rows-invalid" { (d.invalid) } span { "行有错误" } }
                    div.stat { strong id="rows-matching" { (d.matching) } span { "行与已有记录相同" } }
                }
                @if !d.unexpected.is_empty() { p.muted { "以下列不是模板中的列，已忽略：" (d.unexpected.join("、")) } }
            }
            @if d.invalid > 0 {
                section.card id="issues" {
                    h2 { "错误（" (d.issues.len() + d.more_issues) " 处）" }
                    p { a.button href={ "/import/" (d.job) "/errors.xlsx" } id="download-errors" { "下载错误说明（Excel）" } " 在原表上标出了错误的单元格，改好后重新上传即可。" }
                    div.table-wrap { table.list.stack {
                        thead { tr { th { "行" } th { "列" } th { "填写的内容" } th { "怎么改" } } }
                        tbody { @for i in d.issues {
                            tr { td data-label="行" { (i.row) } td data-label="列" { (i.column) } td data-label="填写的内容" { (i.value) } td data-label="怎么改" { (i.message) } }
                        } }
                    } }
                    @if d.more_issues > 0 { p.muted { "还有 " (d.more_issues) " 处错误，请下载错误说明查看全部。" } }
                }
            }
            section.card id="preview-rows" {
                h2 { "表格内容（有错误的行在前）" }
                p.muted { "行号与 Excel 中的行号一致；标红的单元格需要修改。" }
                div.table-wrap.wide { table.list.preview {
                    thead { tr {
                        th { "行" }
                        @for h in d.headers { th { (h) } }
                        th { "错误说明" }
                    } }
                    tbody { @for (number, cells, bad, errors) in d.rows {
                        tr.has-error[!errors.is_empty()] {
                            td { (number) }
                            @for i in 0..d.headers.len() {
                                @if bad.contains(&i) {
                                    td.bad-cell { (cells.get(i).map(String::as_str).unwrap_or("")) }
                                } @else {
                                    td { (cells.get(i).map(String::as_str).unwrap_or("")) }
                                }
                            }
                            td.error { (errors) }
                        }
                    } }
                } }
                nav.pager {
                    @if d.page > 0 { a.button href={ "/import/" (d.job) "?page=" (d.page) } id="rows-prev" { "上一页" } }
                    " 第 " (d.page + 1) " 页 "
                    @if d.has_more { a.button href={ "/import/" (d.job) "?page=" (d.page + 2) } id="rows-next" { "下一页" } }
                }
            }
            @if d.valid > 0 {
                section.card id="commit" {
                    h2 { "确认导入" }
                    form method="post" action={ "/import/" (d.job) "/commit" } {
                        (csrf_field(&ctx.csrf))
                        @if d.matching > 0 && d.team_admin {
                            p.hint { "与已登记志愿者相同的 " (d.matching) " 行：不会改动他们的信息，而是向不在本组织的人发出邀请，本人同意后加入。" }
                        } @else if d.matching > 0 {
                            fieldset {
                                legend { "与已有记录相同的 " (d.matching) " 行" }
                                label.check { input type="radio" name="existing" value="skip" checked; "跳过，保留已有记录" }
                                label.check { input type="radio" name="existing" value="update"; "用表格中的内容更新已有记录" }
                            }
                        }
                        @if d.invalid > 0 {
                            label.check { input type="checkbox" name="valid_only" value="yes"; "只导入正确的 " (d.valid) " 行（有错误的行不导入）" }
                            p.muted { "不勾选时，按“全部正确才导入”的规则，有错误就不导入任何数据。" }
                        }
                        button.primary type="submit" id="commit-import" { "确认导入" }
                    }
                }
            }
            p { a href="/import" { "重新上传" } }
        },
    )
}

/// The result after committing.
pub fn done(
    ctx: &PageCtx,
    form_title: &str,
    added: usize,
    updated: usize,
    skipped: usize,
    notes: &[String],
) -> Markup {
    page(
        ctx,
        "导入完成",
        html! {
            section.card id="import-done" {
                h1 { "导入完成" }
                p { (form_title) }
                div.stats {
                    div.stat { strong id="added" { (added) } span { "新增" } }
                    div.stat { strong id="updated" { (updated) } span { "更新" } }
                    div.stat { strong id="skipped" { (skipped) } span { "跳过" } }
                }
                @for n in notes { p { (n) } }
                p { a.button href="/import" { "继续导入" } }
            }
        },
    )
}
