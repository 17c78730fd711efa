//! Export → import of every importable field kind, formula-looking text staying literal, and
//! the encodings Chinese users' CSV files come in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Read;

use formwork_forms::CompiledForm;
use formwork_model::FormDef;
use formwork_sheets::read::{SheetFormat, decode_text};
use formwork_sheets::{
    Directory, Mapping, content_hash, detect_format, read_grid, record_columns, record_row, rows,
    write_csv, write_xlsx,
};
use serde_json::{Map, Value, json};

struct People;

impl Directory for People {
    fn user(&self, text: &str) -> Option<String> {
        match text {
            "sales1" | "销售一" => Some("sales1".into()),
            "manager1" | "经理一" => Some("manager1".into()),
            _ => None,
        }
    }
    fn department(&self, text: &str) -> Option<String> {
        match text {
            "east" | "华东销售部" => Some("east".into()),
            _ => None,
        }
    }
}

fn kinds_form() -> CompiledForm {
    let def: FormDef = serde_json::from_value(json!({
        "id": "kinds",
        "name": {"zh-CN": "各类字段"},
        "schema": {"type": "object", "properties": {
            "text": {"type": "string"},
            "notes": {"type": "string"},
            "html": {"type": "string", "contentMediaType": "text/html"},
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "amount": {"type": "string"},
            "share": {"type": "number", "x-formwork-kind": "percent"},
            "day": {"type": "string", "format": "date"},
            "moment": {"type": "string", "format": "date-time"},
            "colour": {"type": "string", "enum": ["red", "green"]},
            "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}},
            "size": {"type": "string"},
            "ok": {"type": "boolean"},
            "mobile": {"type": "string"},
            "landline": {"type": "string", "x-formwork-kind": "landline"},
            "email": {"type": "string", "format": "email"},
            "site": {"type": "string", "format": "uri"},
            "owner": {"type": "string"},
            "reviewers": {"type": "array", "items": {"type": "string"}},
            "dept": {"type": "string"},
            "lines": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer"}}}}
        }},
        "ui": {"fields": {
            "text": {"label": {"zh-CN": "文本", "en": "Text"}},
            "notes": {"label": {"zh-CN": "备注"}, "widget": "textarea"},
            "html": {"label": {"zh-CN": "富文本"}, "widget": "textarea"},
            "count": {"label": {"zh-CN": "数量"}, "widget": "number"},
            "ratio": {"label": {"zh-CN": "比例"}, "widget": "number"},
            "amount": {"label": {"zh-CN": "金额", "en": "Amount"}, "widget": "money"},
            "share": {"label": {"zh-CN": "占比"}, "widget": "number"},
            "day": {"label": {"zh-CN": "日期"}, "widget": "date"},
            "moment": {"label": {"zh-CN": "时间"}, "widget": "datetime"},
            "colour": {"label": {"zh-CN": "颜色"}, "widget": "select", "options": {"red": {"zh-CN": "红", "en": "Red"}, "green": {"zh-CN": "绿", "en": "Green"}}},
            "tags": {"label": {"zh-CN": "标签"}, "widget": "multiselect", "options": {"a": {"zh-CN": "甲"}, "b": {"zh-CN": "乙"}, "c": {"zh-CN": "丙"}}},
            "size": {"label": {"zh-CN": "尺寸"}, "widget": "radio", "options": {"s": {"zh-CN": "小"}, "l": {"zh-CN": "大"}}},
            "ok": {"label": {"zh-CN": "确认"}, "widget": "checkbox"},
            "mobile": {"label": {"zh-CN": "手机"}, "widget": "phone"},
            "landline": {"label": {"zh-CN": "座机"}},
            "email": {"label": {"zh-CN": "邮箱"}, "widget": "email"},
            "site": {"label": {"zh-CN": "网址"}},
            "owner": {"label": {"zh-CN": "负责人"}, "widget": "user"},
            "reviewers": {"label": {"zh-CN": "评审人"}, "widget": "user"},
            "dept": {"label": {"zh-CN": "部门"}, "widget": "department"},
            "lines": {"label": {"zh-CN": "明细"}, "widget": "subtable", "fields": {"qty": {"label": {"zh-CN": "数量"}}}}
        }}
    }))
    .unwrap();
    CompiledForm::compile("kinds@1", &def).unwrap()
}

fn records() -> Vec<Map<String, Value>> {
    let a = json!({
        "text": "=HYPERLINK(\"http://x\",\"y\")",
        "notes": "第一行\n第二行",
        "html": "<p>你好</p>",
        "count": 42,
        "ratio": 3.25,
        "amount": "100000.30",
        "share": 12.5,
        "day": "2026-03-01",
        "moment": "2026-03-01T02:30:00Z",
        "colour": "red",
        "tags": ["a", "c"],
        "size": "l",
        "ok": true,
        "mobile": "13800138000",
        "landline": "010-12345678",
        "email": "a@example.com",
        "site": "https://example.com/x?y=1",
        "owner": "sales1",
        "reviewers": ["sales1", "manager1"],
        "dept": "east",
        "lines": [{"qty": 2}, {"qty": 3}]
    });
    let b = json!({
        "text": "+1 -2 @SUM(A1)",
        "notes": "-leading minus",
        "count": -7,
        "amount": "-5.00",
        "day": "2025-12-31",
        "moment": "2025-12-31T16:00:00Z",
        "colour": "green",
        "ok": false,
        "owner": "manager1"
    });
    let c = json!({"text": "\ttab first", "amount": "0.10", "html": "@mention"});
    [a, b, c]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
}

fn round_trip(format: SheetFormat, lang: &str) {
    let form = kinds_form();
    let all: BTreeSet<String> = form.fields().iter().map(|f| f.key.clone()).collect();
    let columns = record_columns(&form, &all, lang);
    let originals = records();
    let exported: Vec<Vec<Value>> = originals
        .iter()
        .map(|r| record_row(&form, &columns, &Value::Object(r.clone()), lang))
        .collect();
    let mut bytes = Vec::new();
    match format {
        SheetFormat::Xlsx => write_xlsx(&mut bytes, &columns, &exported, "数据", None).map(|_| ()),
        SheetFormat::Csv => write_csv(&mut bytes, &columns, &exported).map(|_| ()),
    }
    .unwrap();
    assert_eq!(detect_format(&bytes, "x"), Some(format));
    let grid = read_grid(&bytes, format).unwrap();
    let mapping = Mapping::auto(&grid.header, &form, &all);
    assert!(
        mapping.columns.iter().all(Option::is_some),
        "{:?}",
        grid.header
    );
    let back: Vec<_> = rows(&grid, &mapping, &form, &People).collect();
    for (row, original) in back.iter().zip(&originals) {
        assert!(row.errors.is_empty(), "{format:?} {:?}", row.errors);
        assert_eq!(&row.data, original, "{format:?} row {}", row.row);
    }
    assert_eq!(back.len(), originals.len());
}

#[test]
fn xlsx_export_then_import_gives_back_every_field_kind() {
    round_trip(SheetFormat::Xlsx, "zh-CN");
}

#[test]
fn csv_export_then_import_gives_back_every_field_kind() {
    round_trip(SheetFormat::Csv, "zh-CN");
}

#[test]
fn english_headers_and_labels_round_trip_too() {
    round_trip(SheetFormat::Xlsx, "en");
}

#[test]
fn formula_text_is_a_string_cell_in_xlsx_and_quoted_in_csv() {
    let form = kinds_form();
    let all: BTreeSet<String> = ["text".to_owned()].into();
    let columns = record_columns(&form, &all, "zh-CN");
    let row = vec![json!("=HYPERLINK(\"http://x\",\"y\")")];
    let mut xlsx = Vec::new();
    write_xlsx(&mut xlsx, &columns, [&row], "Sheet1", None).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&xlsx)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(!sheet.contains("<f>"), "no formula element: {sheet}");
    assert!(
        sheet.contains("t=\"inlineStr\"") || sheet.contains("t=\"s\""),
        "{sheet}"
    );
    let mut csv = Vec::new();
    write_csv(&mut csv, &columns, [&row]).unwrap();
    let text = decode_text(&csv);
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        "{text}"
    );
}

#[test]
fn money_and_dates_are_typed_cells_in_xlsx() {
    let form = kinds_form();
    let all: BTreeSet<String> = ["amount".to_owned(), "day".to_owned()].into();
    let columns = record_columns(&form, &all, "zh-CN");
    let mut xlsx = Vec::new();
    write_xlsx(
        &mut xlsx,
        &columns,
        [[json!("1234.50"), json!("2026-03-01")]],
        "Sheet1",
        None,
    )
    .unwrap();
    let grid = read_grid(&xlsx, SheetFormat::Xlsx).unwrap();
    assert_eq!(
        grid.rows[0],
        vec![
            formwork_sheets::RawCell::Number(1234.5),
            formwork_sheets::RawCell::Serial(46082.0)
        ]
    );
}

#[test]
fn gb18030_and_bom_csv_files_read_as_chinese() {
    let text = "项目名称,金额\n华东项目,\"1,200.50\"\n";
    let (gbk, _, _) = encoding_rs::GB18030.encode(text);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    let grid = read_grid(&gbk, SheetFormat::Csv).unwrap();
    assert_eq!(grid.header, ["项目名称", "金额"]);
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(text.as_bytes());
    assert_eq!(read_grid(&bom, SheetFormat::Csv).unwrap(), grid);
}

#[test]
fn the_same_bytes_hash_the_same_and_others_do_not() {
    assert_eq!(content_hash(b"abc"), content_hash(b"abc"));
    assert_ne!(content_hash(b"abc"), content_hash(b"abd"));
    assert_eq!(content_hash(b"").len(), 64);
}

#[test]
fn mapping_overrides_and_their_refusals() {
    let form = kinds_form();
    let all: BTreeSet<String> = form.fields().iter().map(|f| f.key.clone()).collect();
    let header: Vec<String> = ["  AMOUNT ", "备 注", "随便"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let auto = Mapping::auto(&header, &form, &all);
    assert_eq!(
        auto.columns,
        [Some("amount".to_owned()), Some("notes".into()), None]
    );
    let over = |pairs: &[(&str, Option<&str>)]| {
        let map = pairs
            .iter()
            .map(|(h, f)| ((*h).to_owned(), f.map(str::to_owned)))
            .collect();
        Mapping::with_overrides(&header, &form, &all, &map)
    };
    assert_eq!(
        over(&[("随便", Some("text")), ("备 注", None)])
            .unwrap()
            .columns,
        [Some("amount".to_owned()), None, Some("text".into())]
    );
    assert_eq!(
        over(&[("随便", Some("amount"))]).unwrap().columns,
        [None, Some("notes".to_owned()), Some("amount".into())]
    );
    assert_eq!(
        over(&[("没有", Some("text"))]).unwrap_err().code(),
        "unknown_column"
    );
    assert_eq!(
        over(&[("随便", Some("ghost"))]).unwrap_err().code(),
        "unknown_field"
    );
    let not_writable: BTreeSet<String> = ["notes".to_owned()].into();
    assert_eq!(
        Mapping::auto(&header, &form, &not_writable).columns,
        [None, Some("notes".to_owned()), None]
    );
}
