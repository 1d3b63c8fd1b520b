//! 数据展示: server-rendered SVG bar charts, each with its numbers in a table beside it,
//! printable on one A4 page. Labels go through maud, so nothing typed by users can become
//! markup inside a chart.

use super::layout::{PageCtx, page};
use crate::app::stats::{Series, Stats};
use maud::{Markup, html};

/// A horizontal bar chart of a series (at most `max_rows` bars).
pub fn bar_chart(id: &str, title: &str, series: &Series, max_rows: usize) -> Markup {
    let rows: Vec<&(String, u64)> = series.iter().take(max_rows).collect();
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let row_h = 26;
    let label_w = 190;
    let bar_w = 200;
    let height = rows.len().max(1) * row_h + 8;
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            div.chart-body {
                svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (label_w + bar_w + 60) " " (height) }
                    role="img" aria-label=(title) {
                    @for (i, (label, n)) in rows.iter().enumerate() {
                        @let y = i * row_h + 4;
                        @let w = (*n as usize * bar_w) / max as usize;
                        text x=(label_w - 6) y=(y + 17) text-anchor="end" font-size="13" fill="#1c2430" { (label) }
                        rect x=(label_w) y=(y + 3) width=(w.max(1)) height="18" rx="3" fill="#1d5fa8" {}
                        text x=(label_w + w + 6) y=(y + 17) font-size="13" fill="#1c2430" { (n) }
                    }
                }
                details.chart-data {
                    summary { "查看数据" }
                    table.list.chart-table {
                        thead { tr { th { "项目" } th { "数量" } } }
                        tbody { @for (label, n) in series { tr { td { (label) } td { (n) } } } }
                    }
                }
            }
        }
    }
}

/// The statistics page (public, or the fuller admin version).
pub fn stats(ctx: &PageCtx, s: &Stats, full: bool) -> Markup {
    let hours = s.half_hours / 2;
    page(
        ctx,
        "数据展示",
        html! {
            h1 { (ctx.site_name) " · 科技志愿服务数据" }
            section.stats id="totals" {
                div.stat { strong id="total-teams" { (s.teams) } span { "个组织" } }
                div.stat { strong id="total-volunteers" { (s.volunteers) } span { "名志愿者" } }
                div.stat { strong id="total-activities" { (s.activities) } span { "场活动" } }
                div.stat { strong id="total-hours" { (hours) } span { "小时服务" } }
            }
            p.row-actions.no-print {
                a.button href="/stats.xlsx" id="stats-xlsx" { "下载 Excel" }
                @if full { a.button href="/stats" { "公开版" } } @else { a.button href="/admin/stats" { "完整版（管理员）" } }
            }
            div.charts {
                (bar_chart("chart-category", "各服务类别的志愿者", &s.volunteers_by_category, 10))
                (bar_chart("chart-county", "各县（区）志愿者", &s.volunteers_by_county, 12))
                (bar_chart("chart-months", "近12个月活动场次", &s.activities_by_month, 12))
                (bar_chart("chart-demands", "服务需求对接情况", &s.demands, 3))
                @if full {
                    (bar_chart("chart-hours", "近12个月服务时长（小时）", &s.hours_by_month, 12))
                    (bar_chart("chart-fields", "各服务领域的志愿者", &s.volunteers_by_field, 10))
                    (bar_chart("chart-teams-county", "各县（区）组织", &s.teams_by_county, 12))
                    (bar_chart("chart-sanzhang", "基层“三长”", &s.sanzhang, 5))
                    (bar_chart("chart-gender", "性别", &s.gender, 2))
                    (bar_chart("chart-age", "年龄段", &s.age_bands, 5))
                }
            }
        },
    )
}

/// Every table of the statistics, for the xlsx download: (title, rows).
pub fn tables(s: &Stats) -> Vec<(&'static str, &Series)> {
    vec![
        ("各服务类别的志愿者", &s.volunteers_by_category),
        ("各服务领域的志愿者", &s.volunteers_by_field),
        ("各县（区）志愿者", &s.volunteers_by_county),
        ("各县（区）组织", &s.teams_by_county),
        ("近12个月活动场次", &s.activities_by_month),
        ("近12个月服务时长（小时）", &s.hours_by_month),
        ("基层“三长”", &s.sanzhang),
        ("性别", &s.gender),
        ("年龄段", &s.age_bands),
        ("服务需求对接情况", &s.demands),
    ]
}
