//! A county-sized store (100,000 volunteers, 2,000 teams, 5,000 activities, 200,000
//! signups): every list reads a bounded number of records, counted, not timed. Big, so
//! `.ci/run` runs it optimised with `--ignored`.

use chrono::Utc;
use kezhi::app::synth::{self, Sizes};
use kezhi::domain::people::TeamStatus;
use kezhi::store::codec::decode_count;
use kezhi::store::{ListFilter, Store, VolunteerQuery};

/// Records decoded on this thread while `f` runs (store reads run on the caller's thread).
fn decodes<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = decode_count();
    let out = f();
    (out, decode_count() - before)
}

#[test]
#[ignore = "big: run by .ci/run with --release -- --ignored"]
fn every_list_of_a_county_decodes_only_its_page() {
    let store = Store::in_memory().unwrap();
    let county = synth::county(42, Sizes::COUNTY, Utc::now());
    store.bulk_load(&county).unwrap();
    let some = &county.volunteers[54_321];
    let member_of = county.memberships[0].team;
    let by = |f: &dyn Fn(&mut VolunteerQuery)| {
        let mut q = VolunteerQuery::default();
        f(&mut q);
        q
    };
    let queries = [
        ("first page", VolunteerQuery::default()),
        ("surname", by(&|q| q.text = "王".into())),
        ("full name", by(&|q| q.text = some.real_name.clone())),
        ("phone tail", by(&|q| q.text = some.phone[7..].into())),
        (
            "county",
            by(&|q| {
                q.province = some.region.province.clone();
                q.county = some.region.county.clone().unwrap_or_default();
            }),
        ),
        ("三长", by(&|q| q.sanzhang = some.sanzhang.clone())),
        ("team", by(&|q| q.team = Some(member_of))),
    ];
    for (what, q) in &queries {
        for page in [1, 2, 500] {
            // Twice: the first walks the keys, the second pages through the kept list.
            for round in 0..2 {
                let (found, n) = decodes(|| store.volunteer_page(q, page, 50).unwrap());
                assert!(
                    n <= 50,
                    "{what} page {page} round {round}: {n} records decoded"
                );
                assert_eq!(n as usize, found.rows.len(), "{what} page {page}");
                if page == 1 {
                    assert!(found.total > 0, "{what} finds someone");
                }
            }
        }
    }
    let everyone = store
        .volunteer_page(&VolunteerQuery::default(), 500, 50)
        .unwrap();
    assert_eq!(everyone.total, 100_000);
    assert_eq!(
        everyone.rows[0].id,
        county.volunteers[100_000 - 1 - 499 * 50].id
    );

    // Public lists decode until their page and one more are found.
    let ((teams, _), n) = decodes(|| {
        store
            .team_page(
                Some(TeamStatus::Active),
                &Default::default(),
                "",
                |_| true,
                3,
                20,
            )
            .unwrap()
    });
    assert_eq!(teams.len(), 20);
    assert!(n <= 3 * 20 + 1, "teams page 3: {n} decoded");
    let ((acts, _), n) = decodes(|| {
        store
            .published_activity_page(&Default::default(), |_, _| true, 1, 20)
            .unwrap()
    });
    assert!(!acts.is_empty());
    assert!(n <= 2 * 21, "activities page 1: {n} decoded");

    // Filtered by a county and a category, only records with both are decoded (a walk
    // without the term indexes decoded every published activity and active team).
    let act = county
        .activities
        .iter()
        .rev()
        .find(|a| a.state == kezhi::domain::activity::ActivityState::Published)
        .unwrap();
    let by_county = ListFilter {
        county: act.region.county.clone().unwrap_or_default(),
        category: act.service_category.clone(),
        ..Default::default()
    };
    let candidates = county
        .activities
        .iter()
        .filter(|a| {
            a.state == kezhi::domain::activity::ActivityState::Published
                && a.region.county == act.region.county
                && a.service_category == act.service_category
        })
        .count() as u64;
    let ((acts, _), n) = decodes(|| {
        store
            .published_activity_page(&by_county, |_, _| true, 1, 20)
            .unwrap()
    });
    assert!(!acts.is_empty());
    assert!(
        n <= candidates,
        "activities by county: {n} decoded, {candidates} match"
    );
    let team = county
        .teams
        .iter()
        .find(|o| o.status == TeamStatus::Active && !o.service_categories.is_empty())
        .unwrap();
    let team_filter = ListFilter {
        county: team.region.county.clone().unwrap_or_default(),
        category: team.service_categories[0].clone(),
        ..Default::default()
    };
    let candidates = county
        .teams
        .iter()
        .filter(|o| {
            o.region.county == team.region.county
                && o.service_categories.contains(&team.service_categories[0])
        })
        .count() as u64;
    let ((teams, _), n) = decodes(|| {
        store
            .team_page(Some(TeamStatus::Active), &team_filter, "", |_| true, 1, 20)
            .unwrap()
    });
    assert!(teams.iter().any(|o| o.id == team.id));
    assert!(
        n <= candidates,
        "teams by county: {n} decoded, {candidates} match"
    );
}
