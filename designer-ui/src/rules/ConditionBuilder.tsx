// The condition builder: rows of field · operator · value in and/or groups, writing the
// expression the server runs. An expression it cannot show as rows opens in the expression
// box (the escape hatch), which can always be chosen by hand too. Expressions are checked as
// they are typed through `ExpressionCheckContext`: locally today (syntax and unknown names);
// the server's `check` endpoint can be plugged in there without touching the builder.

import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Flex, Input, InputNumber, Segmented, Select, Typography } from 'antd';
import { createContext, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useLang, useT, type T } from '../i18n/lang';
import { type FieldKind, valueType } from '../model/fieldKinds';
import {
  emptyGroup,
  parseCondition,
  UNARY,
  writeCondition,
  type Group,
  type Literal,
  type Operator,
  type Rule,
} from '../model/condition';
import type { Lang, Text } from '../model/package';
import { textOf } from '../model/package';
import { checkExpression } from '../api/designer';
import { useEditor } from '../state/editor';

/** A field a condition can read. */
export interface FieldRef {
  key: string;
  label: Text;
  kind: FieldKind;
  options?: Array<{ value: string; label: Text }>;
}

export type ExpressionChecker = (expr: string, fields: FieldRef[]) => Promise<string | null>;

const SYSTEM_NAMES = ['id', 'number', 'owner', 'status', 'created_at', 'updated_at', 'submitter', 'now', 'today', 'row', 'true', 'false', 'none', 'and', 'or', 'not', 'in', 'is', 'if', 'else', 'days_between', 'coalesce', 'length', 'lower', 'upper', 'round', 'abs', 'int', 'float', 'default', 'True', 'False', 'None'];

/** The local check: balanced brackets and quotes, and no name that is not a field. */
export const localCheck: ExpressionChecker = async (expr, fields) => {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  if ((code.match(/"/g)?.length ?? 0) % 2) return 'unclosed_string';
  let depth = 0;
  for (const c of code) {
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    if (depth < 0) return 'unbalanced';
  }
  if (depth) return 'unbalanced';
  const known = new Set([...fields.map((f) => f.key), ...SYSTEM_NAMES]);
  const names = [...code.matchAll(/(?<![.\w|])([A-Za-z_][A-Za-z0-9_]*)(?!\s*\()/g)].map((m) => m[1]);
  const unknown = names.filter((n) => !known.has(n));
  return unknown.length ? `unknown:${[...new Set(unknown)].join(',')}` : null;
};

export const ExpressionCheckContext = createContext<ExpressionChecker>(localCheck);

/** The form whose fields the expression being edited reads: the open form, or the open
 * process's form. */
function formInEditor(): string | undefined {
  const s = useEditor.getState();
  if (s.tab === 'flow') return s.present?.processes?.find((p) => p.id === s.processId)?.form;
  return s.formId ?? undefined;
}

/** The server's check after the local one: the real parser's syntax errors and unknown names,
 * in the server's words. Names the local list knows (fields added since the last save) pass. */
export const serverCheck = (app: string): ExpressionChecker => async (expr, fields) => {
  const local = await localCheck(expr, fields);
  if (local) return local;
  try {
    const problems = await checkExpression(app, expr, formInEditor());
    const known = new Set(fields.map((f) => f.key));
    const named = (m: string) => /「([^」]+)」|`([^`]+)`/.exec(m)?.slice(1).find(Boolean);
    const real = problems.filter((p) => !(p.code === 'unknown_variable' && known.has(named(p.message) ?? '')));
    return real.length ? real.map((p) => p.message).join('；') : null;
  } catch {
    // Offline or the draft is gone: the local check stands.
    return null;
  }
};

function checkMessage(code: string, t: T): string {
  if (code === 'unclosed_string') return t('引号没有闭合', 'A quote is not closed');
  if (code === 'unbalanced') return t('括号不成对', 'Brackets do not pair up');
  if (code.startsWith('unknown:')) return t(`未知字段：${code.slice(8)}`, `Unknown field: ${code.slice(8)}`);
  return code;
}

function operatorsFor(kind: FieldKind | undefined): Operator[] {
  switch (kind && valueType(kind)) {
    case 'number':
      return ['==', '!=', '>', '>=', '<', '<=', 'empty', 'not_empty'];
    case 'boolean':
      return ['==', '!='];
    case 'list':
      return ['contains', 'empty', 'not_empty'];
    default:
      if (kind === 'date' || kind === 'datetime') return ['==', '!=', '>', '>=', '<', '<=', 'empty', 'not_empty'];
      if (kind === 'select' || kind === 'radio' || kind === 'user' || kind === 'department') return ['==', '!=', 'in', 'not_in', 'empty', 'not_empty'];
      return ['==', '!=', 'contains', 'in', 'not_in', 'empty', 'not_empty'];
  }
}

export function operatorLabel(op: Operator, t: T): string {
  const labels: Record<Operator, [string, string]> = {
    '==': ['等于', 'equals'],
    '!=': ['不等于', 'is not'],
    '>': ['大于', 'greater than'],
    '>=': ['大于等于', 'at least'],
    '<': ['小于', 'less than'],
    '<=': ['小于等于', 'at most'],
    in: ['属于', 'is one of'],
    not_in: ['不属于', 'is none of'],
    contains: ['包含', 'contains'],
    empty: ['为空', 'is empty'],
    not_empty: ['不为空', 'is not empty'],
  };
  return t(...labels[op]);
}

/** The words of a condition, for edge labels and summaries: `预计金额 大于 100000 且 区域 等于 华东`. */
export function describeCondition(expr: string | undefined, fields: FieldRef[], lang: Lang, t: T): string {
  const tree = parseCondition(expr);
  if (!tree) return expr ?? '';
  const label = (k: string) => textOf(fields.find((f) => f.key === k)?.label, lang) || k;
  const value = (r: Rule): string => {
    if (!r.value) return '';
    if (r.value.kind === 'field') return label(r.value.field);
    const show = (v: Literal) => {
      const opt = fields.find((f) => f.key === r.field)?.options?.find((o) => o.value === v);
      return opt ? textOf(opt.label, lang) : typeof v === 'boolean' ? (v ? t('是', 'yes') : t('否', 'no')) : String(v);
    };
    return Array.isArray(r.value.value) ? r.value.value.map(show).join('、') : show(r.value.value);
  };
  const walk = (n: Rule | Group, nested: boolean): string => {
    if (n.type === 'rule') return `${label(n.field)} ${operatorLabel(n.op, t)}${UNARY.includes(n.op) ? '' : ` ${value(n)}`}`;
    const parts = n.children.map((c) => walk(c, true));
    const text = parts.join(n.combinator === 'and' ? t(' 且 ', ' and ') : t(' 或 ', ' or '));
    return nested && parts.length > 1 ? `（${text}）` : text;
  };
  return walk(tree, false);
}

/** A row is written out only once it is complete. */
function complete(node: Rule | Group): Rule | Group | null {
  if (node.type === 'rule') {
    if (!node.field) return null;
    if (UNARY.includes(node.op)) return node;
    const v = node.value;
    if (!v) return null;
    if (v.kind === 'field') return v.field ? node : null;
    if (Array.isArray(v.value) ? v.value.length === 0 : v.value === '' || v.value === undefined) return null;
    return node;
  }
  const children = node.children.map(complete).filter((c): c is Rule | Group => c !== null);
  return { ...node, children };
}

function ValueInput({ rule, field, fields, onChange }: { rule: Rule; field?: FieldRef; fields: FieldRef[]; onChange: (r: Rule) => void }) {
  const t = useT();
  const lang = useLang();
  if (UNARY.includes(rule.op)) return null;
  const isField = rule.value?.kind === 'field';
  const vt = field ? valueType(field.kind) : 'string';
  const raw = rule.value?.kind === 'value' ? rule.value.value : undefined;
  const set = (value: Literal | Literal[]) => onChange({ ...rule, value: { kind: 'value', value } });
  let input;
  if (isField) {
    input = (
      <Select
        size="small"
        className="cb-value"
        aria-label={t('比较的字段', 'Field to compare with')}
        value={rule.value?.kind === 'field' ? rule.value.field || undefined : undefined}
        placeholder={t('选择字段', 'Field')}
        onChange={(f: string) => onChange({ ...rule, value: { kind: 'field', field: f } })}
        options={fields.filter((f) => f.key !== rule.field).map((f) => ({ value: f.key, label: textOf(f.label, lang) }))}
      />
    );
  } else if (field?.options && (rule.op === 'in' || rule.op === 'not_in' || rule.op === '==' || rule.op === '!=' || rule.op === 'contains')) {
    const multiple = rule.op === 'in' || rule.op === 'not_in';
    input = (
      <Select
        size="small"
        className="cb-value"
        aria-label={t('值', 'Value')}
        mode={multiple ? 'multiple' : undefined}
        value={multiple ? (Array.isArray(raw) ? raw.map(String) : []) : (raw as string | undefined)}
        placeholder={t('选择', 'Choose')}
        onChange={(v: string | string[]) => set(v)}
        options={field.options.map((o) => ({ value: o.value, label: textOf(o.label, lang) || o.value }))}
      />
    );
  } else if (vt === 'boolean') {
    input = (
      <Select size="small" className="cb-value" aria-label={t('值', 'Value')} value={raw as boolean | undefined} onChange={(v: boolean) => set(v)}
        options={[{ value: true, label: t('是', 'Yes') }, { value: false, label: t('否', 'No') }]} />
    );
  } else if (vt === 'number' && !(rule.op === 'in' || rule.op === 'not_in')) {
    input = (
      <InputNumber size="small" className="cb-value" aria-label={t('值', 'Value')} value={typeof raw === 'number' ? raw : null}
        onChange={(v) => set(v === null ? '' : Number(v))} placeholder={t('数值', 'Number')} />
    );
  } else if (rule.op === 'in' || rule.op === 'not_in') {
    input = (
      <Select size="small" className="cb-value" mode="tags" aria-label={t('值', 'Value')} value={Array.isArray(raw) ? raw.map(String) : []}
        onChange={(v: string[]) => set(vt === 'number' ? v.map(Number).filter((n) => !Number.isNaN(n)) : v)} placeholder={t('输入后回车', 'Type, then Enter')} open={false} />
    );
  } else {
    input = (
      <Input size="small" className="cb-value" aria-label={t('值', 'Value')} value={raw === undefined ? '' : String(raw)}
        placeholder={field?.kind === 'date' ? 'YYYY-MM-DD' : t('值', 'Value')} onChange={(e) => set(e.target.value)} />
    );
  }
  return (
    <>
      <Select
        size="small"
        className="cb-source"
        aria-label={t('值或字段', 'Value or field')}
        value={isField ? 'field' : 'value'}
        onChange={(v) => onChange({ ...rule, value: v === 'field' ? { kind: 'field', field: '' } : undefined })}
        options={[{ value: 'value', label: t('值', 'value') }, { value: 'field', label: t('字段', 'field') }]}
        popupMatchSelectWidth={false}
      />
      {input}
    </>
  );
}

function GroupEditor({ group, fields, onChange, onRemove, depth }: { group: Group; fields: FieldRef[]; onChange: (g: Group) => void; onRemove?: () => void; depth: number }) {
  const t = useT();
  const lang = useLang();
  const setChild = (i: number, c: Rule | Group) => onChange({ ...group, children: group.children.map((x, j) => (j === i ? c : x)) });
  const removeChild = (i: number) => onChange({ ...group, children: group.children.filter((_, j) => j !== i) });
  return (
    <div className={`cb-group depth-${depth}`}>
      <Flex gap={6} align="center" className="cb-group-head">
        <Segmented
          size="small"
          value={group.combinator}
          onChange={(v) => onChange({ ...group, combinator: v as 'and' | 'or' })}
          options={[{ value: 'and', label: t('全部满足（且）', 'All (and)') }, { value: 'or', label: t('任一满足（或）', 'Any (or)') }]}
        />
        {onRemove && <Button size="small" type="text" icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('删除条件组', 'Remove group')} />}
      </Flex>
      {group.children.map((child, i) =>
        child.type === 'group' ? (
          <GroupEditor key={i} group={child} fields={fields} depth={depth + 1} onChange={(g) => setChild(i, g)} onRemove={() => removeChild(i)} />
        ) : (
          <Flex key={i} gap={4} wrap align="center" className="cb-row">
            <Select
              size="small"
              className="cb-field"
              showSearch
              optionFilterProp="label"
              aria-label={t('字段', 'Field')}
              placeholder={t('选择字段', 'Field')}
              value={child.field || undefined}
              onChange={(f: string) => {
                const ops = operatorsFor(fields.find((x) => x.key === f)?.kind);
                setChild(i, { type: 'rule', field: f, op: ops.includes(child.op) ? child.op : ops[0] });
              }}
              options={fields.map((f) => ({ value: f.key, label: textOf(f.label, lang) || f.key }))}
            />
            <Select
              size="small"
              className="cb-op"
              aria-label={t('比较方式', 'Operator')}
              value={child.op}
              popupMatchSelectWidth={false}
              onChange={(op: Operator) => setChild(i, { ...child, op, value: UNARY.includes(op) ? undefined : child.value })}
              options={operatorsFor(fields.find((x) => x.key === child.field)?.kind).map((op) => ({ value: op, label: operatorLabel(op, t) }))}
            />
            <ValueInput rule={child} field={fields.find((x) => x.key === child.field)} fields={fields} onChange={(r) => setChild(i, r)} />
            <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => removeChild(i)} aria-label={t('删除条件', 'Remove condition')} />
          </Flex>
        ),
      )}
      <Flex gap={4}>
        <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => onChange({ ...group, children: [...group.children, { type: 'rule', field: '', op: '==' }] })}>
          {t('添加条件', 'Add condition')}
        </Button>
        {depth < 2 && (
          <Button size="small" type="dashed" onClick={() => onChange({ ...group, children: [...group.children, emptyGroup(group.combinator === 'and' ? 'or' : 'and')] })}>
            {t('添加条件组', 'Add group')}
          </Button>
        )}
      </Flex>
    </div>
  );
}

/** Edits an expression with the builder (when it fits) or as text. `undefined` means no condition. */
export function ConditionBuilder({
  value,
  onChange,
  fields,
  placeholder,
  id,
}: {
  value: string | undefined;
  onChange: (expr: string | undefined) => void;
  fields: FieldRef[];
  placeholder?: string;
  id?: string;
}) {
  const t = useT();
  const check = useContext(ExpressionCheckContext);
  const parsed = useMemo(() => parseCondition(value), [value]);
  const [tree, setTree] = useState<Group>(parsed ?? emptyGroup());
  const [textMode, setTextMode] = useState(parsed === null);
  const [text, setText] = useState(value ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const lastWritten = useRef(value);

  // An outside change (undo, another panel) replaces what is shown; our own writes do not.
  useEffect(() => {
    if (value === lastWritten.current) return;
    lastWritten.current = value;
    setText(value ?? '');
    const p = parseCondition(value);
    if (p) setTree(p);
    else setTextMode(true);
  }, [value]);

  useEffect(() => {
    let live = true;
    const expr = (textMode ? text : value ?? '').trim();
    if (!expr) {
      setProblem(null);
      return;
    }
    const timer = window.setTimeout(() => {
      void check(expr, fields).then((p) => live && setProblem(p));
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [text, value, textMode, fields, check]);

  const write = (expr: string) => {
    const next = expr.trim() ? expr : undefined;
    lastWritten.current = next;
    onChange(next);
  };

  const canUseBuilder = parseCondition(text) !== null;
  return (
    <div className="condition-builder" id={id}>
      <Flex justify="space-between" align="center" className="cb-mode">
        <Segmented
          size="small"
          value={textMode ? 'text' : 'builder'}
          onChange={(m) => {
            if (m === 'builder') {
              const p = parseCondition(text);
              if (p) {
                setTree(p);
                setTextMode(false);
              }
            } else {
              setText(value ?? '');
              setTextMode(true);
            }
          }}
          options={[
            { value: 'builder', label: t('条件', 'Builder'), disabled: textMode && !canUseBuilder },
            { value: 'text', label: t('表达式', 'Expression') },
          ]}
        />
        {value && (
          <Button size="small" type="link" onClick={() => { setTree(emptyGroup()); setText(''); write(''); }}>
            {t('清除', 'Clear')}
          </Button>
        )}
      </Flex>
      {textMode ? (
        <>
          <Input.TextArea
            className="mono"
            aria-label={t('表达式', 'Expression')}
            autoSize={{ minRows: 1, maxRows: 6 }}
            value={text}
            placeholder={placeholder ?? 'amount > 100000 and region == "华东"'}
            status={problem ? 'warning' : undefined}
            onChange={(e) => {
              setText(e.target.value);
              write(e.target.value);
            }}
          />
          {!canUseBuilder && text.trim() && (
            <Typography.Text type="secondary" className="small">
              {t('此表达式超出条件构建器的范围，请直接编辑。', 'This expression is beyond the builder; edit it here.')}
            </Typography.Text>
          )}
        </>
      ) : (
        <GroupEditor
          group={tree}
          fields={fields}
          depth={0}
          onChange={(g) => {
            setTree(g);
            const done = complete(g);
            const expr = done ? writeCondition(done) : '';
            setText(expr);
            write(expr);
          }}
        />
      )}
      {problem && (
        <Typography.Text type="warning" className="small" role="alert">
          {checkMessage(problem, t)}
        </Typography.Text>
      )}
    </div>
  );
}
