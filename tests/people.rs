//! Volunteers and teams over HTTP: registration, bad input at the field, profiles,
//! membership, records entered by others, and the platform admin's pages.

mod common;

use common::{Client, TestApp, post, valid_id, with, without};
use kezhi::domain::people::{Source, Team, TeamStatus};

/// A complete, valid volunteer form (吉林省 四平市 铁西区, a woman born 1975-03-28).
fn volunteer_form(name: &str, id_number: &str) -> Vec<(String, String)> {
    // The gender the ID number says (17th digit odd = male), so the form agrees with it.
    let gender = match id_number.chars().nth(16).and_then(|c| c.to_digit(10)) {
        Some(d) if d % 2 == 1 => "男",
        _ => "女",
    };
    let mut f: Vec<(String, String)> = [
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
        ("service_categories", "科技培训"),
        ("service_categories", "农技服务"),
        ("service_fields", "农技服务类"),
        ("sanzhang", "农技站站长"),
        ("agree", "yes"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.retain(|(k, _)| !k.is_empty());
    f
}

fn woman_1975() -> String {
    valid_id("22030219750328020")
}

/// A phone verified by code, with the registration form in front of it.
fn verified(t: &TestApp, phone: &str) -> Client {
    t.sign_in_by_code(phone)
}

fn register(t: &TestApp, phone: &str, name: &str, id_number: &str) -> Client {
    let mut c = verified(t, phone);
    let r = post(
        &mut c,
        "/register/volunteer",
        &volunteer_form(name, id_number),
    );
    assert_eq!(r.status, 303, "registration failed: {}", r.body);
    c
}

/// The error paragraph rendered for a field, if any.
fn field_error(body: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"f-{field}\"");
    let start = body.find(&marker)?;
    let rest = &body[start..];
    // The field's block runs until the next field starts.
    let end = rest[marker.len()..]
        .find("id=\"f-")
        .map(|i| i + marker.len())
        .unwrap_or(rest.len());
    let block = &rest[..end];
    let e = block.find("class=\"error\"")?;
    let text = &block[e..];
    let open = text.find('>')? + 1;
    let close = text[open..].find("</p>")? + open;
    Some(text[open..close].to_string())
}

#[test]
fn volunteer_registers_on_a_phone() {
    let t = TestApp::start();
    let mut c = t.client();
    let r = c.post_form(
        "/login/code",
        &[
            ("phone", "１３９ １２３４ ５６７８"),
            ("next", "/register/volunteer"),
        ],
    );
    assert_eq!(
        r.status, 303,
        "full-width digits are accepted after normalising"
    );
    let code = t.last_code("13912345678");
    let r = c.post_form(
        "/login/verify",
        &[
            ("phone", "13912345678"),
            ("code", &code),
            ("next", "/register/volunteer"),
        ],
    );
    assert_eq!(r.header("location"), Some("/register/volunteer"));
    let form = c.get("/register/volunteer");
    assert_eq!(form.status, 200);
    for label in [
        "真实姓名",
        "身份证号",
        "政治面貌",
        "民族",
        "工作单位",
        "职称",
        "最高学历",
        "从业类别",
        "服务类别",
        "服务领域或行业",
        "是否为基层“三长”",
        "科技志愿者注册协议",
    ] {
        assert!(form.body.contains(label), "form lacks {label}");
    }
    let r = post(
        &mut c,
        "/register/volunteer",
        &volunteer_form("李秀英", &woman_1975()),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let me = c.get("/me");
    assert_eq!(me.status, 200);
    assert!(me.body.contains("李秀英"));
    assert!(me.body.contains("注册成功"));
    assert!(me.body.contains("四平市 铁西区"), "{}", me.body);
    assert!(
        !me.body.contains(&woman_1975()),
        "ID number masked on the profile"
    );
    let v = t
        .app
        .store
        .volunteer_by_phone("13912345678")
        .unwrap()
        .unwrap();
    assert!(v.confirmed);
    assert_eq!(v.birth_date.to_string(), "1975-03-28");
    assert_eq!(v.service_categories, vec!["科技培训", "农技服务"]);
    assert_eq!(v.consent.unwrap().how, "self");
    // Registered: the registration page sends them to their profile.
    assert_eq!(c.get("/register/volunteer").header("location"), Some("/me"));
}

#[test]
fn bad_volunteer_input_is_shown_at_the_field_and_nothing_is_stored() {
    let t = TestApp::start();
    let mut c = verified(&t, "13912340001");
    let ok = volunteer_form("王芳", &woman_1975());
    let mut bad_check = woman_1975();
    let last = bad_check.pop().unwrap();
    bad_check.push(if last == '0' { '1' } else { '0' });
    let feb30 = valid_id("11010120250230002");
    let long_name = "张".repeat(21);
    type Case<'a> = (Vec<(String, String)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            with(ok.clone(), "real_name", ""),
            "real_name",
            "请填写真实姓名",
        ),
        (
            with(ok.clone(), "real_name", "   "),
            "real_name",
            "请填写真实姓名",
        ),
        (with(ok.clone(), "real_name", &long_name), "real_name", "20"),
        (
            with(ok.clone(), "id_number", &bad_check),
            "id_number",
            "校验",
        ),
        (with(ok.clone(), "id_number", &feb30), "id_number", "日期"),
        (with(ok.clone(), "gender", "男"), "gender", "身份证"),
        (with(ok.clone(), "county", "220102"), "county", "不属于"),
        (
            with(ok.clone(), "ethnicity", "火星族"),
            "ethnicity",
            "火星族",
        ),
        (without(ok.clone(), "agree"), "agree", "注册协议"),
        (
            without(without(ok.clone(), "service_categories"), "service_fields"),
            "service_categories",
            "服务类别",
        ),
    ];
    for (form, field, words) in cases {
        let r = post(&mut c, "/register/volunteer", &form);
        assert_eq!(r.status, 422, "{field}: {}", r.body);
        let err = field_error(&r.body, field).unwrap_or_else(|| panic!("no error at {field}"));
        assert!(err.contains(words), "{field}: {err}");
        assert!(
            r.body.contains("四平市农业技术推广站"),
            "typed values are kept"
        );
    }
    // Several errors at once are all shown.
    let r = post(
        &mut c,
        "/register/volunteer",
        &with(with(ok.clone(), "real_name", ""), "gender", "男"),
    );
    assert!(
        field_error(&r.body, "real_name").is_some() && field_error(&r.body, "gender").is_some()
    );
    assert_eq!(t.app.store.people_counts().unwrap().volunteers, 0);
    // The good form still works afterwards.
    assert_eq!(post(&mut c, "/register/volunteer", &ok).status, 303);
}

#[test]
fn bad_phones_are_refused_with_a_reason() {
    let t = TestApp::start();
    let mut c = t.client();
    for (phone, words) in [
        ("1381234567", "11位"),
        ("138123456789", "11位"),
        ("13a12345678", "数字"),
    ] {
        let r = c.post_form("/login/code", &[("phone", phone)]);
        assert_eq!(r.status, 422, "{phone}");
        assert!(
            field_error(&r.body, "phone").unwrap().contains(words),
            "{phone}: {}",
            r.body
        );
    }
    assert_eq!(t.app.store.outbox_len().unwrap(), 0);
}

#[test]
fn a_minor_needs_a_guardian() {
    let t = TestApp::start();
    let mut c = verified(&t, "13912340002");
    let this_year = chrono::Utc::now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap();
    let child = valid_id(&format!("110101{}0101001", this_year - 10));
    let form = with(
        with(volunteer_form("小明", &child), "gender", "男"),
        "education",
        "小学及以下",
    );
    let form = with(with(form, "occupation", "学生"), "sanzhang", "否");
    let r = post(&mut c, "/register/volunteer", &form);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(field_error(&r.body, "guardian_name").is_some());
    let form = with(
        with(form, "guardian_name", "王大明"),
        "guardian_phone",
        "13700000000",
    );
    let r = post(&mut c, "/register/volunteer", &form);
    assert_eq!(r.status, 303, "{}", r.body);
    let v = t
        .app
        .store
        .volunteer_by_phone("13912340002")
        .unwrap()
        .unwrap();
    assert_eq!(v.consent.unwrap().guardian_name.as_deref(), Some("王大明"));
}

#[test]
fn a_registered_id_number_offers_sign_in_without_saying_whose() {
    let t = TestApp::start();
    let mut first = register(&t, "13912340003", "赵敏", &woman_1975());
    // A registered phone gets its own account, never a second one.
    assert_eq!(
        first.get("/register/volunteer").header("location"),
        Some("/me")
    );
    let mut c = verified(&t, "13912340004");
    let r = post(
        &mut c,
        "/register/volunteer",
        &volunteer_form("钱红", &woman_1975()),
    );
    assert_eq!(r.status, 422);
    let err = field_error(&r.body, "id_number").unwrap();
    assert!(err.contains("登录"), "{err}");
    assert!(
        !r.body.contains("赵敏") && !r.body.contains("13912340003") && !r.body.contains("0003")
    );
    assert_eq!(t.app.store.people_counts().unwrap().volunteers, 1);
}

fn team_form(name: &str) -> Vec<(String, String)> {
    [
        ("org_name", name),
        ("mca_registered", "否"),
        ("supervisor_type", "地方科协"),
        ("supervisor_name", "铁西区科协"),
        ("founded_on", "2019-08-08"),
        ("service_categories", "科技培训"),
        ("service_categories", "农技服务"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("leader_name", "孙强"),
        ("leader_phone", "0434-1234567"),
        ("description", "服务乡村的农技志愿者队伍"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Register a team with a new admin phone, through both steps; returns the admin's
/// client and the team.
fn register_team(t: &TestApp, phone: &str, name: &str, admin_id: &str) -> (Client, Team) {
    let mut c = t.client();
    c.post_form(
        "/login/code",
        &[("phone", phone), ("next", "/register/team")],
    );
    let code = t.last_code(phone);
    let r = c.post_form(
        "/login/verify",
        &[
            ("phone", phone),
            ("code", &code),
            ("next", "/register/team"),
        ],
    );
    assert_eq!(r.header("location"), Some("/register/team"));
    let step1 = post(&mut c, "/register/team", &team_form(name));
    assert_eq!(step1.status, 200, "{}", step1.body);
    assert!(
        step1.body.contains("管理员信息"),
        "step 2 asks for the admin's volunteer details"
    );
    // Step 2 posts the volunteer form with the team fields carried as hidden inputs.
    let mut f = volunteer_form("孙强", admin_id);
    for (k, v) in team_form(name) {
        f.push((format!("team.{k}"), v));
    }
    let done = post(&mut c, "/register/team/admin", &f);
    assert_eq!(done.status, 303, "{}", done.body);
    let org = t
        .app
        .store
        .teams()
        .unwrap()
        .into_iter()
        .find(|o| o.name == name)
        .expect("team stored");
    assert_eq!(
        org.status,
        TeamStatus::PendingReview,
        "a team registered on a phone waits for review (注册认证)"
    );
    // The platform admin approves it (注册认证).
    let r = t.admin().post_form(
        &format!("/admin/teams/{}/status", org.id),
        &[("decision", "approve")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let org = t.app.store.team(org.id).unwrap().unwrap();
    (c, org)
}

#[test]
fn a_team_registers_with_its_admin_in_one_go() {
    let t = TestApp::start();
    let (mut admin, org) = register_team(
        &t,
        "13912340010",
        "铁西区科技志愿服务队（一）",
        &woman_1975(),
    );
    assert_eq!(org.status, TeamStatus::Active);
    assert_eq!(org.admin_phone, "13912340010");
    assert_eq!(org.leader_phone.as_deref(), Some("0434-1234567"));
    let admin_v = t
        .app
        .store
        .volunteer_by_phone("13912340010")
        .unwrap()
        .unwrap();
    assert!(admin_v.confirmed, "the admin is a registered volunteer");
    let page = admin.get(&format!("/team/{}", org.id));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("铁西区科技志愿服务队（一）"));
    assert!(page.body.contains("查看全部志愿者"));
    assert!(admin.get("/me").body.contains("我管理的组织"));

    // The same name with a half-width bracket and stray spaces is taken.
    let mut other = verified(&t, "13912340011");
    let r = post(
        &mut other,
        "/register/team",
        &team_form(" 铁西区科技志愿服务队(一) "),
    );
    assert_eq!(r.status, 422);
    assert!(
        field_error(&r.body, "org_name")
            .unwrap()
            .contains("已被注册")
    );
    assert_eq!(t.app.store.people_counts().unwrap().teams, 1);
}

#[test]
fn a_registered_volunteer_registers_a_team_in_one_step() {
    let t = TestApp::start();
    let mut c = register(&t, "13912340012", "周平", &woman_1975());
    let r = post(&mut c, "/register/team", &team_form("科普宣讲团"));
    assert_eq!(r.status, 303, "{}", r.body);
    let bad = post(
        &mut c,
        "/register/team",
        &with(team_form("另一个团"), "founded_on", "2999-01-01"),
    );
    assert_eq!(bad.status, 422);
    assert!(field_error(&bad.body, "founded_on").is_some());
    let bad = post(
        &mut c,
        "/register/team",
        &with(team_form("另一个团"), "county", "110101"),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(t.app.store.people_counts().unwrap().teams, 1);
}

#[test]
fn region_selects_step_without_javascript() {
    let t = TestApp::start();
    let mut c = verified(&t, "13912340013");
    let f = vec![
        ("real_name".to_string(), "吴刚".to_string()),
        ("province".to_string(), "410000".to_string()),
        ("_step".to_string(), "region".to_string()),
    ];
    let r = post(&mut c, "/register/volunteer", &f);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("郑州市"), "cities of 河南 are listed");
    assert!(r.body.contains("吴刚"), "typed values kept");
    assert!(!r.body.contains("class=\"error\""), "no errors on a step");
    assert_eq!(t.app.store.people_counts().unwrap().volunteers, 0);
}

#[test]
fn volunteers_edit_themselves_but_not_others() {
    let t = TestApp::start();
    let mut a = register(&t, "13912340020", "陈静", &woman_1975());
    let b = t.add_volunteer("13912340021", &valid_id("11010119800101001"));
    let me = t
        .app
        .store
        .volunteer_by_phone("13912340020")
        .unwrap()
        .unwrap();
    let edit = a.get("/me/edit");
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("身份证号不能自行修改"));
    let f = with(
        volunteer_form("陈静静", &woman_1975()),
        "volunteer_id",
        &me.id.to_string(),
    );
    let f = with(f, "id_number", "110101198001010010");
    let r = post(&mut a, "/me/edit", &f);
    assert_eq!(r.status, 303, "{}", r.body);
    let after = t.app.store.volunteer(me.id).unwrap().unwrap();
    assert_eq!(after.real_name, "陈静静");
    assert_eq!(
        after.id_number,
        woman_1975(),
        "the ID number is not changed by the volunteer"
    );
    // Someone else's id in the form: 403, nothing changed.
    let f = with(
        volunteer_form("篡改", &woman_1975()),
        "volunteer_id",
        &b.id.to_string(),
    );
    assert_eq!(post(&mut a, "/me/edit", &f).status, 403);
    assert_eq!(
        t.app.store.volunteer(b.id).unwrap().unwrap().real_name,
        "张三"
    );
    assert_eq!(
        t.app.store.volunteer(me.id).unwrap().unwrap().real_name,
        "陈静静"
    );
}

#[test]
fn phone_change_needs_a_code_to_the_new_phone() {
    let t = TestApp::start();
    let (mut admin, org) = register_team(&t, "13912340030", "换号测试队", &woman_1975());
    t.add_volunteer("13912340032", &valid_id("11010119800101001"));
    let taken = admin.post_form("/me/phone", &[("new_phone", "13912340032")]);
    assert_eq!(taken.status, 422);
    let r = admin.post_form("/me/phone", &[("new_phone", "13912340031")]);
    assert_eq!(r.status, 200);
    let code = t.last_code("13912340031");
    let wrong = admin.post_form(
        "/me/phone/verify",
        &[("new_phone", "13912340031"), ("code", "000000")],
    );
    if code != "000000" {
        assert_eq!(wrong.status, 422);
    }
    let ok = admin.post_form(
        "/me/phone/verify",
        &[("new_phone", "13912340031"), ("code", &code)],
    );
    assert_eq!(ok.status, 303);
    assert!(
        t.app
            .store
            .volunteer_by_phone("13912340030")
            .unwrap()
            .is_none()
    );
    assert!(
        t.app
            .store
            .volunteer_by_phone("13912340031")
            .unwrap()
            .is_some()
    );
    let team = t.app.store.team(org.id).unwrap().unwrap();
    assert_eq!(
        team.admin_phone, "13912340031",
        "the team follows its admin's new phone"
    );
    assert_eq!(admin.get(&format!("/team/{}", org.id)).status, 200);
}

#[test]
fn apply_approve_reject_leave_and_the_five_team_limit() {
    let t = TestApp::start();
    let mut teams = Vec::new();
    let ids = [
        "11010119800101001",
        "11010119800101002",
        "11010119800101003",
        "11010119800101004",
        "11010119800101005",
        "11010119800101006",
    ];
    for (i, first17) in ids.iter().enumerate() {
        let (c, org) = register_team(
            &t,
            &format!("1380000010{i}"),
            &format!("第{i}服务队"),
            &valid_id(first17),
        );
        teams.push((c, org));
    }
    let mut v = register(&t, "13912340040", "刘洋", &woman_1975());
    let vol = t
        .app
        .store
        .volunteer_by_phone("13912340040")
        .unwrap()
        .unwrap();

    // Browse teams by region and category.
    let list = v.get("/teams?province=220000&category=%E5%86%9C%E6%8A%80%E6%9C%8D%E5%8A%A1");
    assert!(list.body.contains("第0服务队"));
    let none = v.get("/teams?province=110000");
    assert!(none.body.contains("没有找到"));

    for (i, (admin, org)) in teams.iter_mut().enumerate().take(5) {
        let r = v.post_form(&format!("/teams/{}/apply", org.id), &[]);
        assert_eq!(r.status, 303, "apply {i}");
        let members = admin.get(&format!("/team/{}/members", org.id));
        assert!(members.body.contains("入队申请") && members.body.contains("刘洋"));
        let r = admin.post_form(&format!("/team/{}/members/{}/approve", org.id, vol.id), &[]);
        assert_eq!(r.status, 303);
    }
    let (admin6, org6) = &mut teams[5];
    let sixth = v.post_form(&format!("/teams/{}/apply", org6.id), &[]);
    assert_eq!(sixth.status, 422);
    assert!(sixth.body.contains("最多加入 5 个组织"), "{}", sixth.body);
    // Adding by phone respects the limit too.
    let add = admin6.post_form(
        &format!("/team/{}/members/add", org6.id),
        &[("phone", "13912340040")],
    );
    assert_eq!(add.status, 422);

    // Leave one, then the sixth application goes through and can be rejected.
    let (_, org0) = &teams[0];
    assert_eq!(
        v.post_form(&format!("/me/teams/{}/leave", org0.id), &[])
            .status,
        303
    );
    let (admin6, org6) = &mut teams[5];
    assert_eq!(
        v.post_form(&format!("/teams/{}/apply", org6.id), &[])
            .status,
        303
    );
    assert!(
        v.get(&format!("/teams/{}", org6.id))
            .body
            .contains("id=\"pending\"")
    );
    assert_eq!(
        admin6
            .post_form(&format!("/team/{}/members/{}/reject", org6.id, vol.id), &[])
            .status,
        303
    );
    let me = v.get("/me");
    assert!(me.body.contains("未通过"));
    assert!(me.body.contains("第1服务队"));
}

#[test]
fn team_admin_sees_members_with_masked_ids_and_search() {
    let t = TestApp::start();
    let (mut admin, org) = register_team(&t, "13912340050", "成员测试队", &woman_1975());
    let a = t.add_volunteer("13912340051", &valid_id("11010119800101001"));
    t.add_volunteer("13912340052", &valid_id("11010119800101002"));
    let mut members = Vec::new();
    for phone in ["13912340051", "13912340052"] {
        let r = admin.post_form(
            &format!("/team/{}/members/add", org.id),
            &[("phone", phone)],
        );
        assert_eq!(r.status, 303);
        // Adding is an invitation: nothing is shared until the person accepts.
        assert!(
            !admin
                .get(&format!("/team/{}/members", org.id))
                .body
                .contains(phone)
        );
        let mut v = t.sign_in_by_code(phone);
        assert!(v.get("/me").body.contains("成员测试队"));
        let r = v.post_form(&format!("/me/teams/{}/accept", org.id), &[]);
        assert_eq!(r.status, 303);
        members.push(v);
    }
    let unknown = admin.post_form(
        &format!("/team/{}/members/add", org.id),
        &[("phone", "13912349999")],
    );
    assert_eq!(unknown.status, 422);
    assert!(
        field_error(&unknown.body, "phone")
            .unwrap()
            .contains("还没有注册")
    );
    let page = admin.get(&format!("/team/{}/members", org.id));
    assert!(
        page.body.contains("13912340051"),
        "phones shown to the team admin"
    );
    assert!(!page.body.contains(&a.id_number), "ID numbers masked");
    assert!(
        page.body
            .contains(&kezhi::domain::validate::mask_id_number(&a.id_number))
    );
    let search = admin.get(&format!("/team/{}/members?q=0052", org.id));
    assert!(search.body.contains("13912340052") && !search.body.contains("13912340051"));
    let by_region = admin.get(&format!("/team/{}/members?province=110000", org.id));
    assert!(!by_region.body.contains("13912340051"), "both live in 吉林");
    // The added volunteer sees it and can leave.
    let mut v = members.remove(0);
    let me = v.get("/me");
    assert!(me.body.contains("成员测试队") && me.body.contains("由组织添加"));
    assert_eq!(
        v.post_form(&format!("/me/teams/{}/leave", org.id), &[])
            .status,
        303
    );
    // Another team's admin cannot see this team's pages.
    let (mut other, _) = register_team(&t, "13912340053", "别的队", &valid_id("11010119800101003"));
    assert_eq!(other.get(&format!("/team/{}/members", org.id)).status, 403);
    assert_eq!(
        other
            .post_form(
                &format!("/team/{}/members/add", org.id),
                &[("phone", "13912340052")]
            )
            .status,
        403
    );
}

#[test]
fn a_record_entered_by_the_team_is_claimed_and_confirmed() {
    let t = TestApp::start();
    let (mut admin, org) = register_team(&t, "13912340060", "代录测试队", &woman_1975());
    let mut f = with(
        volunteer_form("郑老汉", &valid_id("11010119500101001")),
        "phone",
        "13912340061",
    );
    f = with(f, "gender", "男");
    let bad = post(
        &mut admin,
        &format!("/team/{}/members/new", org.id),
        &with(f.clone(), "phone", "1391234006"),
    );
    assert_eq!(bad.status, 422);
    let r = post(&mut admin, &format!("/team/{}/members/new", org.id), &f);
    assert_eq!(r.status, 303, "{}", r.body);
    let v = t
        .app
        .store
        .volunteer_by_phone("13912340061")
        .unwrap()
        .unwrap();
    assert!(!v.confirmed);
    assert_eq!(v.source, Source::EnteredByTeam);
    assert!(
        admin
            .get(&format!("/team/{}/members", org.id))
            .body
            .contains("待本人确认")
    );

    // The person claims it: signing in leads to confirmation, and nothing else works first.
    let mut c = t.client();
    c.post_form("/login/code", &[("phone", "13912340061")]);
    let code = t.last_code("13912340061");
    let r = c.post_form(
        "/login/verify",
        &[("phone", "13912340061"), ("code", &code)],
    );
    assert_eq!(r.header("location"), Some("/me/confirm"));
    assert_eq!(c.get("/me").header("location"), Some("/me/confirm"));
    assert_eq!(c.get("/teams").header("location"), Some("/me/confirm"));
    let page = c.get("/me/confirm");
    assert!(page.body.contains("郑老汉") && page.body.contains("请确认您的信息"));
    let mut confirm = with(volunteer_form("郑老汉", "ignored"), "gender", "男");
    confirm.push(("volunteer_id".into(), v.id.to_string()));
    let no_agree = post(&mut c, "/me/confirm", &without(confirm.clone(), "agree"));
    assert_eq!(no_agree.status, 422);
    let r = post(&mut c, "/me/confirm", &confirm);
    assert_eq!(r.status, 303, "{}", r.body);
    let v = t.app.store.volunteer(v.id).unwrap().unwrap();
    assert!(v.confirmed);
    assert_eq!(v.consent.unwrap().how, "claimed");
    assert_eq!(c.get("/me").status, 200);
}

#[test]
fn an_imported_team_waits_for_its_admin_to_register() {
    let t = TestApp::start();
    let now = chrono::Utc::now();
    let org = Team {
        id: kezhi::domain::ids::Gid::new(),
        origin: t.app.store.installation_id(),
        name: "导入的服务队".into(),
        admin_phone: "13912340070".into(),
        mca_registered: false,
        supervisor_type: "地方科协".into(),
        supervisor_name: "某县科协".into(),
        founded_on: chrono::NaiveDate::from_ymd_opt(2019, 8, 8).unwrap(),
        service_categories: vec!["科技培训".into()],
        region: kezhi::domain::regions::path_of("220302").unwrap(),
        leader_name: None,
        leader_title: None,
        leader_org: None,
        leader_phone: None,
        description: String::new(),
        status: TeamStatus::Active,
        source: Source::Imported,
        created_at: now,
        updated_at: now,
    };
    t.app.store.register_team(&org, None).unwrap();
    assert_eq!(
        t.app.store.team(org.id).unwrap().unwrap().status,
        TeamStatus::WaitingForAdmin
    );
    let mut c = register(&t, "13912340070", "何伟", &woman_1975());
    assert_eq!(
        t.app.store.team(org.id).unwrap().unwrap().status,
        TeamStatus::Active
    );
    assert_eq!(c.get(&format!("/team/{}", org.id)).status, 200);
}

#[test]
fn platform_admin_lists_unmasks_fixes_and_suspends() {
    let t = TestApp::start();
    let mut admin = t.admin();
    let (_, org) = register_team(&t, "13912340080", "管理测试队", &woman_1975());
    let v = t.add_volunteer("13912340081", &valid_id("11010119800101001"));

    let list = admin.get("/admin/volunteers");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("张三") && list.body.contains("孙强"));
    assert!(!list.body.contains(&v.id_number));
    let found = admin.get("/admin/volunteers?q=0081");
    assert!(found.body.contains("张三") && !found.body.contains("孙强"));
    let sanzhang =
        admin.get("/admin/volunteers?sanzhang=%E5%86%9C%E6%8A%80%E7%AB%99%E7%AB%99%E9%95%BF");
    assert!(sanzhang.body.contains("孙强") && !sanzhang.body.contains(">张三<"));
    let by_team = admin.get(&format!("/admin/volunteers?team={}", org.id));
    assert!(!by_team.body.contains(">张三<"));

    let detail = admin.get(&format!("/admin/volunteers/{}", v.id));
    assert!(
        !detail.body.contains(&v.id_number),
        "masked until a deliberate click"
    );
    let audit_before = t.app.store.audit_len().unwrap();
    let shown = admin.post_form(&format!("/admin/volunteers/{}/unmask", v.id), &[]);
    assert!(shown.body.contains(&v.id_number));
    let entries = t.app.store.audit_entries(0, 5).unwrap();
    assert_eq!(t.app.store.audit_len().unwrap(), audit_before + 1);
    assert_eq!(entries[0].action, "volunteer.unmask");

    let bad = admin.post_form(
        &format!("/admin/volunteers/{}/id-number", v.id),
        &[("id_number", "110101198001010019")],
    );
    assert_eq!(bad.status, 422);
    let new_id = valid_id("11010119800101003");
    let ok = admin.post_form(
        &format!("/admin/volunteers/{}/id-number", v.id),
        &[("id_number", &new_id)],
    );
    assert_eq!(ok.status, 303);
    let fixed = t.app.store.volunteer(v.id).unwrap().unwrap();
    assert_eq!(fixed.id_number, new_id);
    assert_eq!(
        fixed.gender.label(),
        "男",
        "gender follows the corrected ID"
    );
    assert_eq!(
        t.app.store.audit_entries(0, 1).unwrap()[0].action,
        "volunteer.fix_id_number"
    );

    // Suspend: the public page disappears and applications stop; reactivate restores.
    assert!(admin.get("/admin/teams").body.contains("管理测试队"));
    let r = admin.post_form(
        &format!("/admin/teams/{}/status", org.id),
        &[("status", "suspended")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        t.app.store.team(org.id).unwrap().unwrap().status,
        TeamStatus::Suspended
    );
    let mut vol = t.sign_in_by_code("13912340081");
    assert_eq!(vol.get(&format!("/teams/{}", org.id)).status, 404);
    assert_eq!(
        vol.post_form(&format!("/teams/{}/apply", org.id), &[])
            .status,
        422
    );
    admin.post_form(
        &format!("/admin/teams/{}/status", org.id),
        &[("status", "active")],
    );
    assert_eq!(
        t.app.store.team(org.id).unwrap().unwrap().status,
        TeamStatus::Active
    );
    assert_eq!(
        t.app.store.audit_entries(0, 1).unwrap()[0].action,
        "team.status"
    );

    // Volunteers and team admins cannot reach these pages.
    assert_eq!(vol.get("/admin/volunteers").status, 403);
    assert_eq!(
        vol.post_form(&format!("/admin/volunteers/{}/unmask", v.id), &[])
            .status,
        403
    );
}

#[test]
fn the_admin_team_list_filters_by_status_region_and_name_newest_first() {
    let t = TestApp::start();
    t.add_team("13900000011", &valid_id("22030219750328011"), "东风农技队");
    let b = t.add_team("13900000012", &valid_id("22030219750328012"), "西岭科普队");
    let mut c = t.add_team("13900000013", &valid_id("22030219750328013"), "南山医疗队");
    c.region = kezhi::domain::regions::RegionPath {
        province: "220000".into(),
        city: "220400".into(),
        county: Some("220402".into()),
    };
    t.app.store.update_team(&c).unwrap();
    let mut admin = t.admin();
    admin.post_form(
        &format!("/admin/teams/{}/status", b.id),
        &[("status", "suspended")],
    );
    let names = |admin: &mut Client, query: &str| -> Vec<&'static str> {
        let body = admin.get(&format!("/admin/teams?{query}")).body;
        let mut found: Vec<(usize, &'static str)> = ["东风农技队", "西岭科普队", "南山医疗队"]
            .into_iter()
            .filter_map(|n| body.find(&format!(">{n}<")).map(|at| (at, n)))
            .collect();
        found.sort();
        found.into_iter().map(|(_, n)| n).collect()
    };
    assert_eq!(
        names(&mut admin, ""),
        ["南山医疗队", "西岭科普队", "东风农技队"]
    );
    let suspended = TeamStatus::Suspended.label();
    assert_eq!(
        names(&mut admin, &format!("status={suspended}")),
        ["西岭科普队"]
    );
    assert_eq!(names(&mut admin, "county=220402"), ["南山医疗队"]);
    assert_eq!(
        names(&mut admin, "province=220000&city=220300&county=220302"),
        ["西岭科普队", "东风农技队"]
    );
    assert_eq!(names(&mut admin, "q=东风"), ["东风农技队"]);
    assert!(names(&mut admin, &format!("county=220402&status={suspended}")).is_empty());
}

#[test]
fn a_large_team_s_members_come_a_page_at_a_time() {
    let t = TestApp::start();
    let team = t.add_team(
        "13900000021",
        &valid_id("22030219750328021"),
        "大家庭服务队",
    );
    let now = chrono::Utc::now();
    let mut people = Vec::new();
    for i in 0..120u32 {
        let v = t.add_volunteer(
            &format!("139{:08}", 50_000_000 + i),
            &valid_id(&format!("220302198001{:02}{:03}", 1 + i % 28, 100 + i)),
        );
        t.app.store.add_member(team.id, v.id, now).unwrap();
        people.push(v);
    }
    let applicant = t.add_volunteer("13800000077", &valid_id("22030219900101077"));
    t.app
        .store
        .apply_to_team(applicant.id, team.id, now)
        .unwrap();

    let mut admin = t.sign_in_by_code("13900000021");
    let base = format!("/team/{}/members", team.id);
    let first = admin.get(&base);
    assert_eq!(first.status, 200);
    // 120 added and the team's own admin; the applicant waits apart.
    assert!(first.body.contains("共 121 名志愿者"), "{}", first.body);
    assert!(first.body.contains("id=\"applications\""));
    assert!(first.body.contains(&applicant.phone));
    let newest = &people[119];
    assert!(first.body.contains(&newest.phone), "newest first");
    assert!(!first.body.contains(&people[0].phone), "not on page 1");
    assert!(first.body.contains("page=2"));
    let last = admin.get(&format!("{base}?page=3"));
    assert!(last.body.contains(&people[0].phone));
    assert!(!last.body.contains(&newest.phone));
    assert!(!last.body.contains("page=4"));
    // A phone's last four digits find one member.
    let tail = &people[57].phone[7..];
    let found = admin.get(&format!("{base}?q={tail}"));
    assert!(found.body.contains("共 1 名志愿者"), "{}", found.body);
    assert!(found.body.contains(&people[57].phone));
}
