//! Canonical JSON text: sorted keys, two-space indent, literal UTF-8, and byte-identical round trips.

use formwork_model::{canonical_string, export_package, parse_package};
use serde_json::{Value, json};

#[test]
fn canonical_string_sorts_keys_at_every_level_and_ends_with_a_newline() {
    let v: Value = serde_json::from_str(
        r#"{"b": {"z": 1, "a": [true, null, {"y": 2, "x": 1.5}]}, "a": "区域", "c": {}, "d": []}"#,
    )
    .unwrap();
    let expected = r#"{
  "a": "区域",
  "b": {
    "a": [
      true,
      null,
      {
        "x": 1.5,
        "y": 2
      }
    ],
    "z": 1
  },
  "c": {},
  "d": []
}
"#;
    assert_eq!(canonical_string(&v), expected);
}

#[test]
fn canonical_string_escapes_only_what_json_requires() {
    let v = json!({"s": "华东 \"引号\" \\ \n\t\u{1}"});
    assert_eq!(
        canonical_string(&v),
        "{\n  \"s\": \"华东 \\\"引号\\\" \\\\ \\n\\t\\u0001\"\n}\n"
    );
}

#[test]
fn canonical_string_of_a_scalar_is_the_scalar() {
    assert_eq!(canonical_string(&json!(12.5)), "12.5\n");
    assert_eq!(canonical_string(&json!("x")), "\"x\"\n");
}

#[test]
fn canonical_text_round_trips_byte_identical() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        let v = random_value(&mut seed, 0);
        let first = canonical_string(&v);
        let reparsed: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(reparsed, v);
        assert_eq!(canonical_string(&reparsed), first);
    }
}

#[test]
fn sample_export_then_import_then_export_is_byte_identical() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../apps/project-registration.json"
    );
    let app = parse_package(&std::fs::read_to_string(path).unwrap()).unwrap();
    let first = export_package(&app).unwrap();
    let again = export_package(&parse_package(&first).unwrap()).unwrap();
    assert_eq!(first, again);
    assert!(first.contains("结束日期不能早于开始日期"));
}

/// A pseudo-random JSON value (xorshift), so the round trip sees many shapes without a crate.
fn random_value(seed: &mut u64, depth: u32) -> Value {
    let pick = next(seed) % if depth > 3 { 5 } else { 7 };
    match pick {
        0 => Value::Null,
        1 => Value::Bool(next(seed).is_multiple_of(2)),
        2 => json!((next(seed) % 2_000_000) as i64 - 1_000_000),
        3 => json!(f64::from((next(seed) % 100_000) as u32) / 7.0),
        4 => {
            let pool = ["华东", "a\"b", "tab\t", "émoji 🎉", "", "x/y", "\u{7f}"];
            json!(pool[(next(seed) % pool.len() as u64) as usize])
        }
        5 => {
            let n = next(seed) % 4;
            Value::Array((0..n).map(|_| random_value(seed, depth + 1)).collect())
        }
        _ => {
            let n = next(seed) % 4;
            let mut map = serde_json::Map::new();
            for _ in 0..n {
                let key = format!("k{}区", next(seed) % 50);
                map.insert(key, random_value(seed, depth + 1));
            }
            Value::Object(map)
        }
    }
}

fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}
