//! What a county clerk and a farmer on a cheap phone hit, over HTTP: the team's admin is a
//! member of their own team, the team form survives an interruption, an imported team's
//! admin takes it up through 组织注册, the activity list shows what is not over, forms
//! with errors open at a summary, a second code request keeps the code box, and the error
//! report numbers rows as the page (and Excel) do.

mod common;

use common::{TestApp, local, pairs, post, team_form, valid_id};
use kezhi::domain::ids::Gid;
use kezhi::domain::people::{MembershipState, TeamStatus};
use kezhi::exchange::columns::Form;
use kezhi::exchange::template::{self, RowValues};
use std::time::{Duration, Instant};

fn volunteer_form(name: &str, id_number: &str) -> Vec<(String, String)> {
    let gender = match id_number.chars().nth(16).and_then(|c| c.to_digit(10)) {
        Some(d) if d % 2 == 1 => "男",
        _ => "女",
    };
    pairs(&[
        ("real_name", name),
        ("gender", gender),
        ("id_number", id_number),
        ("political_status", "群众"),
        ("ethnicity", "汉族"),
        ("employer", "四平市农业技术推广站"),
        ("title_level", "副高"),
        ("education", "本科"),
        ("occupation", "农技推广机构"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("service_categories", "农技服务"),
        ("service_fields", "农技服务类"),
        ("sanzhang", "否"),
        ("agree", "yes"),
    ])
}

#[test]
fn the_teams_admin_is_a_member_from_the_start_and_it_counts_as_one_of_five() {
    let t = TestApp::start();
    t.add_volunteer("13912400001", &valid_id("22030219750328020"));
    let mut c = t.sign_in_by_code("13912400001");
    let r = post(&mut c, "/register/team", &team_form("成员自带队"));
    assert_eq!(r.status, 303, "{}", r.body);
    let org: Gid = r
        .header("location")
        .unwrap()
        .trim_start_matches("/team/")
        .parse()
        .unwrap();
    let admin = t
        .app
        .store
        .volunteer_by_phone("13912400001")
        .unwrap()
        .unwrap();
    assert_eq!(
        t.app
            .store
            .membership(org, admin.id)
            .unwrap()
            .unwrap()
            .state,
        MembershipState::Approved
    );
    let me = c.get("/me");
    assert!(me.body.contains("成员自带队") && !me.body.contains("还没有加入组织"));
    // The admin cannot leave their own team.
    assert_eq!(
        c.post_form(&format!("/me/teams/{org}/leave"), &[]).status,
        422
    );
    // Approved, the public list counts the admin.
    t.admin().post_form(
        &format!("/admin/teams/{org}/status"),
        &[("decision", "approve")],
    );
    assert!(t.client().get("/teams").body.contains("1 名成员"));
    assert!(
        c.get(&format!("/team/{org}/members"))
            .body
            .contains("13912400001")
    );

    // Someone already in five teams is told so when registering a sixth.
    let v = t.add_volunteer("13912400002", &valid_id("22030219800101002"));
    for i in 0..5 {
        let team = t.add_team(
            &format!("1391240010{i}"),
            &valid_id(&format!("2203021980010110{i}")),
            &format!("第{i}队"),
        );
        t.app
            .store
            .invite_member(team.id, v.id, chrono::Utc::now())
            .unwrap();
        t.app
            .store
            .answer_invitation(v.id, team.id, true, chrono::Utc::now())
            .unwrap();
    }
    let mut full = t.sign_in_by_code("13912400002");
    let r = post(&mut full, "/register/team", &team_form("第六个队"));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("已加入 5 个组织"), "{}", r.body);
    assert!(t.app.store.team_id_by_name("第六个队").is_none());
}

#[test]
fn the_team_form_is_kept_across_an_interruption() {
    let t = TestApp::start();
    let phone = "13912400011";
    let mut c = t.client();
    c.post_form("/login/code", &[("phone", phone)]);
    let code = t.last_code(phone);
    c.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    // Step 1 done, then the phone locks before step 2.
    let step1 = post(&mut c, "/register/team", &team_form("断点续填服务队"));
    assert_eq!(step1.status, 200);
    assert!(step1.body.contains("管理员信息"));
    let again = c.get("/register/team");
    assert!(
        again.body.contains("断点续填服务队") && again.body.contains("铁西区科协"),
        "the draft comes back"
    );
    // Typing that failed is kept too.
    let mut half = team_form("只填了一半的队");
    half.retain(|(k, _)| k != "supervisor_name");
    assert_eq!(post(&mut c, "/register/team", &half).status, 422);
    assert!(c.get("/register/team").body.contains("只填了一半的队"));
}

#[test]
fn an_imported_teams_admin_takes_it_up_through_team_registration() {
    let t = TestApp::start();
    let row: RowValues = [
        ("org_name", "导入的农技服务队"),
        ("admin_phone", "13912400021"),
        ("mca_registered", "否"),
        ("supervisor_type", "地方科协"),
        ("supervisor_name", "梨树县科协"),
        ("founded_on", "2019/8/8"),
        ("service_categories", "科技培训"),
        ("province", "吉林省"),
        ("city", "四平市"),
        ("county", "梨树县"),
    ]
    .iter()
    .map(|(k, v)| (*k, v.to_string()))
    .collect();
    let bytes = template::workbook(Form::Teams, &[row]).unwrap();
    let report = kezhi::app::import::check(
        &t.app.store,
        Form::Teams,
        &bytes,
        chrono::Utc::now().date_naive(),
        &kezhi::exchange::import::Progress::default(),
    )
    .unwrap();
    kezhi::app::import::commit(
        &t.app.store,
        Form::Teams,
        &report,
        None,
        Default::default(),
        ("t", "x"),
        chrono::Utc::now(),
    )
    .unwrap();
    let org = t.app.store.team_id_by_name("导入的农技服务队").unwrap();
    assert_eq!(
        t.app.store.team(org).unwrap().unwrap().status,
        TeamStatus::WaitingForAdmin
    );

    let phone = "13912400021";
    let mut c = t.client();
    c.post_form(
        "/login/code",
        &[("phone", phone), ("next", "/register/team")],
    );
    let code = t.last_code(phone);
    c.post_form(
        "/login/verify",
        &[
            ("phone", phone),
            ("code", &code),
            ("next", "/register/team"),
        ],
    );
    let page = c.get("/register/team");
    assert!(
        page.body.contains("id=\"take-up\"") && page.body.contains("导入的农技服务队"),
        "offers the imported team, not a blank form"
    );
    assert!(page.body.contains("梨树县科协"), "shows the imported data");
    assert!(!page.body.contains("id=\"org-form\""));
    // A different team is still possible.
    assert!(
        c.get("/register/team?new=1")
            .body
            .contains("id=\"org-form\"")
    );
    let r = post(
        &mut c,
        "/register/volunteer",
        &volunteer_form("赵队长", &valid_id("22030219750328020")),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(format!("/team/{org}").as_str()));
    let o = t.app.store.team(org).unwrap().unwrap();
    assert_eq!(o.status, TeamStatus::Active);
    let admin = t.app.store.volunteer_by_phone(phone).unwrap().unwrap();
    assert_eq!(
        t.app
            .store
            .membership(org, admin.id)
            .unwrap()
            .unwrap()
            .state,
        MembershipState::Approved
    );
    assert_eq!(t.app.store.teams().unwrap().len(), 1, "no duplicate");
}

#[test]
fn the_activity_list_shows_what_is_not_over_with_ended_one_tap_away() {
    let t = TestApp::start();
    let org = t.add_team("13912400031", &valid_id("22030219750328020"), "活动列表队");
    let mut admin = t.sign_in_by_code("13912400031");
    for (title, start) in [("明天的活动", 24 * 60), ("下周的活动", 7 * 24 * 60)] {
        let mut f = pairs(&[
            ("title", title),
            ("service_category", "农技服务"),
            ("province", "220000"),
            ("city", "220300"),
            ("county", "220302"),
            ("address", "某村"),
            ("description", "讲解"),
            ("contact_name", "孙强"),
            ("contact_phone", "13900000001"),
            ("capacity", "0"),
            ("publish", "yes"),
        ]);
        f.push(("signup_opens".into(), local(-60)));
        f.push(("signup_closes".into(), local(start - 60)));
        f.push(("starts_at".into(), local(start)));
        f.push(("ends_at".into(), local(start + 120)));
        assert_eq!(
            post(&mut admin, &format!("/team/{}/activities/new", org.id), &f).status,
            303
        );
    }
    // Two days later the first is over.
    t.app.set_clock_skew(chrono::Duration::days(2));
    let mut v = t.client();
    let list = v.get("/activities");
    assert!(list.body.contains("下周的活动"));
    assert!(
        !list.body.contains("明天的活动"),
        "ended ones are not listed by default"
    );
    assert!(list.body.contains("id=\"phase-tabs\""));
    let ended = v.get("/activities?phase=%E6%B4%BB%E5%8A%A8%E7%BB%93%E6%9D%9F");
    assert!(ended.body.contains("明天的活动") && !ended.body.contains("下周的活动"));
    let all = v.get("/activities?phase=%E5%85%A8%E9%83%A8");
    assert!(all.body.contains("明天的活动") && all.body.contains("下周的活动"));
    // Results come before the folded filters' form on the page? The results list exists and
    // the filter form sits inside the 筛选 fold.
    let fold = list.body.find("id=\"filter-panel\"").unwrap();
    let form = list.body.find("id=\"activity-filter\"").unwrap();
    assert!(fold < form);
}

#[test]
fn a_form_with_errors_opens_at_a_summary_linking_each_faulty_field() {
    let t = TestApp::start();
    let phone = "13912400041";
    let mut c = t.client();
    c.post_form("/login/code", &[("phone", phone)]);
    let code = t.last_code(phone);
    c.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    let form = c.get("/register/volunteer");
    assert!(
        form.body
            .contains("action=\"/register/volunteer#error-summary\""),
        "the form posts to the summary's anchor"
    );
    let mut f = volunteer_form("钱多多", &valid_id("22030219750328020"));
    f.retain(|(k, _)| k != "agree" && k != "employer");
    let r = post(&mut c, "/register/volunteer", &f);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"error-summary\""));
    assert!(r.body.contains("有 2 处需要修改"), "{}", r.body);
    assert!(r.body.contains("href=\"#f-employer\"") && r.body.contains("href=\"#f-agree\""));
    // In page order: 工作单位 comes before the agreement.
    assert!(r.body.find("href=\"#f-employer\"") < r.body.find("href=\"#f-agree\""));
}

#[test]
fn asking_for_a_code_again_within_the_minute_keeps_the_code_box() {
    let t = TestApp::start();
    let phone = "13912400051";
    let mut c = t.client();
    let first = c.post_form("/login/code", &[("phone", phone)]);
    let verify = c.get(first.header("location").unwrap());
    assert!(
        verify.body.contains("id=\"resend-wait\""),
        "a countdown after sending"
    );
    let again = c.post_form("/login/code", &[("phone", phone)]);
    assert_eq!(again.status, 429);
    assert!(
        again.body.contains("id=\"code-verify\""),
        "the code box stays"
    );
    assert!(again.body.contains("秒后再重新获取"));
    assert!(again.body.contains("id=\"resend-wait\""));
    // The code already sent still works from that page.
    let code = t.last_code(phone);
    let r = c.post_form("/login/verify", &[("phone", phone), ("code", &code)]);
    assert_eq!(r.status, 303);
}

#[test]
fn the_error_report_numbers_rows_as_the_page_and_excel_do() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let good = |n: u32| -> RowValues {
        let id = valid_id(&format!("22032219800101{n:03}"));
        let gender = if id.chars().nth(16).unwrap().to_digit(10).unwrap() % 2 == 1 {
            "男"
        } else {
            "女"
        };
        [
            ("real_name", "张建华".to_string()),
            ("phone", format!("1380001{n:04}")),
            ("gender", gender.into()),
            ("id_number", id),
            ("political_status", "群众".into()),
            ("ethnicity", "汉族".into()),
            ("employer", "梨树县农业技术推广中心".into()),
            ("title_level", "中级".into()),
            ("education", "本科".into()),
            ("occupation", "农技推广机构".into()),
            ("province", "吉林省".into()),
            ("city", "四平市".into()),
            ("county", "梨树县".into()),
            ("service_categories", "农技服务".into()),
            ("service_fields", "农技服务类".into()),
            ("sanzhang", "否".into()),
        ]
        .into_iter()
        .collect()
    };
    let mut bad1 = good(2);
    bad1.insert("phone", "12345".into());
    let mut bad2 = good(4);
    bad2.insert("gender", "不详".into());
    // The template puts data from Excel row 4: rows 4..=7 here; rows 5 and 7 are wrong.
    let bytes = template::workbook(Form::Volunteers, &[good(1), bad1, good(3), bad2]).unwrap();
    let r = admin.post_multipart(
        "/import",
        &[("form", "volunteers"), ("team", "")],
        &[("file", "v.xlsx", &bytes)],
    );
    let job = r.header("location").unwrap().to_string();
    let started = Instant::now();
    let page = loop {
        let p = admin.get(&job);
        if !p.body.contains("import-progress") || started.elapsed() > Duration::from_secs(30) {
            break p;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        page.body.contains("id=\"preview-rows\""),
        "the rows are previewed"
    );
    let rows_at = |n: u32| format!("<td>{n}</td>");
    // Errors first: rows 5 and 7 before 4 and 6.
    let pos = |n| page.body.find(&rows_at(n)).unwrap_or(usize::MAX);
    assert!(pos(5) < pos(4) && pos(7) < pos(4), "errors first");
    assert!(page.body.contains("bad-cell"));
    let xlsx = admin.get(&format!("{job}/errors.xlsx"));
    assert_eq!(xlsx.status, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body_bytes())).unwrap();
    use calamine::Reader;
    let range = book.worksheet_range("错误报告").unwrap();
    let errors_col = range.width() - 1;
    let cell = |row: u32| -> String {
        range
            .get_value((row, errors_col as u32))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    // 0-based index = Excel row - 1.
    assert!(!cell(4).is_empty(), "Excel row 5 carries its error");
    assert!(!cell(6).is_empty(), "Excel row 7 carries its error");
    assert!(cell(3).is_empty() && cell(5).is_empty());
}
