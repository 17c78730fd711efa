// The app package as the designer edits it: the stored JSON format of
// crates/formwork-model/src/def.rs and schemas/app-package.schema.json (format formwork/app@1).
// These are domain types, not HTTP types: the API carries the package as an opaque object.

export type Lang = 'zh-CN' | 'en';

/** A text an analyst writes, keyed by language; zh-CN is required by the schema. */
export type Text = { 'zh-CN': string; en?: string; [lang: string]: string | undefined };

export type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  $defs?: Record<string, JsonSchema>;
};

export interface AppPackage {
  format: 'formwork/app@1';
  id: string;
  name: Text;
  description?: Text;
  roles?: RoleDef[];
  forms?: FormDef[];
  processes?: ProcessDef[];
  reports?: unknown[];
  dashboards?: unknown[];
  rules?: unknown[];
}

export interface RoleDef {
  id: string;
  name: Text;
}

/** A titled group of fields laid out in one or two columns (designer extension, `ui.sections`). */
export interface SectionDef {
  id: string;
  title: Text;
  columns?: 1 | 2;
  fields: string[];
}

export interface FormDef {
  id: string;
  name: Text;
  schema: JsonSchema;
  ui?: UiDef;
  checks?: CheckDef[];
  numbering?: { pattern: string };
  permissions?: FormPermissions;
  /** What the record's results mean once its process ended (locked fields, 变更). */
  after_approval?: AfterApprovalDef;
}

/** Fields that stay editable after approval (by `owner` or role ids), and how the others change. */
export interface AfterApprovalDef {
  editable?: Record<string, string[]>;
  changes?: 'locked' | 'change_request';
}

/** The record's owner in `after_approval.editable`. */
export const OWNER = 'owner';

/** The field a customer-scoped role's rows are matched on (the runtime's fixed key). */
export const CUSTOMER_FIELD = 'customer';

export interface UiDef {
  order?: string[];
  sections?: SectionDef[];
  fields?: Record<string, FieldUiDef>;
}

export type Widget =
  | 'text'
  | 'textarea'
  | 'number'
  | 'money'
  | 'date'
  | 'datetime'
  | 'select'
  | 'radio'
  | 'checkbox'
  | 'multiselect'
  | 'switch'
  | 'email'
  | 'phone'
  | 'user'
  | 'department'
  | 'file'
  | 'subtable';

export interface FieldUiDef {
  label: Text;
  help?: Text;
  widget?: Widget;
  options?: Record<string, Text>;
  visible_when?: string;
  required_when?: string;
  readonly_when?: string;
  default?: string;
  compute?: string;
  messages?: Record<string, Text>;
  /** Sub-table columns' presentation. */
  fields?: Record<string, FieldUiDef>;
  /** Sub-table column order (designer extension). */
  order?: string[];
}

export interface CheckDef {
  id: string;
  check: string;
  path: string;
  message: Text;
}

export const PERMISSION_LISTS = [
  'create',
  'read_own',
  'read_department',
  'read_all',
  'edit_own',
  'edit_all',
  'read_customer',
] as const;
export type PermissionList = (typeof PERMISSION_LISTS)[number];
/** Who reads and writes one field; `undefined`: whoever reads / edits the record. */
export interface FieldPermissionDef {
  read?: string[];
  write?: string[];
}
/** `read_customer`: roles whose rows are those of the customer their account is linked to. */
export type FormPermissions = Partial<Record<PermissionList, string[]>> & {
  /** Per-field read/write roles, by field key. */
  fields?: Record<string, FieldPermissionDef>;
};

export interface Position {
  x: number;
  y: number;
}

export interface ProcessDef {
  id: string;
  name: Text;
  form: string;
  nodes: NodeDef[];
  edges: EdgeDef[];
  /** Node positions on the canvas, by node id (designer extension). */
  layout?: Record<string, Position>;
  /** Fields the approvers' inbox shows as columns for this process, in order. */
  inbox_columns?: string[];
  /** Flow test cases: sample submissions and the approvers each must reach. */
  tests?: FlowTestDef[];
}

export interface FlowTestDef {
  id: string;
  name?: Text;
  /** The submitter's username. */
  submitter: string;
  /** The sample record (fields of the process's form; may be partial). */
  data: Record<string, unknown>;
  /** The usernames each human step should reach, step by step. */
  expect: string[][];
}

export type Outcome = 'approved' | 'rejected' | 'withdrawn' | 'completed';
export type ApprovalMode = 'single' | 'all' | 'any' | 'sequential' | 'vote';
export type FieldAccess = 'visible' | 'editable' | 'hidden';

export type AssigneeDef =
  | { type: 'user'; username: string }
  | { type: 'role'; role: string }
  | { type: 'department_head'; levels?: number }
  | { type: 'submitter' }
  | { type: 'field'; field: string }
  | { type: 'table'; rows: RouteRowDef[] }
  | { type: 'expression'; expr: string };

export interface RouteRowDef {
  when?: string;
  assignee: AssigneeDef;
}

export type FallbackDef = { type: 'stop' } | { type: 'skip' } | { type: 'user'; username: string };

export type Escalation =
  | { type: 'notify_head' }
  | { type: 'reassign'; username: string }
  | { type: 'auto_approve' }
  | { type: 'auto_reject' };

export interface DeadlineDef {
  hours?: number;
  until_field?: string;
  remind_before_hours?: number;
  escalate?: Escalation;
}

interface NodeBase {
  id: string;
  name?: Text;
}

export type NodeDef = NodeBase &
  (
    | { kind: 'start' }
    | { kind: 'end'; outcome: Outcome }
    | {
        kind: 'approval';
        assignee: AssigneeDef;
        mode?: ApprovalMode;
        ratio?: number;
        fallback?: FallbackDef;
        auto_approve_repeat?: boolean;
        fields?: Record<string, FieldAccess>;
        deadline?: DeadlineDef;
        /** 驳回 and 退回 may go without a reason at this step. */
        reason_optional?: boolean;
      }
    | {
        kind: 'fill';
        assignee: AssigneeDef;
        fields?: Record<string, FieldAccess>;
        deadline?: DeadlineDef;
      }
    | { kind: 'cc'; assignee: AssigneeDef }
    | { kind: 'condition' }
    | { kind: 'parallel_split' }
    | { kind: 'parallel_join' }
    | { kind: 'action'; set?: Record<string, string> }
    | { kind: 'wait'; hours?: number; until_field?: string }
  );

export type NodeKind = NodeDef['kind'];
export type ApprovalNode = Extract<NodeDef, { kind: 'approval' }>;
export type HumanNode = Extract<NodeDef, { kind: 'approval' | 'fill' }>;

export type EdgeAction = 'approve' | 'reject' | 'return' | 'submit' | 'withdraw';

export interface EdgeDef {
  from: string;
  to: string;
  when?: string;
  default?: boolean;
  on?: EdgeAction;
}

export const PACKAGE_FORMAT = 'formwork/app@1';

/** The text in `lang`, falling back to zh-CN, then to any language present (as the server does). */
export function textOf(text: Partial<Text> | undefined, lang: Lang): string {
  if (!text) return '';
  return text[lang] || text['zh-CN'] || Object.values(text).find(Boolean) || '';
}

/** A blank package with no forms yet. */
export function blankPackage(id: string, name: Text): AppPackage {
  return { format: PACKAGE_FORMAT, id, name, roles: [], forms: [], processes: [] };
}
