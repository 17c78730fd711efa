//! Page sizes written into the SQL as literals (PostgreSQL).
//!
//! PostgreSQL plans a prepared statement once for all parameters (a generic plan) when that
//! plan costs no more than the plans made for each call's values. A `LIMIT $n` is unknown to
//! the generic plan, which then assumes a tenth of the table and never wins: every list was
//! planned again on every request (measured: 0.24 ms of a 1.7 ms list at 142k records). A
//! limit is a number of our own, never the caller's text, so it is safe as a literal; the few
//! page sizes give a few statements.

use sea_query::{Value, Values};

/// `sql` (with `$n` placeholders) and its `values`, each `LIMIT $n` of an integer value
/// written as that number, the placeholders after it renumbered.
pub fn inline_limits(sql: &str, values: Values) -> (String, Values) {
    let literal = |n: usize| match values.0.get(n.wrapping_sub(1)) {
        Some(Value::BigUnsigned(Some(v))) => Some(v.to_string()),
        Some(Value::Unsigned(Some(v))) => Some(v.to_string()),
        Some(Value::BigInt(Some(v))) if *v >= 0 => Some(v.to_string()),
        Some(Value::Int(Some(v))) if *v >= 0 => Some(v.to_string()),
        _ => None,
    };
    let mut inlined = vec![false; values.0.len()];
    for (at, n) in placeholders(sql) {
        if sql[..at].trim_end().ends_with(" LIMIT") && literal(n).is_some() {
            inlined[n - 1] = true;
        }
    }
    if !inlined.contains(&true) {
        return (sql.to_owned(), values);
    }
    // The new number of each kept placeholder: its old one less the inlined ones before it.
    let mut renumbered = Vec::with_capacity(inlined.len());
    let mut kept = 0;
    for &gone in &inlined {
        if !gone {
            kept += 1;
        }
        renumbered.push(kept);
    }
    let mut out = String::with_capacity(sql.len());
    let mut from = 0;
    for (at, n) in placeholders(sql) {
        out.push_str(&sql[from..at]);
        match (inlined.get(n - 1), literal(n)) {
            (Some(true), Some(number)) => out.push_str(&number),
            _ => {
                out.push('$');
                out.push_str(&renumbered.get(n - 1).copied().unwrap_or(n).to_string());
            }
        }
        from = at + 1 + digits(&sql[at + 1..]);
    }
    out.push_str(&sql[from..]);
    let kept = values
        .0
        .into_iter()
        .zip(inlined)
        .filter_map(|(v, gone)| (!gone).then_some(v))
        .collect();
    (out, Values(kept))
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// The byte offset and number of each `$n` outside quoted text and identifiers.
fn placeholders(sql: &str) -> Vec<(usize, usize)> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            // A doubled quote inside quoted text is the quote itself: leaving and entering
            // again reads it right.
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'$' => {
                let n = digits(&sql[i + 1..]);
                if n > 0
                    && let Ok(number) = sql[i + 1..i + 1 + n].parse::<usize>()
                    && number > 0
                {
                    found.push((i, number));
                }
                i += n;
            }
            None => {}
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_become_literals_and_later_placeholders_close_the_gap() {
        let values = Values(vec![
            Value::String(Some("华东".into())),
            Value::BigUnsigned(Some(21)),
            Value::String(Some("$2 'x'".into())),
            Value::BigUnsigned(Some(1001)),
        ]);
        let sql = "SELECT id FROM (SELECT id FROM t WHERE r = $1 ORDER BY id DESC LIMIT $2) p \
                   WHERE note <> '$3' AND \"c$3\" = $3 LIMIT $4";
        let (out, kept) = inline_limits(sql, values);
        assert_eq!(
            out,
            "SELECT id FROM (SELECT id FROM t WHERE r = $1 ORDER BY id DESC LIMIT 21) p \
             WHERE note <> '$3' AND \"c$3\" = $2 LIMIT 1001"
        );
        assert_eq!(
            kept.0,
            vec![
                Value::String(Some("华东".into())),
                Value::String(Some("$2 'x'".into()))
            ]
        );
    }

    #[test]
    fn a_statement_without_a_limit_is_left_as_it_is() {
        let values = Values(vec![Value::BigUnsigned(Some(3))]);
        let (out, kept) = inline_limits("SELECT $1 FROM t WHERE a = 'LIMIT $1'", values.clone());
        assert_eq!(out, "SELECT $1 FROM t WHERE a = 'LIMIT $1'");
        assert_eq!(kept, values);
    }
}
