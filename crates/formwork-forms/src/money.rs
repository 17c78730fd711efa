//! Exact CNY amounts: parsing what people and API clients send, bounds, and display.
//!
//! Money is stored as a JSON string with exactly two decimals (`"100000.30"`). A JSON number
//! from an API client is read from its textual form (`serde_json::Number::to_string`), never
//! through float arithmetic, so `100000.3` becomes `"100000.30"` and a float artefact such as
//! `0.30000000000000004` is refused rather than silently rounded. Results of expressions
//! (defaults, computed fields) are the one place where rounding to the cent happens, because
//! the expression language computes money as floats.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// Most digits before the decimal point (999 trillion yuan fits NUMERIC(17,2) and `i64` 分).
pub const MAX_INTEGER_DIGITS: usize = 15;

/// Why a submitted amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MoneyFault {
    /// Not a JSON string or number.
    WrongType,
    /// Not a plain decimal with at most two decimals and 15 integer digits.
    BadText,
}

/// Parses an amount as a person or client wrote it: `-`, digits, optionally `.` and digits.
///
/// Extra decimals are accepted only when they are zeros (`"1.500"`).
pub fn parse_money(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !plain(whole) || fraction.is_some_and(|f| !plain(f) || f.len() > 20) {
        return None;
    }
    if whole.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
        return None;
    }
    let amount = Decimal::from_str_exact(text).ok()?;
    (amount.normalize().scale() <= 2).then_some(amount)
}

/// The stored form of an amount: two decimals, no exponent, `-` for negatives.
pub fn money_string(amount: Decimal) -> String {
    let mut amount = amount;
    amount.rescale(2);
    if amount.is_zero() {
        amount.set_sign_positive(true);
    }
    amount.to_string()
}

/// Normalises a submitted amount (string or JSON number) to its stored string.
pub(crate) fn normalize_input(value: &Value) -> Result<String, MoneyFault> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(MoneyFault::WrongType),
    };
    parse_money(&text)
        .map(money_string)
        .ok_or(MoneyFault::BadText)
}

/// Rounds an expression's result (a number or numeric string) to the cent.
pub(crate) fn from_expression(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let amount = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()?;
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let whole_digits = rounded.trunc().abs().to_string().len();
    (whole_digits <= MAX_INTEGER_DIGITS).then(|| money_string(rounded))
}

/// A bound given as a JSON number or decimal string, read from its text.
pub(crate) fn bound(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// An amount for people: `¥100,000.30`, `-¥5.00`.
pub fn format_money(amount: Decimal) -> String {
    let text = money_string(amount.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}¥{grouped}.{cents}")
}

/// A bound as people read it: `0`, `100000.5`.
pub(crate) fn plain(amount: Decimal) -> String {
    amount.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn submitted_amounts_are_normalised_exactly_or_refused() {
        let cases = [
            (json!("100000.30"), Ok("100000.30")),
            (json!("100000.3"), Ok("100000.30")),
            (json!(" 12 "), Ok("12.00")),
            (json!("1.500"), Ok("1.50")),
            (json!("-0"), Ok("0.00")),
            (json!("-5.1"), Ok("-5.10")),
            (json!(100000.3), Ok("100000.30")),
            (json!(7), Ok("7.00")),
            (json!(999_999_999_999_999u64), Ok("999999999999999.00")),
            (json!(0.1 + 0.2), Err(MoneyFault::BadText)),
            (json!(1e20), Err(MoneyFault::BadText)),
            (json!("1e20"), Err(MoneyFault::BadText)),
            (json!("1000000000000000"), Err(MoneyFault::BadText)),
            (json!("1.234"), Err(MoneyFault::BadText)),
            (json!("1,000"), Err(MoneyFault::BadText)),
            (json!("¥5"), Err(MoneyFault::BadText)),
            (json!(".5"), Err(MoneyFault::BadText)),
            (json!("5."), Err(MoneyFault::BadText)),
            (json!("NaN"), Err(MoneyFault::BadText)),
            (json!(true), Err(MoneyFault::WrongType)),
        ];
        for (input, expected) in cases {
            let got = normalize_input(&input);
            assert_eq!(got.as_deref(), expected.as_ref().map(|s| *s), "{input}");
        }
    }

    #[test]
    fn expression_results_are_rounded_to_the_cent() {
        assert_eq!(from_expression(&json!(0.1 + 0.2)).as_deref(), Some("0.30"));
        assert_eq!(from_expression(&json!(2.675)).as_deref(), Some("2.68"));
        assert_eq!(from_expression(&json!(1e20)), None);
        assert_eq!(from_expression(&json!("12.345")).as_deref(), Some("12.35"));
    }

    #[test]
    fn amounts_are_formatted_with_yuan_sign_and_thousands() {
        let cases = [
            ("100000.30", "¥100,000.30"),
            ("0", "¥0.00"),
            ("999", "¥999.00"),
            ("1000", "¥1,000.00"),
            ("-1234567.5", "-¥1,234,567.50"),
        ];
        for (amount, shown) in cases {
            let amount = Decimal::from_str(amount).unwrap();
            assert_eq!(format_money(amount), shown);
        }
    }
}
