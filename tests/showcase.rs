//! Demands and matching, the statistics showcase, typical cases and people, friendly
//! links and the front door — including script payloads shown as text everywhere.

mod common;

use common::{Client, TestApp, valid_id};
use kezhi::domain::ids::Gid;

const XSS: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";

fn demand_form(text: &str) -> Vec<(&'static str, String)> {
    vec![
        ("requester_kind", "新时代文明实践中心".into()),
        ("requester_name", "梨树镇新时代文明实践所".into()),
        ("contact_name", "王主任".into()),
        ("contact_phone", "0434-5212345".into()),
        ("province", "220000".into()),
        ("city", "220300".into()),
        ("county", "220322".into()),
        ("categories", "农技服务".into()),
        ("text", text.into()),
        ("wanted_when", "12月上旬".into()),
    ]
}

fn post(c: &mut Client, path: &str, f: &[(&'static str, String)]) -> common::Resp {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form(path, &pairs)
}

fn with(
    mut f: Vec<(&'static str, String)>,
    k: &'static str,
    v: &str,
) -> Vec<(&'static str, String)> {
    f.retain(|(key, _)| *key != k);
    f.push((k, v.into()));
    f
}

fn submit(t: &TestApp, text: &str) -> (String, Gid) {
    let mut c = t.client();
    let r = post(&mut c, "/demands/new", &demand_form(text));
    assert_eq!(r.status, 303, "{}", &r.body[..r.body.len().min(2000)]);
    let r = c.get(r.header("location").unwrap());
    let start = r.body.find("id=\"demand-number\"").unwrap();
    let number: String = r.body[start..]
        .split("<strong>")
        .nth(1)
        .unwrap()
        .split("</strong>")
        .next()
        .unwrap()
        .to_string();
    let d = t.app.store.demand_by_number(&number).unwrap().unwrap();
    (number, d.id)
}

#[test]
fn a_demand_is_submitted_looked_up_taken_turned_into_an_activity_and_done() {
    let t = TestApp::start();
    let (number, id) = submit(&t, "需要玉米病虫害防治讲解");
    let mut anyone = t.client();
    let status = anyone.get(&format!("/demands/status?n={number}"));
    assert!(status.body.contains("待对接"));
    assert_eq!(anyone.get("/demands/status?n=XQ000").status, 404);
    assert_eq!(anyone.get("/demands").status, 403, "the list is for admins");

    let org = t.add_team(
        "13900000001",
        &valid_id("22030219750328020"),
        "梨树农技服务队",
    );
    let mut admin = t.sign_in_by_code("13900000001");
    assert!(admin.get("/demands").body.contains(&number));
    let page = admin.get(&format!("/demands/{id}"));
    assert!(page.body.contains("matching-volunteers"));
    assert_eq!(
        admin
            .post_form(
                &format!("/demands/{id}/take"),
                &[("team", &org.id.to_string())]
            )
            .status,
        303
    );
    assert!(
        anyone
            .get(&format!("/demands/status?n={number}"))
            .body
            .contains("已对接")
    );
    let form = admin.get(&format!("/team/{}/activities/new?demand={id}", org.id));
    assert!(form.body.contains("需要玉米病虫害防治讲解") && form.body.contains("name=\"demand\""));
    // Publish from the demand: the activity links back.
    let now = chrono::Utc::now().with_timezone(&kezhi::config::default_offset());
    let at = |h: i64| {
        (now + chrono::Duration::hours(h))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let fields = [
        ("demand", id.to_string()),
        ("title", "玉米病虫害防治讲解".to_string()),
        ("service_category", "农技服务".into()),
        ("province", "220000".into()),
        ("city", "220300".into()),
        ("county", "220322".into()),
        ("address", "梨树镇".into()),
        ("description", "讲解".into()),
        ("contact_name", "孙强".into()),
        ("contact_phone", "13900000001".into()),
        ("signup_opens", at(-1)),
        ("signup_closes", at(24)),
        ("starts_at", at(48)),
        ("ends_at", at(50)),
        ("capacity", "0".into()),
        ("publish", "yes".into()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        admin
            .post_form(&format!("/team/{}/activities/new", org.id), &pairs)
            .status,
        303
    );
    let d = t.app.store.demand(id).unwrap().unwrap();
    let activity = d.activity.expect("linked");
    assert_eq!(
        t.app.store.activity(activity).unwrap().unwrap().demand,
        Some(id)
    );
    assert_eq!(
        admin.post_form(&format!("/demands/{id}/done"), &[]).status,
        303
    );
    assert!(
        anyone
            .get(&format!("/demands/status?n={number}"))
            .body
            .contains("已完成")
    );
}

/// The numbers of the demands a list page shows, in order.
fn listed_numbers(body: &str) -> Vec<String> {
    body.match_indices("XQ")
        .map(|(i, _)| {
            body[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect()
        })
        .filter(|n: &String| n.len() > 4)
        .fold(Vec::new(), |mut seen, n| {
            if !seen.contains(&n) {
                seen.push(n);
            }
            seen
        })
}

#[test]
fn the_demands_list_filters_by_region_category_and_state() {
    use kezhi::domain::demand::DemandState;
    let t = TestApp::start();
    let mut c = t.client();
    let mut numbers = Vec::new();
    for (county, category) in [
        ("220322", "农技服务"),
        ("220302", "科普讲解"),
        ("220322", "科普讲解"),
    ] {
        let form = with(
            with(demand_form("需求"), "county", county),
            "categories",
            category,
        );
        let r = post(&mut c, "/demands/new", &form);
        assert_eq!(r.status, 303);
        let found = t
            .app
            .store
            .demand_page(&Default::default(), 1, 50)
            .unwrap()
            .0;
        numbers.push(found[0].number.clone());
    }
    let (first, second, third) = (
        numbers[0].as_str(),
        numbers[1].as_str(),
        numbers[2].as_str(),
    );
    let mut done = t.app.store.demand_by_number(third).unwrap().unwrap();
    done.state = DemandState::Done;
    t.app.store.save_demand(&done).unwrap();

    let mut admin = t.admin();
    let list = |admin: &mut Client, query: &str| {
        listed_numbers(&admin.get(&format!("/demands?{query}")).body)
    };
    assert_eq!(list(&mut admin, ""), [third, second, first], "newest first");
    assert_eq!(
        list(&mut admin, "province=220000&city=220300&county=220322"),
        [third, first]
    );
    assert_eq!(list(&mut admin, "category=科普讲解"), [third, second]);
    assert_eq!(list(&mut admin, "state=待对接"), [second, first]);
    assert_eq!(
        list(&mut admin, "county=220322&category=科普讲解&state=已完成"),
        [third]
    );
    assert!(list(&mut admin, "county=220322&state=已对接").is_empty());
    assert!(list(&mut admin, "state=不存在").is_empty());
    assert!(list(&mut admin, "county=999999").is_empty());
}

#[test]
fn bad_demands_and_the_per_address_limit() {
    let t = TestApp::start();
    let mut c = t.client();
    let cases = [
        (
            with(demand_form("需要讲解"), "contact_name", ""),
            "请填写联系人",
        ),
        (
            with(demand_form("需要讲解"), "contact_phone", "12345"),
            "联系电话应为",
        ),
        (demand_form(&"字".repeat(2001)), "不能超过2000个字"),
    ];
    for (form, words) in cases {
        let r = post(&mut c, "/demands/new", &form);
        assert_eq!(r.status, 422);
        assert!(r.body.contains(words), "{words}");
    }
    assert!(t.app.store.demands().unwrap().is_empty());
    for i in 0..5 {
        assert_eq!(
            post(&mut c, "/demands/new", &demand_form(&format!("需求{i}"))).status,
            303
        );
    }
    let limited = post(&mut c, "/demands/new", &demand_form("第六个"));
    assert_eq!(limited.status, 429);
    assert!(limited.body.contains("提交太频繁"));
    assert_eq!(t.app.store.demands().unwrap().len(), 5);
}

#[test]
fn matching_volunteers_nearest_first_with_sanzhang_highlighted() {
    let t = TestApp::start();
    let (_, id) = submit(&t, "需要农技服务");
    // Constructed volunteers: categories and places differ.
    let mk = |phone: &str, id: &str, county: &str, cats: &[&str], sanzhang: &str, name: &str| {
        let mut v = t.add_volunteer(phone, &valid_id(id));
        v.real_name = name.into();
        v.region = kezhi::domain::regions::path_of(county).unwrap();
        v.service_categories = cats.iter().map(|s| s.to_string()).collect();
        v.service_fields = vec![];
        v.sanzhang = sanzhang.into();
        t.app.store.update_volunteer(&v).unwrap();
    };
    mk(
        "13800000001",
        "11010119800101001",
        "110101",
        &["农技服务"],
        "否",
        "远方甲",
    );
    mk(
        "13800000002",
        "11010119800101002",
        "220302",
        &["农技服务"],
        "否",
        "同市乙",
    );
    mk(
        "13800000003",
        "11010119800101003",
        "220322",
        &["农技服务"],
        "否",
        "同县丙",
    );
    mk(
        "13800000004",
        "11010119800101004",
        "220322",
        &["农技服务"],
        "农技站站长",
        "同县站长丁",
    );
    mk(
        "13800000005",
        "11010119800101005",
        "220322",
        &["网络科普"],
        "否",
        "不相关戊",
    );
    let admin_org = t.add_team("13900000001", &valid_id("22030219750328020"), "队");
    let _ = admin_org;
    let mut admin = t.sign_in_by_code("13900000001");
    let page = admin.get(&format!("/demands/{id}")).body;
    let pos = |name: &str| page.find(name).unwrap_or_else(|| panic!("{name} missing"));
    assert!(pos("同县站长丁") < pos("同县丙"), "三长 first among equals");
    assert!(pos("同县丙") < pos("同市乙"));
    assert!(pos("同市乙") < pos("远方甲"));
    assert!(!page.contains("不相关戊"), "no shared category, no match");
    assert!(page[pos("同县站长丁")..].starts_with("同县站长丁") && page.contains("农技站站长"));
}

#[test]
fn statistics_match_counts_from_the_raw_data() {
    let t = TestApp::start();
    let org = t.add_team("13900000001", &valid_id("22030219750328020"), "梨树服务队");
    for n in 1..=7u32 {
        let mut v = t.add_volunteer(
            &format!("1380000{n:04}"),
            &valid_id(&format!("1101011980010{n}{n:03}")),
        );
        if n % 2 == 0 {
            v.sanzhang = "中小学校长".into();
        }
        v.service_categories = if n <= 3 {
            vec!["农技服务".into()]
        } else {
            vec!["科普讲解".into(), "农技服务".into()]
        };
        t.app.store.update_volunteer(&v).unwrap();
    }
    let _ = org;
    let vols = t.app.store.volunteers().unwrap();
    let raw_nongji = vols
        .iter()
        .filter(|v| v.service_categories.iter().any(|c| c == "农技服务"))
        .count() as u64;
    let raw_kepu = vols
        .iter()
        .filter(|v| v.service_categories.iter().any(|c| c == "科普讲解"))
        .count() as u64;
    let raw_principals = vols.iter().filter(|v| v.sanzhang == "中小学校长").count() as u64;
    let raw_male = vols.iter().filter(|v| v.gender.label() == "男").count() as u64;
    let s = kezhi::app::stats::compute(&t.app.store, chrono::Utc::now().date_naive()).unwrap();
    assert_eq!(s.volunteers, vols.len() as u64);
    assert_eq!(s.teams, 1);
    let get = |series: &kezhi::app::stats::Series, k: &str| {
        series
            .iter()
            .find(|(l, _)| l == k)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert_eq!(get(&s.volunteers_by_category, "农技服务"), raw_nongji);
    assert_eq!(get(&s.volunteers_by_category, "科普讲解"), raw_kepu);
    assert_eq!(get(&s.sanzhang, "中小学校长"), raw_principals);
    assert_eq!(get(&s.gender, "男"), raw_male);
    assert_eq!(
        s.age_bands.iter().map(|(_, n)| n).sum::<u64>(),
        vols.len() as u64
    );
    let mut c = t.client();
    let page = c.get("/stats");
    assert!(page.body.contains("<svg") && page.body.contains("chart-category"));
    assert!(
        page.body
            .contains(&format!("id=\"total-volunteers\">{}<", vols.len()))
    );
    assert_eq!(c.get("/admin/stats").status, 403);
    let x = c.get("/stats.xlsx");
    assert_eq!(x.status, 200);
    // The cache follows changes.
    t.add_volunteer("13800009999", &valid_id("11010119800201099"));
    assert!(
        c.get("/stats")
            .body
            .contains(&format!("id=\"total-volunteers\">{}<", vols.len() + 1))
    );
}

#[test]
fn script_payloads_are_shown_as_text_on_every_public_page() {
    let t = TestApp::start();
    let (number, _) = submit(&t, XSS);
    let org = t.add_team("13900000001", &valid_id("22030219750328020"), XSS);
    let mut v = t.add_volunteer("13800000001", &valid_id("11010119800101001"));
    v.real_name = XSS.into();
    v.employer = XSS.into();
    t.app.store.update_volunteer(&v).unwrap();
    t.app
        .store
        .set_showcase_consent(v.id, Some(chrono::Utc::now()))
        .unwrap();
    t.app
        .store
        .feature(&kezhi::store::Featured {
            kind: kezhi::store::FeaturedKind::Person,
            id: v.id,
            text: XSS.into(),
            at: chrono::Utc::now(),
        })
        .unwrap();
    let mut c = t.client();
    for path in [
        "/",
        "/stats",
        "/teams",
        &format!("/teams/{}", org.id),
        &format!("/demands/status?n={number}"),
        "/links",
        "/join",
    ] {
        let r = c.get(path);
        assert!(!r.body.contains("<script>alert"), "{path} renders a script");
        assert!(!r.body.contains("<img src=x"), "{path} renders an img tag");
    }
    let home = c.get("/");
    assert!(
        home.body.contains("&lt;script&gt;"),
        "the payload appears as text"
    );
    let mut admin = t.admin();
    let stats = admin.get("/admin/stats");
    assert!(!stats.body.contains("<script>alert"));
}

#[test]
fn featured_people_need_their_consent() {
    let t = TestApp::start();
    let v = t.add_volunteer("13800000001", &valid_id("11010119800101001"));
    let mut admin = t.admin();
    let refused = admin.post_form(
        "/admin/featured",
        &[
            ("kind", "person"),
            ("id", &v.id.to_string()),
            ("action", "add"),
            ("text", "优秀"),
        ],
    );
    assert_eq!(refused.status, 422);
    let mut me = t.sign_in_by_code("13800000001");
    assert_eq!(
        me.post_form("/me/showcase-consent", &[("consent", "yes")])
            .status,
        303
    );
    let ok = admin.post_form(
        "/admin/featured",
        &[
            ("kind", "person"),
            ("id", &v.id.to_string()),
            ("action", "add"),
            ("text", "优秀志愿者"),
        ],
    );
    assert_eq!(ok.status, 303);
    assert!(t.client().get("/").body.contains("优秀志愿者"));
    // Withdrawing consent takes them off the home page.
    me.post_form("/me/showcase-consent", &[("consent", "no")]);
    assert!(!t.client().get("/").body.contains("优秀志愿者"));
}

#[test]
fn friendly_links_front_door_and_join() {
    let t = TestApp::start();
    let mut c = t.client();
    let home = c.get("/");
    for entry in ["我是志愿者", "我是组织", "找活动", "提需求"] {
        assert!(home.body.contains(entry), "{entry}");
    }
    let links = c.get("/links");
    assert!(links.body.contains("需联网"));
    assert!(links.body.contains("/templates/volunteers.xlsx"));
    assert!(!links.body.contains("[image"));
    let join = c.get("/join");
    assert!(join.body.contains("192.168.43.1") && join.body.contains("<svg"));
}

#[test]
fn staff_register_a_person_at_the_desk_and_print_a_card() {
    let t = TestApp::start();
    let mut admin = t.admin();
    assert_eq!(admin.get("/admin/desk").status, 200);
    assert_eq!(
        admin
            .post_form("/admin/desk", &[("phone", "13812340000")])
            .status,
        200
    );
    let code = t.last_code("13812340000");
    let form = admin.post_form(
        "/admin/desk/verify",
        &[("phone", "13812340000"), ("code", &code)],
    );
    assert_eq!(form.status, 200);
    let start = form.body.find("name=\"desk\" value=\"").unwrap() + "name=\"desk\" value=\"".len();
    let token: String = form.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let id = valid_id("22030219750328020");
    let fields = [
        ("desk", token.as_str()),
        ("real_name", "现场登记人"),
        ("gender", "女"),
        ("id_number", id.as_str()),
        ("political_status", "群众"),
        ("ethnicity", "汉族"),
        ("employer", "某村"),
        ("title_level", "无"),
        ("education", "高中"),
        ("occupation", "农民"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220322"),
        ("service_categories", "农技服务"),
        ("service_fields", "农技服务类"),
        ("sanzhang", "否"),
        ("agree", "yes"),
    ];
    let card = admin.post_form("/admin/desk/register", &fields);
    assert_eq!(
        card.status,
        200,
        "{}",
        &card.body[..card.body.len().min(1500)]
    );
    assert!(
        card.body.contains("signin-card")
            && card.body.contains("现场登记人")
            && card.body.contains("138****0000")
    );
    let v = t
        .app
        .store
        .volunteer_by_phone("13812340000")
        .unwrap()
        .unwrap();
    assert!(v.confirmed);
    assert_eq!(v.consent.unwrap().how, "desk");
    // The token is used up; volunteers cannot reach the desk.
    assert_eq!(admin.post_form("/admin/desk/register", &fields).status, 422);
    t.add_volunteer("13812349999", &valid_id("11010119800101009"));
    let mut vol = t.sign_in_by_code("13812349999");
    assert_eq!(vol.get("/admin/desk").status, 403);
}

/// The section addresses listed on the contents page, in order.
fn section_links(body: &str) -> Vec<String> {
    body.match_indices("href=\"/links/")
        .map(|(i, _)| {
            let rest = &body[i + "href=\"".len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn policy_documents_are_a_contents_page_and_short_sections() {
    let t = TestApp::start();
    let mut c = t.client();
    let contents = c.get("/links");
    assert_eq!(contents.status, 200);
    let sections = section_links(&contents.body);
    assert_eq!(
        sections,
        [
            "/links/forward",
            "/links/notice",
            "/links/annex-1",
            "/links/annex-2",
            "/links/annex-3"
        ]
    );
    assert!(
        contents.body.len() < 12_000,
        "the contents page is a list, not the documents: {} bytes",
        contents.body.len()
    );

    let mut whole = String::new();
    for path in &sections {
        let r = c.get(path);
        assert_eq!(r.status, 200, "{path}");
        // The old single page was ~40 kB of HTML; a section is a few phone screens.
        assert!(r.body.len() < 24_000, "{path} is {} bytes", r.body.len());
        assert!(r.body.contains("href=\"/links\""), "{path} leads back");
        for junk in ["如下图所示", "[image", "[bookmark", "   o"] {
            assert!(!r.body.contains(junk), "{path} still holds {junk:?}");
        }
        whole.push_str(&r.body);
    }
    let notice = c.get("/links/notice");
    assert!(
        notice
            .body
            .contains("关于进一步做好科技志愿服务有关工作的通知")
    );
    assert!(notice.body.contains("科协普函基字〔2019〕49号"));
    assert!(notice.body.contains("<h2>一、基本定义</h2>"));
    // The notice's two forms are real tables, with their template downloads.
    let annex1 = c.get("/links/annex-1");
    assert!(
        annex1
            .body
            .contains("<table class=\"list doc-form\" id=\"form-columns\">")
    );
    assert_eq!(
        annex1.body.matches("<tr>").count(),
        1 + 15,
        "header + 15 columns"
    );
    assert!(annex1.body.contains("管理员手机号") && annex1.body.contains("/templates/teams.xlsx"));
    let annex2 = c.get("/links/annex-2");
    assert_eq!(annex2.body.matches("<tr>").count(), 1 + 17);
    assert!(annex2.body.contains("/templates/volunteers.xlsx"));
    // The manual points at Kezhi's own pages where it showed screenshots.
    let manual = c.get("/links/annex-3");
    for href in [
        "/login?next=/register/volunteer",
        "/login?next=/register/team",
        "/activities",
        "/team/activities",
        "/join",
    ] {
        assert!(
            manual.body.contains(&format!("href=\"{href}\"")),
            "the manual links {href}"
        );
    }
    assert!(whole.contains("用户使用手册"));
    assert_eq!(c.get("/links/annex-9").status, 404);
}

#[test]
fn external_sites_are_links_marked_as_needing_the_internet() {
    let t = TestApp::start();
    let links = t.client().get("/links");
    let external = &links.body[links.body.find("id=\"external\"").unwrap()..];
    let external = &external[..external.find("</section>").unwrap()];
    for (name, url) in [
        ("科技志愿服务信息平台", "http://www.stvs.org.cn/"),
        ("中国科协官网", "https://www.cast.org.cn/"),
        ("中国志愿服务联合会", "https://www.cvf.org.cn/"),
        ("中国科协绿平台", "https://www.cast.org.cn/"),
    ] {
        let anchor = format!("<a href=\"{url}\" rel=\"external noopener noreferrer\">{name}</a>");
        assert!(external.contains(&anchor), "{anchor} in {external}");
    }
    assert_eq!(external.matches("需联网").count(), 4);
    // Opening normally: no new window, no script in the way.
    assert!(!external.contains("target=") && !external.contains("onclick"));
}

/// The desk and self-registration share one volunteer creation: the desk now says which
/// field is already registered (it used to say only "phone or ID number").
#[test]
fn the_desk_names_the_id_number_that_is_already_registered() {
    let t = TestApp::start();
    let id = valid_id("22030219750328020");
    t.add_volunteer("13812340001", &id);
    let mut admin = t.admin();
    admin.post_form("/admin/desk", &[("phone", "13812340002")]);
    let code = t.last_code("13812340002");
    let form = admin.post_form(
        "/admin/desk/verify",
        &[("phone", "13812340002"), ("code", &code)],
    );
    let start = form.body.find("name=\"desk\" value=\"").unwrap() + "name=\"desk\" value=\"".len();
    let token: String = form.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let fields = [
        ("desk", token.as_str()),
        ("real_name", "另一个人"),
        ("gender", "女"),
        ("id_number", id.as_str()),
        ("political_status", "群众"),
        ("ethnicity", "汉族"),
        ("employer", "某村"),
        ("title_level", "无"),
        ("education", "高中"),
        ("occupation", "农民"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220322"),
        ("service_categories", "农技服务"),
        ("service_fields", "农技服务类"),
        ("sanzhang", "否"),
        ("agree", "yes"),
    ];
    let again = admin.post_form("/admin/desk/register", &fields);
    assert_eq!(again.status, 422);
    assert!(
        again.body.contains("该身份证号已经注册过志愿者"),
        "{}",
        again.body
    );
    assert!(
        t.app
            .store
            .volunteer_by_phone("13812340002")
            .unwrap()
            .is_none()
    );
}

/// Sign-in, phone change and the desk share one code check: a code that was never sent
/// gets the same message everywhere (the desk and the phone change used to say less).
#[test]
fn every_code_box_says_the_same_about_a_dead_code() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let desk = admin.post_form(
        "/admin/desk/verify",
        &[("phone", "13812340003"), ("code", "123456")],
    );
    assert_eq!(desk.status, 422);
    assert!(
        desk.body.contains("验证码已过期或已失效，请重新获取"),
        "{}",
        desk.body
    );
    t.add_volunteer("13812340004", &valid_id("11010119800101009"));
    let mut vol = t.sign_in_by_code("13812340004");
    let change = vol.post_form(
        "/me/phone/verify",
        &[("new_phone", "13812340005"), ("code", "123456")],
    );
    assert_eq!(change.status, 422);
    assert!(
        change.body.contains("验证码已过期或已失效，请重新获取"),
        "{}",
        change.body
    );
}
