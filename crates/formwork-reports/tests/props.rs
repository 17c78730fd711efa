//! Invariants of evaluation and shaping over random records, and exact money over 100k rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{project, sample};
use formwork_reports::eval::Rows;
use formwork_reports::{evaluate, shape};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const REGIONS: [&str; 7] = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"];

fn cents_to_text(cents: i64) -> String {
    formwork_forms::money::money_string(Decimal::new(cents, 2))
}

#[test]
fn money_sums_are_exact_to_the_cent_over_100k_random_amounts() {
    let s = sample();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut by_region = [0i64; 7];
    let records: Vec<_> = (0..100_000)
        .map(|i| {
            let cents = (next() % 10_000_000_000) as i64 + 1; // up to 100 million yuan
            let r = (next() % 7) as usize;
            by_region[r] += cents;
            project(&i.to_string(), "客户", REGIONS[r], &cents_to_text(cents))
        })
        .collect();
    let plan = s.plan(&s.report("amount_by_region"));
    let (cells, _) = evaluate(&plan, Rows::Records(&records));
    let table = shape(&plan, cells, None, "zh-CN").unwrap();
    for (r, region) in REGIONS.iter().enumerate() {
        let row = table
            .rows
            .iter()
            .find(|row| row[0] == json!(region))
            .unwrap();
        assert_eq!(row[1], json!(cents_to_text(by_region[r])), "{region}");
    }
}

fn amounts() -> impl Strategy<Value = Vec<(usize, i64)>> {
    proptest::collection::vec((0usize..7, 0i64..100_000_000), 0..60)
}

proptest! {
    #[test]
    fn groups_partition_the_rows_and_shares_add_up_to_the_whole(items in amounts(), top in 1u32..8, others in any::<bool>()) {
        let s = sample();
        let mut report = s.report("top_customers");
        report.group_by[0].field = "region".into();
        report.measures = serde_json::from_value(json!([
            {"fn": "sum", "field": "amount"}, {"fn": "count"}, {"fn": "percent"},
            {"fn": "avg", "field": "amount"}, {"fn": "max", "field": "amount"}
        ])).unwrap();
        report.sort = serde_json::from_value(json!([{"by": "count", "desc": true}])).unwrap();
        report.top = Some(formwork_model::TopDef { n: top, others });
        let records: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(i, (r, c))| project(&i.to_string(), "客户", REGIONS[*r], &cents_to_text(*c)))
            .collect();
        let plan = s.plan(&report);
        let (cells, _) = evaluate(&plan, Rows::Records(&records));
        let groups = cells.len();
        let t = shape(&plan, cells, None, "en").unwrap();
        let money = |v: &Value| v.as_str().map(|s| s.parse::<Decimal>().unwrap()).unwrap_or_default();
        let kept = groups.min(top as usize);
        let expected_rows = if others && groups > kept { kept + 1 } else { kept };
        prop_assert_eq!(t.rows.len(), expected_rows);
        let counts: Vec<i64> = t.rows.iter().map(|r| r[2].as_i64().unwrap()).collect();
        prop_assert!(counts.windows(2).take(kept.saturating_sub(1)).all(|w| w[0] >= w[1]), "sorted by count");
        if others || groups <= top as usize {
            let total: Decimal = items.iter().map(|(_, c)| Decimal::new(*c, 2)).sum();
            prop_assert_eq!(t.rows.iter().map(|r| money(&r[1])).sum::<Decimal>(), total);
            prop_assert_eq!(counts.iter().sum::<i64>(), items.len() as i64);
            let shares: f64 = t.rows.iter().map(|r| r[3].as_f64().unwrap()).sum();
            if !items.is_empty() {
                prop_assert!((shares - 100.0).abs() <= 0.005 * t.rows.len() as f64 + 1e-9, "shares {}", shares);
            }
        }
        for row in &t.rows {
            let (sum, count, avg) = (money(&row[1]), Decimal::from(row[2].as_i64().unwrap()), money(&row[4]));
            let exact = (sum / count).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            prop_assert_eq!(avg, exact);
        }
    }
}
