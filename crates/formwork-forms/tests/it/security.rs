//! What people type is data: never evaluated as a template, and rich text is sanitised.

use crate::common::{ctx, kinds, project, valid_project};
use serde_json::json;

#[test]
fn script_tags_and_template_syntax_are_kept_literally_as_values() {
    let hostile = [
        "<script>alert(1)</script>",
        "{{7*7}}",
        "{% for x in range(9999999) %}{% endfor %}",
        "{{ self.__init__ }}",
        "' OR 1=1 --",
    ];
    let form = project();
    for text in hostile {
        let mut input = valid_project();
        input["customer"] = json!(text);
        input["description"] = json!(text);
        input["milestones"][0]["title"] = json!(text);
        let record = form.submit(&input, &ctx(), None).unwrap();
        assert_eq!(record.data["customer"], text);
        assert_eq!(record.data["description"], text);
        assert_eq!(record.data["milestones"][0]["title"], text);
        let shown = form.project_for_display(&record.data);
        let customer = shown.iter().find(|f| f.key == "customer").unwrap();
        assert_eq!(customer.value.get("zh-CN"), text);
    }
}

#[test]
fn rich_text_is_sanitised_on_the_server() {
    let form = kinds();
    let cases = [
        ("<p>你好<script>alert(1)</script></p>", "<p>你好</p>"),
        ("<p onclick=\"steal()\">点我</p>", "<p>点我</p>"),
        (
            "<a href=\"javascript:alert(1)\">链接</a>",
            "<a rel=\"noopener noreferrer\">链接</a>",
        ),
        ("<img src=x onerror=alert(1)>", "<img src=\"x\">"),
        ("<b>{{7*7}}</b>", "<b>{{7*7}}</b>"),
        ("<script>alert(1)</script>", ""),
    ];
    for (dirty, clean) in cases {
        let record = form.submit(&json!({"bio": dirty}), &ctx(), None).unwrap();
        let stored = record
            .data
            .get("bio")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        assert_eq!(stored, clean, "{dirty}");
    }
}

#[test]
fn rich_text_stored_before_sanitising_is_sanitised_again_for_display() {
    let form = kinds();
    let shown = form.project_for_display(&json!({"bio": "<p>hi<script>x()</script></p>"}));
    let bio = shown.iter().find(|f| f.key == "bio").unwrap();
    assert_eq!(bio.value.get("en"), "<p>hi</p>");
}
