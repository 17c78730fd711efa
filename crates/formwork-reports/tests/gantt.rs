//! The critical path method on hand-computed networks, and its invariants on random ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use formwork_reports::gantt::{Activity, GanttError, critical_path};
use formwork_reports::views::{milestone_days, split_dependencies};
use proptest::prelude::*;

fn a(id: &str, duration: i64, deps: &[&str]) -> Activity {
    Activity {
        id: id.into(),
        duration,
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
    }
}

fn ids(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_chain_is_all_critical() {
    let s = critical_path(&[a("A", 3, &[]), a("B", 2, &["A"]), a("C", 4, &["B"])]).unwrap();
    assert_eq!(s.duration, 9);
    assert_eq!(s.critical_paths, vec![ids(&["A", "B", "C"])]);
    assert!(s.activities.iter().all(|x| x.slack == 0));
}

#[test]
fn the_longer_of_two_parallel_chains_is_critical_and_the_shorter_has_slack() {
    // Start → (B 5 → C 4) ‖ (D 2 → E 3) → F. By hand: B 1–6, C 6–10, D 1–3, E 3–6, F 10–11;
    // D and E may start 4 days late.
    let s = critical_path(&[
        a("A", 1, &[]),
        a("B", 5, &["A"]),
        a("C", 4, &["B"]),
        a("D", 2, &["A"]),
        a("E", 3, &["D"]),
        a("F", 1, &["C", "E"]),
    ])
    .unwrap();
    assert_eq!(s.duration, 11);
    assert_eq!(s.critical_paths, vec![ids(&["A", "B", "C", "F"])]);
    let slack: Vec<(String, i64, i64, i64)> = s
        .activities
        .iter()
        .map(|x| (x.id.clone(), x.earliest_start, x.latest_start, x.slack))
        .collect();
    assert_eq!(
        slack,
        [
            ("A".into(), 0, 0, 0),
            ("B".into(), 1, 1, 0),
            ("C".into(), 6, 6, 0),
            ("D".into(), 1, 5, 4),
            ("E".into(), 3, 7, 4),
            ("F".into(), 10, 10, 0)
        ]
    );
}

#[test]
fn two_equally_long_chains_are_both_critical_paths() {
    let s = critical_path(&[
        a("A", 2, &[]),
        a("B", 3, &["A"]),
        a("C", 3, &["A"]),
        a("D", 1, &["B", "C"]),
    ])
    .unwrap();
    assert_eq!(
        s.critical_paths,
        vec![ids(&["A", "B", "D"]), ids(&["A", "C", "D"])]
    );
}

#[test]
fn an_undated_milestone_takes_no_time_but_keeps_its_place() {
    // "Sign-off" has no dates: zero days, after both builds, before launch.
    let s = critical_path(&[
        a(
            "build",
            milestone_days(Some(date("2026-03-01")), Some(date("2026-03-10"))),
            &[],
        ),
        a(
            "docs",
            milestone_days(Some(date("2026-03-01")), Some(date("2026-03-03"))),
            &[],
        ),
        a("sign-off", milestone_days(None, None), &["build", "docs"]),
        a(
            "launch",
            milestone_days(Some(date("2026-03-12")), None),
            &["sign-off"],
        ),
    ])
    .unwrap();
    assert_eq!(s.duration, 11);
    assert_eq!(
        s.critical_paths,
        vec![ids(&["build", "sign-off", "launch"])]
    );
    let sign_off = &s.activities[2];
    assert_eq!(
        (
            sign_off.earliest_start,
            sign_off.earliest_finish,
            sign_off.slack
        ),
        (10, 10, 0)
    );
    assert_eq!(s.activities[1].slack, 7);
}

#[test]
fn independent_activities_each_start_at_zero() {
    let s = critical_path(&[a("A", 2, &[]), a("B", 5, &[])]).unwrap();
    assert_eq!(s.duration, 5);
    assert_eq!(s.activities[0].slack, 3);
    assert_eq!(s.critical_paths, vec![ids(&["B"])]);
}

#[test]
fn no_activities_make_an_empty_schedule() {
    let s = critical_path(&[]).unwrap();
    assert_eq!((s.duration, s.critical_paths.len()), (0, 0));
}

#[test]
fn a_cycle_is_refused_naming_its_activities() {
    let err = critical_path(&[
        a("A", 1, &[]),
        a("B", 1, &["A", "D"]),
        a("C", 1, &["B"]),
        a("D", 1, &["C"]),
    ])
    .unwrap_err();
    let GanttError::Cycle { ids } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ids.first(), ids.last(), "{ids:?}");
    let mut inner: Vec<&str> = ids[1..].iter().map(String::as_str).collect();
    inner.sort_unstable();
    assert_eq!(inner, ["B", "C", "D"]);
    assert!(err.texts().0.starts_with("依赖关系形成循环"));
}

#[test]
fn unknown_and_duplicate_names_are_refused() {
    assert_eq!(
        critical_path(&[a("A", 1, &["Z"])]).unwrap_err(),
        GanttError::UnknownDependency {
            id: "A".into(),
            depends_on: "Z".into()
        }
    );
    assert_eq!(
        critical_path(&[a("A", 1, &[]), a("A", 2, &[])]).unwrap_err(),
        GanttError::DuplicateId { id: "A".into() }
    );
    assert_eq!(
        critical_path(&[a("A", -1, &[])]).unwrap_err(),
        GanttError::NegativeDuration { id: "A".into() }
    );
}

#[test]
fn dependencies_split_on_chinese_and_latin_separators() {
    assert_eq!(
        split_dependencies("需求、设计，开发; 测试 ,"),
        ["需求", "设计", "开发", "测试"]
    );
}

fn date(s: &str) -> time::Date {
    formwork_reports::filters::parse_date(s).unwrap()
}

/// A random acyclic network: activity `i` may depend on any earlier one.
fn network() -> impl Strategy<Value = Vec<Activity>> {
    (1usize..14).prop_flat_map(|n| {
        (
            proptest::collection::vec(0i64..10, n),
            proptest::collection::vec(proptest::collection::vec(any::<bool>(), n), n),
        )
            .prop_map(move |(durations, edges)| {
                (0..n)
                    .map(|i| Activity {
                        id: format!("t{i}"),
                        duration: durations[i],
                        depends_on: (0..i)
                            .filter(|&j| edges[i][j])
                            .map(|j| format!("t{j}"))
                            .collect(),
                    })
                    .collect()
            })
    })
}

proptest! {
    #[test]
    fn critical_paths_last_the_project_and_have_no_slack(acts in network()) {
        let s = critical_path(&acts).unwrap();
        let by_id = |id: &str| s.activities.iter().find(|x| x.id == id).unwrap();
        prop_assert_eq!(s.duration, s.activities.iter().map(|x| x.earliest_finish).max().unwrap_or(0));
        prop_assert!(!s.critical_paths.is_empty());
        for path in &s.critical_paths {
            let length: i64 = path.iter().map(|id| by_id(id).duration).sum();
            prop_assert_eq!(length, s.duration);
            prop_assert_eq!(by_id(&path[0]).earliest_start, 0);
            for id in path {
                prop_assert_eq!(by_id(id).slack, 0);
            }
        }
        for (x, act) in s.activities.iter().zip(&acts) {
            prop_assert!(x.slack >= 0);
            prop_assert!(x.latest_finish <= s.duration);
            for dep in &act.depends_on {
                prop_assert!(by_id(dep).earliest_finish <= x.earliest_start);
                prop_assert!(by_id(dep).latest_finish <= x.latest_start);
            }
        }
    }
}
