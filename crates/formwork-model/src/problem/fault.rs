//! Every fault a package can have, with its code and its message in both languages.

use super::Problem;

/// A fault with the data its message needs; turned into a [`Problem`] with [`Fault::at`].
#[derive(Debug, Clone)]
pub(crate) enum Fault<'a> {
    InvalidJson {
        detail: String,
    },
    MissingProperty {
        name: String,
    },
    UnknownProperty {
        name: String,
    },
    WrongType {
        expected: String,
    },
    BadEnumValue {
        allowed: String,
    },
    BadPattern {
        pattern: String,
    },
    TooShort {
        limit: String,
    },
    TooLong {
        limit: String,
    },
    TooSmall {
        limit: String,
    },
    TooLarge {
        limit: String,
    },
    TooFewItems {
        limit: String,
    },
    TooManyItems {
        limit: String,
    },
    DuplicateItems,
    BadFormat {
        format: String,
    },
    SchemaViolation {
        detail: String,
    },
    InvalidPackage {
        detail: String,
    },

    DuplicateId {
        id: &'a str,
    },
    InvalidFormSchema {
        detail: String,
    },
    FormSchemaNotObject,
    InvalidFieldKey {
        key: &'a str,
    },
    UnknownField {
        field: &'a str,
    },
    UnknownTaskField {
        field: &'a str,
    },
    InvalidExpression {
        detail: String,
    },
    UnknownVariable {
        name: String,
    },
    UnknownForm {
        form: &'a str,
    },
    UnknownNode {
        node: &'a str,
    },
    UnknownRole {
        role: &'a str,
    },
    UnknownReport {
        report: &'a str,
    },
    MissingMeasureField {
        func: &'a str,
    },
    MissingDuration,
    NoStart,
    SeveralStarts,
    StartHasIncoming,
    EndHasOutgoing,
    UnreachableNode {
        node: &'a str,
    },
    CannotReachEnd {
        node: &'a str,
    },
    ConditionWithoutDefault {
        node: &'a str,
    },
    ConditionSeveralDefaults {
        node: &'a str,
    },
    ConditionEdgeWithoutWhen,
    EdgeWhenOutsideCondition {
        kind: &'a str,
    },
    EdgeActionInvalid {
        action: &'a str,
        kind: &'a str,
    },
    AmbiguousEdges {
        node: &'a str,
        action: &'a str,
    },
    MissingEdgeAction {
        node: &'a str,
        action: &'a str,
    },
    SplitWithoutJoin {
        node: &'a str,
        joins: String,
    },
    JoinWithoutSplit {
        node: &'a str,
    },
    JoinClosesSeveralSplits {
        node: &'a str,
        splits: String,
    },
    BlocksOverlap {
        first: &'a str,
        second: &'a str,
    },
    EdgeIntoBranch {
        split: &'a str,
    },
    BranchesMerge {
        node: &'a str,
        split: &'a str,
    },
    JoinRequiresTooMany {
        node: &'a str,
        required: u32,
        branches: usize,
    },
    TimeoutWithoutDeadline {
        node: &'a str,
    },
    TimeoutWithEscalation {
        node: &'a str,
    },
    CycleWithoutHumanStep {
        nodes: String,
    },
}

impl Fault<'_> {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Fault::InvalidJson { .. } => "invalid_json",
            Fault::MissingProperty { .. } => "missing_property",
            Fault::UnknownProperty { .. } => "unknown_property",
            Fault::WrongType { .. } => "wrong_type",
            Fault::BadEnumValue { .. } => "bad_enum_value",
            Fault::BadPattern { .. } => "bad_pattern",
            Fault::TooShort { .. } => "too_short",
            Fault::TooLong { .. } => "too_long",
            Fault::TooSmall { .. } => "too_small",
            Fault::TooLarge { .. } => "too_large",
            Fault::TooFewItems { .. } => "too_few_items",
            Fault::TooManyItems { .. } => "too_many_items",
            Fault::DuplicateItems => "duplicate_items",
            Fault::BadFormat { .. } => "bad_format",
            Fault::SchemaViolation { .. } => "schema_violation",
            Fault::InvalidPackage { .. } => "invalid_package",
            Fault::DuplicateId { .. } => "duplicate_id",
            Fault::InvalidFormSchema { .. } => "invalid_form_schema",
            Fault::FormSchemaNotObject => "form_schema_not_object",
            Fault::InvalidFieldKey { .. } => "invalid_field_key",
            Fault::UnknownField { .. } | Fault::UnknownTaskField { .. } => "unknown_field",
            Fault::InvalidExpression { .. } => "invalid_expression",
            Fault::UnknownVariable { .. } => "unknown_variable",
            Fault::UnknownForm { .. } => "unknown_form",
            Fault::UnknownNode { .. } => "unknown_node",
            Fault::UnknownRole { .. } => "unknown_role",
            Fault::UnknownReport { .. } => "unknown_report",
            Fault::MissingMeasureField { .. } => "missing_measure_field",
            Fault::MissingDuration => "missing_duration",
            Fault::NoStart => "no_start",
            Fault::SeveralStarts => "several_starts",
            Fault::StartHasIncoming => "start_has_incoming",
            Fault::EndHasOutgoing => "end_has_outgoing",
            Fault::UnreachableNode { .. } => "unreachable_node",
            Fault::CannotReachEnd { .. } => "cannot_reach_end",
            Fault::ConditionWithoutDefault { .. } => "condition_without_default",
            Fault::ConditionSeveralDefaults { .. } => "condition_several_defaults",
            Fault::ConditionEdgeWithoutWhen => "condition_edge_without_when",
            Fault::EdgeWhenOutsideCondition { .. } => "edge_when_outside_condition",
            Fault::EdgeActionInvalid { .. } => "edge_action_invalid",
            Fault::AmbiguousEdges { .. } => "ambiguous_edges",
            Fault::MissingEdgeAction { .. } => "missing_edge_action",
            Fault::SplitWithoutJoin { .. } => "split_without_join",
            Fault::JoinWithoutSplit { .. } => "join_without_split",
            Fault::JoinClosesSeveralSplits { .. } => "join_closes_several_splits",
            Fault::BlocksOverlap { .. } => "blocks_overlap",
            Fault::EdgeIntoBranch { .. } => "edge_into_branch",
            Fault::BranchesMerge { .. } => "branches_merge",
            Fault::JoinRequiresTooMany { .. } => "join_requires_too_many",
            Fault::TimeoutWithoutDeadline { .. } => "timeout_without_deadline",
            Fault::TimeoutWithEscalation { .. } => "timeout_with_escalation",
            Fault::CycleWithoutHumanStep { .. } => "cycle_without_human_step",
        }
    }

    /// The message as `(zh-CN, en)`.
    fn texts(&self) -> (String, String) {
        match self {
            Fault::InvalidJson { detail } => (
                format!("不是合法的 JSON：{detail}"),
                format!("not valid JSON: {detail}"),
            ),
            Fault::MissingProperty { name } => (
                format!("缺少必填属性「{name}」"),
                format!("required property `{name}` is missing"),
            ),
            Fault::UnknownProperty { name } => (
                format!("不允许的属性「{name}」"),
                format!("property `{name}` is not allowed here"),
            ),
            Fault::WrongType { expected } => (
                format!("类型错误，应为 {expected}"),
                format!("wrong type, expected {expected}"),
            ),
            Fault::BadEnumValue { allowed } => (
                format!("取值无效，可选值：{allowed}"),
                format!("invalid value, expected one of: {allowed}"),
            ),
            Fault::BadPattern { pattern } => (
                format!("格式不符合要求（{pattern}）"),
                format!("does not match the pattern {pattern}"),
            ),
            Fault::TooShort { limit } => (
                format!("太短，至少 {limit} 个字符"),
                format!("too short, at least {limit} characters"),
            ),
            Fault::TooLong { limit } => (
                format!("太长，最多 {limit} 个字符"),
                format!("too long, at most {limit} characters"),
            ),
            Fault::TooSmall { limit } => (
                format!("数值太小，下限为 {limit}"),
                format!("too small, the limit is {limit}"),
            ),
            Fault::TooLarge { limit } => (
                format!("数值太大，上限为 {limit}"),
                format!("too large, the limit is {limit}"),
            ),
            Fault::TooFewItems { limit } => (
                format!("条目太少，至少 {limit} 项"),
                format!("too few items, at least {limit}"),
            ),
            Fault::TooManyItems { limit } => (
                format!("条目太多，最多 {limit} 项"),
                format!("too many items, at most {limit}"),
            ),
            Fault::DuplicateItems => (
                "列表中有重复项".into(),
                "the list has duplicate items".into(),
            ),
            Fault::BadFormat { format } => (
                format!("不是有效的 {format} 格式"),
                format!("not a valid {format}"),
            ),
            Fault::SchemaViolation { detail } => (
                format!("不符合应用包格式：{detail}"),
                format!("does not fit the package format: {detail}"),
            ),
            Fault::InvalidPackage { detail } => (
                format!("应用包无法读取：{detail}"),
                format!("the package cannot be read: {detail}"),
            ),
            Fault::DuplicateId { id } => (
                format!("标识「{id}」重复"),
                format!("id `{id}` is used more than once"),
            ),
            Fault::InvalidFormSchema { detail } => (
                format!("表单的 JSON Schema 无效：{detail}"),
                format!("the form's JSON Schema is invalid: {detail}"),
            ),
            Fault::FormSchemaNotObject => (
                "表单的 JSON Schema 顶层必须是 type: object 并带有 properties".into(),
                "the form's JSON Schema must be `type: object` with `properties` at the top".into(),
            ),
            Fault::InvalidFieldKey { key } => (
                format!(
                    "字段名「{key}」无效：须以小写字母开头，只含小写字母、数字和下划线，且不能是保留名"
                ),
                format!(
                    "field key `{key}` is invalid: it must start with a lower-case letter, hold only lower-case letters, digits and `_`, and not be a reserved name"
                ),
            ),
            Fault::UnknownField { field } => (
                format!("表单中没有字段「{field}」"),
                format!("the form has no field `{field}`"),
            ),
            Fault::UnknownTaskField { field } => (
                format!("流程任务没有字段「{field}」"),
                format!("process tasks have no field `{field}`"),
            ),
            Fault::InvalidExpression { detail } => (
                format!("表达式无法编译：{detail}"),
                format!("the expression does not compile: {detail}"),
            ),
            Fault::UnknownVariable { name } => (
                format!("表达式读取了未知变量「{name}」"),
                format!("the expression reads unknown variable `{name}`"),
            ),
            Fault::UnknownForm { form } => (
                format!("应用中没有表单「{form}」"),
                format!("the app has no form `{form}`"),
            ),
            Fault::UnknownNode { node } => (
                format!("流程中没有节点「{node}」"),
                format!("the process has no node `{node}`"),
            ),
            Fault::UnknownRole { role } => (
                format!("角色「{role}」未在 roles 中声明"),
                format!("role `{role}` is not declared in `roles`"),
            ),
            Fault::UnknownReport { report } => (
                format!("应用中没有报表「{report}」"),
                format!("the app has no report `{report}`"),
            ),
            Fault::MissingMeasureField { func } => (
                format!("聚合 {func} 需要指定字段"),
                format!("aggregate `{func}` needs a field"),
            ),
            Fault::MissingDuration => (
                "需要 hours 或 until_field 之一".into(),
                "needs `hours` or `until_field`".into(),
            ),
            Fault::NoStart => (
                "流程没有开始节点".into(),
                "the process has no start node".into(),
            ),
            Fault::SeveralStarts => (
                "流程只能有一个开始节点".into(),
                "the process has more than one start node".into(),
            ),
            Fault::StartHasIncoming => (
                "开始节点不能有进入的连线".into(),
                "an edge leads into the start node".into(),
            ),
            Fault::EndHasOutgoing => (
                "结束节点不能有出去的连线".into(),
                "an edge leaves an end node".into(),
            ),
            Fault::UnreachableNode { node } => (
                format!("从开始节点无法到达节点「{node}」"),
                format!("node `{node}` cannot be reached from the start"),
            ),
            Fault::CannotReachEnd { node } => (
                format!("节点「{node}」无法到达任何结束节点"),
                format!("node `{node}` cannot reach any end node"),
            ),
            Fault::ConditionWithoutDefault { node } => (
                format!("分支判断节点「{node}」缺少默认连线"),
                format!("node `{node}` has no default edge for when no condition is true"),
            ),
            Fault::ConditionSeveralDefaults { node } => (
                format!("分支判断节点「{node}」只能有一条默认连线"),
                format!("node `{node}` has more than one default edge"),
            ),
            Fault::ConditionEdgeWithoutWhen => (
                "离开条件节点或包容分支节点的连线需要 when 条件或设为默认".into(),
                "an edge leaving a condition or inclusive split needs `when` or `default`".into(),
            ),
            Fault::EdgeWhenOutsideCondition { kind } => (
                format!(
                    "只有离开条件节点或包容分支节点的连线才能有 when 或 default（此处为 {kind} 节点）"
                ),
                format!(
                    "only edges leaving a condition or inclusive split may have `when` or `default`; this one leaves a node of kind `{kind}`"
                ),
            ),
            Fault::EdgeActionInvalid { action, kind } => (
                format!("{kind} 节点不能有动作为「{action}」的连线"),
                format!("an edge on `{action}` cannot leave a node of kind `{kind}`"),
            ),
            Fault::AmbiguousEdges { node, action } => (
                format!("节点「{node}」的动作「{action}」有多条出线，无法确定去向"),
                format!(
                    "node `{node}` has several edges for `{action}`, so the way on is ambiguous"
                ),
            ),
            Fault::MissingEdgeAction { node, action } => (
                format!("节点「{node}」缺少动作「{action}」的出线"),
                format!("node `{node}` has no edge for `{action}`"),
            ),
            Fault::SplitWithoutJoin { node, joins } => (
                format!("分支节点「{node}」的各分支没有在同一个汇合节点汇合（汇合于：{joins}）"),
                format!(
                    "the branches of split `{node}` do not meet at one join (they meet at: {joins})"
                ),
            ),
            Fault::JoinWithoutSplit { node } => (
                format!("汇合节点「{node}」没有对应的并行分支节点"),
                format!("parallel join `{node}` is not fed by a split"),
            ),
            Fault::JoinClosesSeveralSplits { node, splits } => (
                format!(
                    "汇合节点「{node}」同时汇合了多个分支节点（{splits}），每个分支节点需要自己的汇合节点"
                ),
                format!(
                    "join `{node}` closes several splits ({splits}); give each split its own join"
                ),
            ),
            Fault::BlocksOverlap { first, second } => (
                format!("分支节点「{first}」与「{second}」的并行区域交叉，必须完全嵌套或互不相交"),
                format!(
                    "the parallel blocks of `{first}` and `{second}` overlap; one must lie wholly inside the other"
                ),
            ),
            Fault::EdgeIntoBranch { split } => (
                format!(
                    "这条连线从外部进入分支节点「{split}」的某个分支中间；只能经由分支节点进入（退回、驳回的连线除外）"
                ),
                format!(
                    "this edge enters a branch of split `{split}` from outside; forward flow may enter only through the split (return and reject edges may)"
                ),
            ),
            Fault::BranchesMerge { node, split } => (
                format!(
                    "分支节点「{split}」的多个分支在汇合节点之前就汇到了节点「{node}」，请先用汇合节点汇合"
                ),
                format!(
                    "several branches of split `{split}` reach node `{node}` before their join; join them first"
                ),
            ),
            Fault::JoinRequiresTooMany {
                node,
                required,
                branches,
            } => (
                format!("汇合节点「{node}」要求 {required} 个分支到达，但只有 {branches} 个分支"),
                format!("join `{node}` requires {required} branches but has only {branches}"),
            ),
            Fault::TimeoutWithoutDeadline { node } => (
                format!("节点「{node}」有超时连线（on: timeout），但没有设置期限"),
                format!("node `{node}` has an `on: timeout` edge but no deadline"),
            ),
            Fault::TimeoutWithEscalation { node } => (
                format!("节点「{node}」有超时连线，期限中就不能再设置超时处理（escalate）"),
                format!(
                    "node `{node}` has an `on: timeout` edge, so its deadline cannot also escalate"
                ),
            ),
            Fault::CycleWithoutHumanStep { nodes } => (
                format!("循环（{nodes}）中没有人工步骤，流程会空转"),
                format!("the loop through {nodes} has no human step, so it would spin"),
            ),
        }
    }

    /// This fault at `pointer`.
    pub(crate) fn at(&self, pointer: impl Into<String>) -> Problem {
        Problem::new(pointer, self.code(), self.texts())
    }
}
