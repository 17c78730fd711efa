//! Money stays exact from the request to the record.

use crate::common::{codes, ctx, kinds, pairs, project, valid_project};
use formwork_forms::money::{format_money, money_string, parse_money};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

fn amount(value: serde_json::Value) -> Result<String, Vec<(String, String)>> {
    let mut input = valid_project();
    input["amount"] = value;
    project()
        .submit(&input, &ctx(), None)
        .map(|r| r.data["amount"].as_str().unwrap().to_owned())
        .map_err(|e| codes(&e))
}

#[test]
fn amounts_are_stored_as_two_decimal_strings_without_float_rounding() {
    let cases = [
        (json!("100000.30"), Ok("100000.30")),
        (json!("100000.3"), Ok("100000.30")),
        (json!(100000.3), Ok("100000.30")),
        (json!(100000), Ok("100000.00")),
        (json!("0"), Ok("0.00")),
        (json!("999999999999999.99"), Ok("999999999999999.99")),
        (json!(0.1 + 0.2), Err("pattern")),
        (json!(1e20), Err("pattern")),
        (json!("1e20"), Err("pattern")),
        (json!("100000.301"), Err("pattern")),
        (json!("-0.01"), Err("minimum")),
    ];
    for (input, expected) in cases {
        let got = amount(input.clone());
        match expected {
            Ok(text) => assert_eq!(got, Ok(text.to_owned()), "{input}"),
            Err(code) => assert_eq!(got, Err(pairs(&[("/amount", code)])), "{input}"),
        }
    }
}

#[test]
fn computed_sums_of_cents_come_out_exact() {
    let form = kinds();
    let input = json!({"lines": [
        {"item": "甲", "qty": 1, "unit_price": "0.10"},
        {"item": "乙", "qty": 1, "unit_price": "0.20"},
        {"item": "丙", "qty": 3, "unit_price": "33333.33"}
    ]});
    let record = form.submit(&input, &ctx(), None).unwrap();
    assert_eq!(record.data["lines"][0]["subtotal"], "0.10");
    assert_eq!(record.data["lines"][2]["subtotal"], "99999.99");
    assert_eq!(record.data["total"], "100000.29");
}

proptest! {
    #[test]
    fn any_amount_in_cents_survives_text_and_json_numbers(cents in -99_999_999_999_999i64..99_999_999_999_999i64) {
        let exact = Decimal::new(cents, 2);
        let stored = money_string(exact);
        prop_assert_eq!(parse_money(&stored), Some(exact));
        // An API client's JSON number: the shortest float text of a value with at most
        // 15 significant digits is that decimal itself.
        let number = serde_json::Number::from_f64(cents as f64 / 100.0).unwrap();
        let read = parse_money(&number.to_string()).map(money_string);
        prop_assert_eq!(read, Some(stored.clone()));
        let shown = format_money(exact);
        prop_assert!(shown.contains('¥'));
        prop_assert_eq!(shown.replace(['¥', ','], ""), stored);
    }
}
