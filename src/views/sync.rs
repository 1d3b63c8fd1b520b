//! 数据同步: pairing laptops and syncing with them over the network.

use super::components::{csrf_field, form_error};
use super::layout::{PageCtx, page};
use super::merge::CountLine;
use maud::{Markup, PreEscaped, html};

/// This laptop's pairing code, for the page.
pub struct CodeView<'a> {
    pub code: &'a str,
    pub expires: &'a str,
    pub addresses: &'a [String],
    pub qr_svg: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// A paired laptop as listed.
pub struct PeerLine {
    pub id: String,
    pub name: String,
    pub address: String,
    pub region: Option<String>,
    pub paired_at: String,
    pub last_sync: Option<String>,
}

/// The 数据同步 page: the pairing code, paired laptops with a sync button each, and the
/// pairing form.
pub fn page_view(
    ctx: &PageCtx,
    message: Option<&str>,
    code: &CodeView<'_>,
    peers: &[PeerLine],
    open_conflicts: usize,
    typed: (&str, &str),
) -> Markup {
    page(
        ctx,
        "数据同步",
        html! {
            h1 { "数据同步" }
            p { "同一网络中已配对的电脑可以直接互相同步：双方都得到对方新增和修改的记录（含照片），规则与合并数据包相同。没有网络时仍可用“合并数据包”。" }
            (form_error(message))
            @if open_conflicts > 0 {
                p.notice id="sync-conflicts" { "有 " (open_conflicts) " 个冲突待处理：" a href="/admin/merge#conflicts" { "去处理" } }
            }
            section.card id="peers" {
                h2 { "已配对的电脑（" (peers.len()) "）" }
                @if peers.is_empty() { p.muted { "还没有配对的电脑。" } }
                @for p in peers {
                    div.peer id={ "peer-" (p.id) } {
                        h3 { (p.name) }
                        p.muted {
                            "配对于 " (p.paired_at)
                            @if let Some(s) = &p.last_sync { " · 上次同步 " (s) } @else { " · 尚未同步" }
                            @if let Some(r) = &p.region { " · 只发送地区 " (r) " 的志愿者" }
                        }
                        form.sync-run method="post" action="/admin/sync/run" {
                            (csrf_field(&ctx.csrf))
                            div.field {
                                label for={ "f-addr-" (p.id) } { "对方地址" }
                                input id={ "f-addr-" (p.id) } name="address" value=(p.address) required;
                            }
                            button.primary type="submit" id={ "sync-" (p.id) } { "立即同步" }
                        }
                        form method="post" action={ "/admin/sync/peers/" (p.id) "/remove" } {
                            (csrf_field(&ctx.csrf))
                            button type="submit" id={ "remove-" (p.id) } { "解除配对" }
                        }
                    }
                }
            }
            section.card id="pair-here" {
                h2 { "让另一台电脑与本机配对" }
                p { "在另一台电脑的“数据同步”页面填写本机地址和下面的配对码。配对码 10 分钟内有效，只能使用一次，输错 5 次即作废。" }
                p.big id="pair-code" { (code.code) }
                p.muted { "有效至 " (code.expires)
                    @if let Some(r) = code.region { " · 只发送地区 " (r) " 的志愿者" } }
                @if code.addresses.is_empty() {
                    p.muted { "本机还没有局域网地址：请先连接 Wi-Fi 或打开热点。" }
                } @else {
                    p { "本机地址：" @for (i, a) in code.addresses.iter().enumerate() { @if i > 0 { "，" } code.addr { (a) } } }
                }
                @if let Some(svg) = code.qr_svg { div.qr id="pair-qr" { (PreEscaped(svg)) } }
                form method="post" action="/admin/sync/code" id="new-code" {
                    (csrf_field(&ctx.csrf))
                    div.field {
                        label for="f-code-region" { "只发送这个地区的志愿者（可选，填地区代码，如 370102）" }
                        input id="f-code-region" name="region" inputmode="numeric";
                    }
                    button type="submit" { "换一个配对码" }
                }
            }
            section.card id="pair-there" {
                h2 { "与另一台电脑配对" }
                form method="post" action="/admin/sync/pair" id="pair-form" {
                    (csrf_field(&ctx.csrf))
                    div.field {
                        label for="f-pair-address" { "对方地址" }
                        input id="f-pair-address" name="address" value=(typed.0) placeholder="192.168.43.1:8080" required;
                    }
                    div.field {
                        label for="f-pair-code" { "对方显示的配对码" }
                        input id="f-pair-code" name="code" value=(typed.1) autocomplete="off" required;
                    }
                    div.field {
                        label for="f-pair-region" { "只发送这个地区的志愿者（可选）" }
                        input id="f-pair-region" name="region" inputmode="numeric";
                    }
                    button.primary type="submit" { "配对" }
                }
            }
        },
    )
}

/// A finished sync: the peer's name and the counts received and sent, or why it stopped.
pub type Finished<'a> = Result<(&'a str, &'a [CountLine], &'a [CountLine]), &'a str>;

/// A running or finished sync.
pub fn run_view(ctx: &PageCtx, address: &str, step: &str, outcome: Option<Finished<'_>>) -> Markup {
    page(
        ctx,
        "数据同步",
        html! {
            h1 { "与 " (address) " 同步" }
            @match outcome {
                None => { p id="sync-progress" role="status" { (step) } p.muted { "页面会自动刷新。同步中断不会损坏数据，再同步一次即可继续。" } }
                Some(Err(e)) => { (form_error(Some(e))) p id="sync-failed" { "同步没有完成。已合并的部分已保存，再同步一次会继续，不会重复。" } }
                Some(Ok((peer, received, sent))) => {
                    p id="sync-done" role="status" { "同步完成：" (peer) }
                    (counts("从对方收到（已合并到本机）", "sync-received", received))
                    (counts("发送给对方（已合并到对方）", "sync-sent", sent))
                }
            }
            p { a.button href="/admin/sync" { "返回数据同步" } " " a href="/admin/merge#conflicts" { "查看冲突" } }
        },
    )
}

fn counts(title: &str, id: &str, lines: &[CountLine]) -> Markup {
    html! {
        section.card id=(id) {
            h2 { (title) }
            div.table-wrap { table.list.stack {
                thead { tr { th { "内容" } th { "新增" } th { "更新" } th { "未变" } th { "冲突" } th { "跳过" } } }
                tbody { @for l in lines {
                    tr { td data-label="内容" { (l.entity) } td data-label="新增" { (l.added) } td data-label="更新" { (l.updated) }
                         td data-label="未变" { (l.unchanged) } td data-label="冲突" { (l.conflicts) } td data-label="跳过" { (l.skipped) } }
                } }
            } }
        }
    }
}
