//! Trust on an open hotspot: every test is written as what a visitor tried and what they
//! must get instead. Team review (注册认证) and suspension, a team admin's import that
//! cannot reach strangers, membership by consent, masked phones on demand pages,
//! unguessable certificate numbers, import jobs kept per uploader, and duplicates
//! reported in one pass.

mod common;

use common::{Client, TestApp, local, pairs, post, team_form, valid_id, wait_for_job};
use kezhi::app::import;
use kezhi::domain::ids::Gid;
use kezhi::domain::people::{MembershipState, TeamStatus};
use kezhi::exchange::columns::Form;
use kezhi::exchange::import::Progress;
use kezhi::exchange::template::{self, RowValues};

fn activity_form(title: &str) -> Vec<(String, String)> {
    let mut f = pairs(&[
        ("title", title),
        ("service_category", "农技服务"),
        ("province", "220000"),
        ("city", "220300"),
        ("county", "220302"),
        ("address", "铁西区某某村村委会"),
        ("description", "玉米病虫害防治现场讲解"),
        ("contact_name", "孙强"),
        ("contact_phone", "13900000001"),
        ("capacity", "10"),
        ("publish", "yes"),
    ]);
    f.push(("signup_opens".into(), local(-60)));
    f.push(("signup_closes".into(), local(2 * 24 * 60)));
    f.push(("starts_at".into(), local(3 * 24 * 60)));
    f.push(("ends_at".into(), local(3 * 24 * 60 + 180)));
    f
}

/// A visitor whose phone is a volunteer registers a team on the phone: it is stored
/// pending review. Returns the visitor's client and the team id.
fn self_register_team(t: &TestApp, phone: &str, id17: &str, name: &str) -> (Client, Gid) {
    t.add_volunteer(phone, &valid_id(id17));
    let mut c = t.sign_in_by_code(phone);
    let r = post(&mut c, "/register/team", &team_form(name));
    assert_eq!(r.status, 303, "{}", r.body);
    let id: Gid = r
        .header("location")
        .unwrap()
        .trim_start_matches("/team/")
        .parse()
        .unwrap();
    // The admin's session lists the team on the next request.
    (c, id)
}

fn status_of(t: &TestApp, id: Gid) -> TeamStatus {
    t.app.store.team(id).unwrap().unwrap().status
}

#[test]
fn a_self_registered_team_cannot_act_until_a_platform_admin_approves_it() {
    let t = TestApp::start();
    let mut platform = t.admin();
    let (mut visitor, org) =
        self_register_team(&t, "13912300001", "22030219750328020", "新来的服务队");
    assert_eq!(status_of(&t, org), TeamStatus::PendingReview);
    t.add_volunteer("13912300002", &valid_id("22030219750328040"));

    // What the visitor tried at once, and what each gets while the team is under review.
    let page = visitor.get(&format!("/team/{org}"));
    assert_eq!(page.status, 200, "the team's own page shows its state");
    assert!(page.body.contains("待审核") && page.body.contains("注册认证"));
    assert!(!page.body.contains("id=\"all-members\""));
    for path in [
        format!("/team/{org}/members"),
        "/import".to_string(),
        "/demands".to_string(),
        "/export".to_string(),
    ] {
        let r = visitor.get(&path);
        assert_eq!(r.status, 403, "{path} while under review");
        assert!(r.body.contains("审核"), "{path} says why: {}", r.body);
    }
    let add = visitor.post_form(
        &format!("/team/{org}/members/add"),
        &[("phone", "13912300002")],
    );
    assert_eq!(add.status, 403, "no adding members under review");
    // Editing and preparing drafts work; publishing keeps the draft instead.
    assert_eq!(visitor.get(&format!("/team/{org}/edit")).status, 200);
    let r = post(
        &mut visitor,
        &format!("/team/{org}/activities/new"),
        &activity_form("审核前的活动"),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let activity = r.header("location").unwrap().to_string();
    let a = t
        .app
        .store
        .activities_of(org)
        .unwrap()
        .pop()
        .expect("the draft is kept");
    assert_eq!(
        a.state,
        kezhi::domain::activity::ActivityState::Draft,
        "a team under review cannot publish"
    );
    assert_eq!(
        t.client().get(&activity).status,
        404,
        "visitors see nothing"
    );
    assert!(!t.client().get("/teams").body.contains("新来的服务队"));

    // Refusing needs a reason, which the team's admin then sees.
    let no_reason = platform.post_form(
        &format!("/admin/teams/{org}/status"),
        &[("decision", "refuse")],
    );
    assert_eq!(no_reason.status, 422);
    assert_eq!(status_of(&t, org), TeamStatus::PendingReview);
    let r = platform.post_form(
        &format!("/admin/teams/{org}/status"),
        &[
            ("decision", "refuse"),
            ("reason", "主管单位名称不完整，请补充"),
        ],
    );
    assert_eq!(r.status, 303);
    assert_eq!(status_of(&t, org), TeamStatus::Refused);
    let page = visitor.get(&format!("/team/{org}"));
    assert!(page.body.contains("未通过审核") && page.body.contains("主管单位名称不完整"));
    // Correcting the data submits it again.
    let mut corrected = team_form("新来的服务队");
    corrected.retain(|(k, _)| k != "supervisor_name");
    corrected.push(("supervisor_name".into(), "四平市铁西区科学技术协会".into()));
    assert_eq!(
        post(&mut visitor, &format!("/team/{org}/edit"), &corrected).status,
        303
    );
    assert_eq!(status_of(&t, org), TeamStatus::PendingReview);
    let detail = platform.get(&format!("/admin/teams/{org}"));
    assert!(detail.body.contains("id=\"approve\"") && detail.body.contains("组织负责人"));

    // Approved: the same actions now work, and publishing goes through.
    let r = platform.post_form(
        &format!("/admin/teams/{org}/status"),
        &[("decision", "approve")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(status_of(&t, org), TeamStatus::Active);
    assert_eq!(visitor.get(&format!("/team/{org}/members")).status, 200);
    assert_eq!(visitor.get("/import").status, 200);
    let r = post(
        &mut visitor,
        &format!("/team/{org}/activities/new"),
        &activity_form("审核后的活动"),
    );
    assert_eq!(r.status, 303);
    let published = r.header("location").unwrap().to_string();
    assert_eq!(t.client().get(&published).status, 200);
    let audit = platform.get("/admin/audit");
    assert!(
        audit.body.contains("主管单位名称不完整"),
        "decisions are audited"
    );
}

#[test]
fn a_suspended_teams_admin_loses_every_action_and_its_activities_leave_public_lists() {
    let t = TestApp::start();
    let mut platform = t.admin();
    let org = t.add_team("13912300011", &valid_id("22030219750328020"), "暂停测试队");
    let mut admin = t.sign_in_by_code("13912300011");
    let r = post(
        &mut admin,
        &format!("/team/{}/activities/new", org.id),
        &activity_form("暂停前发布的活动"),
    );
    assert_eq!(r.status, 303);
    let activity = r.header("location").unwrap().to_string();
    assert!(
        t.client()
            .get("/activities")
            .body
            .contains("暂停前发布的活动")
    );

    let r = platform.post_form(
        &format!("/admin/teams/{}/status", org.id),
        &[("decision", "suspend"), ("reason", "活动内容与科普无关")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(status_of(&t, org.id), TeamStatus::Suspended);

    // Every team-admin page and action is refused, with the reason.
    for path in [
        format!("/team/{}", org.id),
        format!("/team/{}/edit", org.id),
        format!("/team/{}/members", org.id),
        format!("/team/{}/activities", org.id),
        format!("/team/{}/activities/new", org.id),
        format!("{activity}/edit"),
        format!("{activity}/roster"),
        "/import".to_string(),
        "/demands".to_string(),
        "/export".to_string(),
    ] {
        let r = admin.get(&path);
        assert_eq!(r.status, 403, "{path} for a suspended team's admin");
        assert!(r.body.contains("暂停"), "{path}: {}", r.body);
    }
    let publish = post(
        &mut admin,
        &format!("/team/{}/activities/new", org.id),
        &activity_form("暂停后想发布的活动"),
    );
    assert_eq!(publish.status, 403);
    assert_eq!(t.app.store.activities_of(org.id).unwrap().len(), 1);
    // Visitors no longer find or open its activities.
    assert!(
        !t.client()
            .get("/activities")
            .body
            .contains("暂停前发布的活动")
    );
    assert_eq!(t.client().get(&activity).status, 404);
    let mut v = t.sign_in_by_code({
        t.add_volunteer("13912300012", &valid_id("22030219750328040"));
        "13912300012"
    });
    assert_eq!(
        v.post_form(&format!("{activity}/signup"), &[]).status,
        404,
        "no signing up through an old link"
    );
    // Reactivated, it is back.
    platform.post_form(
        &format!("/admin/teams/{}/status", org.id),
        &[("decision", "reactivate")],
    );
    assert_eq!(t.client().get(&activity).status, 200);
}

fn volunteer_row(name: &str, phone: &str, id_number: &str) -> RowValues {
    let pairs: Vec<(&'static str, String)> = vec![
        ("real_name", name.into()),
        ("phone", phone.into()),
        ("gender", "女".into()),
        ("id_number", id_number.into()),
        ("political_status", "群众".into()),
        ("ethnicity", "汉族".into()),
        ("employer", "冒名单位".into()),
        ("title_level", "中级".into()),
        ("education", "本科".into()),
        ("occupation", "农技推广机构".into()),
        ("province", "吉林省".into()),
        ("city", "四平市".into()),
        ("county", "梨树县".into()),
        ("service_categories", "农技服务".into()),
        ("service_fields", "农技服务类".into()),
        ("sanzhang", "否".into()),
    ];
    pairs.into_iter().collect()
}

#[test]
fn a_team_admins_import_never_rewrites_or_reveals_people_outside_the_team() {
    let t = TestApp::start();
    let org = t.add_team("13912300021", &valid_id("22030219750328020"), "导入测试队");
    // Someone registered elsewhere, not a member.
    let stranger_id = valid_id("22030219800101002");
    let stranger = t.add_volunteer("13912300022", &stranger_id);
    let other_id = valid_id("22030219800101013");
    t.add_volunteer("13912300024", &other_id);
    let mut admin = t.sign_in_by_code("13912300021");
    let rows = [
        // Phone and ID of the stranger, with another name and employer, "update existing".
        volunteer_row("改名者", "13912300022", &stranger_id),
        // Another stored person's ID number with a made-up phone.
        volunteer_row("冒名者", "13912300099", &other_id),
        // Someone new.
        volunteer_row("新人", "13912300023", &valid_id("22030219800101024")),
    ];
    let bytes = template::workbook(Form::Volunteers, &rows).unwrap();
    let r = admin.post_multipart(
        "/import",
        &[("form", "volunteers"), ("team", &org.id.to_string())],
        &[("file", "v.xlsx", &bytes)],
    );
    let job = r.header("location").unwrap().to_string();
    let preview = wait_for_job(&mut admin, &job);
    assert!(
        preview.body.contains("不一致"),
        "the made-up phone is an error: {}",
        &preview.body[..preview.body.len().min(3000)]
    );
    assert!(
        !preview.body.contains("13912300024"),
        "the stored phone is never revealed"
    );
    let r = admin.post_form(
        &format!("{job}/commit"),
        &[("valid_only", "yes"), ("existing", "update")],
    );
    assert_eq!(r.status, 303);
    let done = wait_for_job(&mut admin, &job);
    assert!(
        done.body.contains("发出邀请"),
        "{}",
        &done.body[..done.body.len().min(3000)]
    );

    let after = t.app.store.volunteer(stranger.id).unwrap().unwrap();
    assert_eq!(after, stranger, "the stranger's record is untouched");
    assert_eq!(
        t.app
            .store
            .membership(org.id, stranger.id)
            .unwrap()
            .unwrap()
            .state,
        MembershipState::Invited,
        "an invitation, not a membership"
    );
    let members = admin.get(&format!("/team/{}/members", org.id));
    assert!(!members.body.contains("13912300022"));
    assert!(
        members.body.contains("13912300023"),
        "the new person joined"
    );
    assert!(
        t.app
            .store
            .volunteer_by_phone("13912300099")
            .unwrap()
            .is_none()
    );

    // The stranger decides on their own page.
    let mut s = t.sign_in_by_code("13912300022");
    let me = s.get("/me");
    assert!(me.body.contains("组织邀请") && me.body.contains("导入测试队"));
    assert_eq!(
        s.post_form(&format!("/me/teams/{}/decline", org.id), &[])
            .status,
        303
    );
    assert_eq!(
        t.app
            .store
            .membership(org.id, stranger.id)
            .unwrap()
            .unwrap()
            .state,
        MembershipState::Declined
    );
    assert!(
        !admin
            .get(&format!("/team/{}/members", org.id))
            .body
            .contains("13912300022")
    );
}

#[test]
fn adding_a_member_by_phone_is_an_invitation_the_volunteer_accepts() {
    let t = TestApp::start();
    let org = t.add_team("13912300031", &valid_id("22030219750328020"), "邀请测试队");
    let v = t.add_volunteer("13912300032", &valid_id("22030219800101002"));
    let mut admin = t.sign_in_by_code("13912300031");
    let r = admin.post_form(
        &format!("/team/{}/members/add", org.id),
        &[("phone", "13912300032")],
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        t.app.store.membership(org.id, v.id).unwrap().unwrap().state,
        MembershipState::Invited
    );
    let again = admin.post_form(
        &format!("/team/{}/members/add", org.id),
        &[("phone", "13912300032")],
    );
    assert_eq!(again.status, 422, "one invitation at a time");
    let mut me = t.sign_in_by_code("13912300032");
    assert_eq!(
        me.post_form(&format!("/me/teams/{}/accept", org.id), &[])
            .status,
        303
    );
    assert_eq!(
        t.app.store.membership(org.id, v.id).unwrap().unwrap().state,
        MembershipState::Approved
    );
    assert!(me.get("/me").body.contains("邀请测试队"));
    // An answered invitation cannot be answered again.
    assert_eq!(
        me.post_form(&format!("/me/teams/{}/decline", org.id), &[])
            .status,
        422
    );
}

#[test]
fn a_team_admin_sees_masked_phones_of_matching_volunteers_and_invites_instead() {
    let t = TestApp::start();
    let org = t.add_team("13912300041", &valid_id("22030219750328020"), "需求测试队");
    let mut stranger = t.add_volunteer("13912300042", &valid_id("22030219800101002"));
    stranger.service_categories = vec!["农技服务".into()];
    t.app.store.update_volunteer(&stranger).unwrap();
    let mut c = t.client();
    let r = post(
        &mut c,
        "/demands/new",
        &pairs(&[
            ("requester_kind", "新时代文明实践中心"),
            ("requester_name", "梨树镇新时代文明实践所"),
            ("contact_name", "王主任"),
            ("contact_phone", "0434-5212345"),
            ("province", "220000"),
            ("city", "220300"),
            ("county", "220302"),
            ("categories", "农技服务"),
            ("text", "需要玉米种植技术指导"),
            ("wanted_when", "12月上旬"),
        ]),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let demand = t.app.store.demands().unwrap().pop().unwrap();
    let mut admin = t.sign_in_by_code("13912300041");
    let page = admin.get(&format!("/demands/{}", demand.id));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("13912300042"),
        "no full phone of a stranger"
    );
    assert!(page.body.contains("139****0042"), "masked instead");
    let r = admin.post_form(
        &format!("/team/{}/members/invite", org.id),
        &[
            ("volunteer", &stranger.id.to_string()),
            ("back", &format!("/demands/{}", demand.id)),
        ],
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some(format!("/demands/{}", demand.id).as_str())
    );
    assert_eq!(
        t.app
            .store
            .membership(org.id, stranger.id)
            .unwrap()
            .unwrap()
            .state,
        MembershipState::Invited
    );
    let full = t.admin().get(&format!("/demands/{}", demand.id));
    assert!(
        full.body.contains("13912300042"),
        "platform admins see it whole"
    );
}

#[test]
fn certificate_numbers_cannot_be_walked_and_old_numbers_show_a_masked_name() {
    use kezhi::domain::record::{
        Certificate, is_unguessable_certificate_number, new_certificate_number,
        normalize_certificate_number,
    };
    let today = chrono::Utc::now().date_naive();
    let a = new_certificate_number(today);
    let b = new_certificate_number(today);
    assert_ne!(a, b);
    assert!(is_unguessable_certificate_number(&a));
    assert_eq!(normalize_certificate_number(&a.to_lowercase()), a);
    let t = TestApp::start();
    let v = t.add_volunteer("13912300051", &valid_id("22030219800101002"));
    let mk = |number: &str| Certificate {
        id: Gid::new(),
        number: number.into(),
        volunteer: v.id,
        volunteer_name: "李春梅".into(),
        masked_id_number: String::new(),
        lines: Vec::new(),
        total_half_hours: 6,
        issuer: "测试县科协".into(),
        issued_on: today,
        created_at: chrono::Utc::now(),
    };
    t.app.store.insert_certificate(&mk(&a)).unwrap();
    let legacy = "KZ20261201ABCD00001";
    t.app.store.insert_certificate(&mk(legacy)).unwrap();
    let full = t.client().get(&format!("/verify/{a}"));
    assert_eq!(full.status, 200);
    assert!(full.body.contains("李春梅"));
    // Walking the numbers: a neighbour of the sequence or a changed character finds nothing.
    let mut walked = a.clone();
    walked.pop();
    walked.push(if a.ends_with('0') { '1' } else { '0' });
    assert_eq!(t.client().get(&format!("/verify/{walked}")).status, 404);
    for n in ["KZ20261201ABCD00002", "KZ20261201ABCD00000"] {
        assert_eq!(t.client().get(&format!("/verify/{n}")).status, 404);
    }
    // A sequential number from before shows that it exists, not whose it is.
    let old = t.client().get(&format!("/verify/{legacy}"));
    assert_eq!(old.status, 200);
    assert!(!old.body.contains("李春梅") && old.body.contains("李**"));
}

#[test]
fn one_team_admins_uploads_never_evict_the_platform_admins_preview() {
    let t = TestApp::start();
    let mut platform = t.admin();
    let org = t.add_team("13912300061", &valid_id("22030219750328020"), "上传测试队");
    let mut team_admin = t.sign_in_by_code("13912300061");
    let bytes = template::workbook(
        Form::Volunteers,
        &[volunteer_row(
            "张三",
            "13912300062",
            &valid_id("22030219800101002"),
        )],
    )
    .unwrap();
    let r = platform.post_multipart(
        "/import",
        &[("form", "volunteers"), ("team", "")],
        &[("file", "mine.xlsx", &bytes)],
    );
    let mine = r.header("location").unwrap().to_string();
    wait_for_job(&mut platform, &mine);
    for _ in 0..12 {
        let r = team_admin.post_multipart(
            "/import",
            &[("form", "volunteers"), ("team", &org.id.to_string())],
            &[("file", "flood.xlsx", &bytes)],
        );
        assert_eq!(r.status, 303);
    }
    let preview = platform.get(&mine);
    assert_eq!(
        preview.status, 200,
        "the platform admin's preview is still there"
    );
    assert!(preview.body.contains("mine.xlsx"));
}

#[test]
fn a_duplicate_is_reported_even_when_the_other_row_is_wrong_for_another_reason() {
    let t = TestApp::start();
    let first = {
        let mut r = volunteer_row("张三", "13912300071", &valid_id("22030219800101002"));
        r.insert("gender", "不详".into()); // wrong for another reason
        r
    };
    let second = volunteer_row("李四", "13912300071", &valid_id("22030219800101024"));
    let bytes = template::workbook(Form::Volunteers, &[first, second]).unwrap();
    let report = import::check(
        &t.app.store,
        Form::Volunteers,
        &bytes,
        chrono::Utc::now().date_naive(),
        &Progress::default(),
    )
    .unwrap();
    let rows: Vec<u32> = report.rows.iter().map(|r| r.row).collect();
    let dup_rows: Vec<u32> = report
        .issues
        .iter()
        .filter(|i| i.message.contains("重复"))
        .map(|i| i.row)
        .collect();
    assert_eq!(
        dup_rows, rows,
        "both rows name the duplicate phone in one pass"
    );
    assert_eq!(report.valid(), 0);
}

fn bundle_of(t: &TestApp) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zip");
    kezhi::app::merge::export_bundle(
        &t.app.store,
        "测试县科协",
        false,
        ("test", "x"),
        chrono::Utc::now(),
        &path,
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn a_bundle_that_moves_a_team_to_another_admin_phone_needs_confirmation() {
    let a = TestApp::start();
    let b = TestApp::start();
    let org = a.add_team("13912300081", &valid_id("22030219750328020"), "合并测试队");
    let c = TestApp::start();
    let first = bundle_of(&a);
    for laptop in [&b, &c] {
        kezhi::app::merge::merge_bundle(
            &laptop.app.store,
            first.clone(),
            ("t", "x"),
            chrono::Utc::now(),
            false,
        )
        .unwrap();
    }

    assert_eq!(
        b.app.store.team(org.id).unwrap().unwrap().admin_phone,
        "13912300081"
    );
    // On laptop A (or in a forged bundle) the team gets another admin phone.
    let mut moved = a.app.store.team(org.id).unwrap().unwrap();
    moved.admin_phone = "13912300089".into();
    moved.updated_at = chrono::Utc::now() + chrono::Duration::seconds(5);
    a.app.store.update_team(&moved).unwrap();
    let bytes = bundle_of(&a);

    let mut platform = b.admin();
    let r = platform.post_multipart("/admin/merge", &[], &[("file", "b.zip", &bytes)]);
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("确认更换")
            && r.body.contains("合并测试队")
            && r.body.contains("13912300089"),
        "{}",
        &r.body[..r.body.len().min(3000)]
    );
    assert_eq!(
        b.app.store.team(org.id).unwrap().unwrap().admin_phone,
        "13912300081",
        "nothing stored before the confirmation"
    );
    let token = r
        .body
        .split("name=\"bundle\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // Another browser cannot confirm with the token.
    let mut other = b.client();
    assert_eq!(
        other
            .post_form("/admin/merge/confirm", &[("bundle", &token)])
            .status,
        403
    );
    let r = platform.post_form("/admin/merge/confirm", &[("bundle", &token)]);
    assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(2000)]);
    assert!(r.body.contains("merge-result"));
    assert_eq!(
        b.app.store.team(org.id).unwrap().unwrap().admin_phone,
        "13912300089"
    );
    // The token is used up.
    let again = platform.post_form("/admin/merge/confirm", &[("bundle", &token)]);
    assert_eq!(again.status, 422);
    assert!(
        platform
            .get("/admin/audit")
            .body
            .contains("更换管理员手机号")
    );
    // Unconfirmed (the command line without --confirm-admin-changes) it is refused whole.
    match kezhi::app::merge::merge_bundle(
        &c.app.store,
        bytes,
        ("t", "x"),
        chrono::Utc::now(),
        false,
    ) {
        Err(kezhi::app::merge::MergeRefusal::AdminPhonesChange(changes)) => {
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].to, "13912300089");
        }
        other => panic!(
            "expected a confirmation request, got {:?}",
            other.map(|_| ())
        ),
    }
    assert_eq!(
        c.app.store.team(org.id).unwrap().unwrap().admin_phone,
        "13912300081"
    );
}
