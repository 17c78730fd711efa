// The property panel of one field (or of one sub-table column): label, key, help, required,
// default, validation, options, relation, formula and the visible / required / read-only rules.

import { LockOutlined } from '@ant-design/icons';
import { Alert, Collapse, Input, InputNumber, Segmented, Select, Switch, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { TextPair } from '../components/TextPair';
import { useLang, useT } from '../i18n/lang';
import { KINDS, hasOptions, kindSpec, valueType, type FieldKind } from '../model/fieldKinds';
import { columnOrder, fieldKind, renameColumn, renameField } from '../model/form';
import { KEY_PATTERN, RESERVED_KEYS, keyFromLabel } from '../model/keys';
import { textOf, type AppPackage, type FieldUiDef, type FormDef, type JsonSchema, type Text } from '../model/package';
import { ConditionBuilder } from '../rules/ConditionBuilder';
import { isLocked, useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';
import { FieldAccessEditor } from './FieldAccessEditor';
import { fieldRefs } from './fieldRefs';
import { FieldValidation, type Patch } from './FieldValidation';
import { OptionsEditor, readOptions, writeOptions } from './OptionsEditor';

interface Target {
  form: FormDef;
  schema: JsonSchema;
  ui: FieldUiDef;
}

/** The field (or column) inside a draft package, with its UI entry created when missing. */
function locate(d: AppPackage, formId: string, key: string, column?: string): Target | null {
  const form = d.forms?.find((f) => f.id === formId);
  const top = form?.schema.properties?.[key];
  if (!form || !top) return null;
  form.ui ??= {};
  form.ui.fields ??= {};
  const topUi = (form.ui.fields[key] ??= { label: { 'zh-CN': key } });
  if (!column) return { form, schema: top, ui: topUi };
  const schema = top.items?.properties?.[column];
  if (!schema) return null;
  topUi.fields ??= {};
  return { form, schema, ui: (topUi.fields[column] ??= { label: { 'zh-CN': column } }) };
}

/** A literal default value as an expression (`"华东"`, `0`, `true`), and back. */
function literalOf(expr: string | undefined): string | number | boolean | undefined {
  if (expr === undefined) return undefined;
  if (/^-?\d+(\.\d+)?$/.test(expr)) return Number(expr);
  if (expr === 'true' || expr === 'false') return expr === 'true';
  if (/^"(?:[^"\\]|\\.)*"$/.test(expr)) {
    try {
      return JSON.parse(expr) as string;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function DefaultValue({ kind, ui, options, patch }: { kind: FieldKind; ui: FieldUiDef; options: Array<{ value: string; label: Text }>; patch: Patch }) {
  const t = useT();
  const lang = useLang();
  const literal = literalOf(ui.default);
  const [mode, setMode] = useState<'value' | 'expr'>(ui.default !== undefined && literal === undefined ? 'expr' : 'value');
  const write = (expr: string | undefined) => patch((_, u) => {
    if (expr === undefined || expr === '' || expr === '""') delete u.default;
    else u.default = expr;
  }, 'default');
  const vt = valueType(kind);
  let input;
  if (mode === 'expr') {
    input = <Input size="small" className="mono" aria-label={t('默认值表达式', 'Default expression')} value={ui.default ?? ''} placeholder="today" onChange={(e) => write(e.target.value)} />;
  } else if (hasOptions(kind) && kind !== 'multi_select') {
    input = <Select size="small" allowClear aria-label={t('默认值', 'Default')} value={literal as string | undefined} onChange={(v?: string) => write(v === undefined ? undefined : JSON.stringify(v))}
      options={options.map((o) => ({ value: o.value, label: textOf(o.label, lang) }))} />;
  } else if (vt === 'boolean') {
    input = <Switch size="small" aria-label={t('默认值', 'Default')} checked={literal === true} onChange={(v) => write(v ? 'true' : undefined)} />;
  } else if (vt === 'number') {
    input = <InputNumber size="small" aria-label={t('默认值', 'Default')} value={typeof literal === 'number' ? literal : null} onChange={(v) => write(v === null ? undefined : String(v))} />;
  } else if (kind === 'multi_select' || kind === 'attachments' || kind === 'sub_table' || kind === 'auto_number') {
    return null;
  } else {
    input = <Input size="small" aria-label={t('默认值', 'Default')} value={typeof literal === 'string' ? literal : ''} onChange={(e) => write(e.target.value ? JSON.stringify(e.target.value) : undefined)} />;
  }
  return (
    <div className="prop-block">
      <div className="prop-label">
        {t('默认值', 'Default value')}
        <Segmented size="small" value={mode} onChange={(m) => setMode(m as 'value' | 'expr')}
          options={[{ value: 'value', label: t('固定值', 'Value') }, { value: 'expr', label: t('公式', 'Formula') }]} />
      </div>
      {input}
    </div>
  );
}

/** Fields a relation fills from the chosen record (`x-formwork-fills`: local ← theirs). */
function RelationFills({ form, schema, patch }: { form: FormDef; schema: JsonSchema; patch: Patch }) {
  const t = useT();
  const lang = useLang();
  const target = useEditor((s) => s.present?.forms?.find((f) => f.id === schema['x-formwork-form']));
  if (!target) return null;
  const fills = (schema['x-formwork-fills'] as Record<string, string> | undefined) ?? {};
  const theirs = fieldRefs(target).map((f) => ({ value: f.key, label: textOf(f.label, lang) }));
  return (
    <div className="prop-block">
      <div className="prop-label small">{t('选中记录后带出', 'Copy from the chosen record')}</div>
      {fieldRefs(form).filter((f) => f.kind !== 'relation').map((f) => (
        <label key={f.key} className="prop-inline">
          <span>{textOf(f.label, lang)} ←</span>
          <Select size="small" allowClear style={{ width: 150 }} placeholder={t('不带出', 'Not copied')} value={fills[f.key]} options={theirs}
            aria-label={t(`${textOf(f.label, lang)} 带出自`, `${textOf(f.label, lang)} from`)}
            onChange={(v?: string) => patch((s) => {
              const next = { ...((s['x-formwork-fills'] as Record<string, string> | undefined) ?? {}) };
              if (v) next[f.key] = v;
              else delete next[f.key];
              if (Object.keys(next).length) s['x-formwork-fills'] = next;
              else delete s['x-formwork-fills'];
            })} />
        </label>
      ))}
    </div>
  );
}

function KeyField({ form, fieldKey, column }: { form: FormDef; fieldKey: string; column?: string }) {
  const t = useT();
  const current = column ?? fieldKey;
  const [draft, setDraft] = useState(current);
  useEffect(() => setDraft(current), [current]);
  const locked = column ? isLocked(`columns:${form.id}:${fieldKey}`, column) : isLocked(`form:${form.id}`, fieldKey);
  const siblings = column ? columnOrder(form, fieldKey) : Object.keys(form.schema.properties ?? {});
  const error = draft === current ? null
    : !KEY_PATTERN.test(draft) ? t('小写字母开头，只能含小写字母、数字和 _', 'Lower-case letter first; letters, digits and _ only')
    : RESERVED_KEYS.has(draft) ? t('这是保留字，请换一个', 'This word is reserved')
    : siblings.includes(draft) ? t('已有同名字段', 'Another field has this key') : null;
  const commit = () => {
    if (error || draft === current) return setDraft(current);
    useEditor.getState().edit((d) => {
      const f = d.forms?.find((x) => x.id === form.id);
      if (!f) return;
      if (column) renameColumn(f, fieldKey, column, draft);
      else renameField(d, form.id, fieldKey, draft);
    });
    useEditor.getState().select({ type: 'field', form: form.id, key: column ? fieldKey : draft, column: column ? draft : undefined });
  };
  return (
    <div className="prop-block">
      <div className="prop-label">
        {t('字段标识', 'Key')}
        {locked && <Tooltip title={t('已发布的字段标识不可修改：已有记录、报表和接口在使用它', 'Published keys cannot change: records, reports and the API use them')}><Tag icon={<LockOutlined />}>{t('已锁定', 'Locked')}</Tag></Tooltip>}
      </div>
      <Input size="small" className="mono" aria-label={t('字段标识', 'Key')} value={draft} disabled={locked} status={error ? 'error' : undefined}
        onChange={(e) => setDraft(e.target.value)} onBlur={commit} onPressEnter={commit} />
      {error && <Typography.Text type="danger" className="small">{error}</Typography.Text>}
      {!locked && <Typography.Text type="secondary" className="small">{t('随标题自动生成；首次发布后锁定。', 'Follows the label; locked after the first publish.')}</Typography.Text>}
    </div>
  );
}

export function FieldPanel({ form, fieldKey, column }: { form: FormDef; fieldKey: string; column?: string }) {
  const t = useT();
  const lang = useLang();
  const problems = useProblemIndex().get(column ? `column:${form.id}:${fieldKey}:${column}` : `field:${form.id}:${fieldKey}`);
  const schema = column ? form.schema.properties?.[fieldKey]?.items?.properties?.[column] : form.schema.properties?.[fieldKey];
  if (!schema) return null;
  const ui: FieldUiDef = (column ? form.ui?.fields?.[fieldKey]?.fields?.[column] : form.ui?.fields?.[fieldKey]) ?? { label: { 'zh-CN': column ?? fieldKey } };
  const kind = fieldKind(form, fieldKey, column);
  const scope = `${form.id}:${fieldKey}:${column ?? ''}`;
  const patch: Patch = (fn, coalesce) =>
    useEditor.getState().edit((d) => {
      const target = locate(d, form.id, fieldKey, column);
      if (target) fn(target.schema, target.ui);
    }, coalesce ? `${scope}:${coalesce}` : undefined);
  const required = column ? (form.schema.properties?.[fieldKey]?.items?.required ?? []).includes(column) : (form.schema.required ?? []).includes(fieldKey);
  const setRequired = (on: boolean) =>
    useEditor.getState().edit((d) => {
      const f = d.forms?.find((x) => x.id === form.id);
      const holder = column ? f?.schema.properties?.[fieldKey]?.items : f?.schema;
      if (!holder) return;
      const list = (holder.required ?? []).filter((k) => k !== (column ?? fieldKey));
      if (on) list.push(column ?? fieldKey);
      holder.required = list;
    });

  /** The label; the key follows it while it is still the generated one and unpublished. */
  const setLabel = (label: Text | undefined) => {
    const next: Text = { ...(label ?? { 'zh-CN': '' }) };
    // A palette field's English label ("Text") stops fitting once the Chinese one is written.
    if (next.en && next['zh-CN'] !== ui.label['zh-CN'] && KINDS.some((k) => k.label.en === next.en)) delete next.en;
    const current = column ?? fieldKey;
    const siblings = (column ? columnOrder(form, fieldKey) : Object.keys(form.schema.properties ?? {})).filter((k) => k !== current);
    const locked = column ? isLocked(`columns:${form.id}:${fieldKey}`, column) : isLocked(`form:${form.id}`, fieldKey);
    const generated = current === keyFromLabel(ui.label['zh-CN'], siblings) || /^field(_\d+)?$/.test(current);
    const newKey = !locked && generated && next['zh-CN'] ? keyFromLabel(next['zh-CN'], siblings) : current;
    useEditor.getState().edit((d) => {
      const target = locate(d, form.id, fieldKey, column);
      if (!target) return;
      target.ui.label = next;
      if (newKey !== current) {
        if (column) renameColumn(target.form, fieldKey, column, newKey);
        else renameField(d, form.id, fieldKey, newKey);
      }
    }, `${form.id}:label`);
    if (newKey !== current) useEditor.getState().select({ type: 'field', form: form.id, key: column ? fieldKey : newKey, column: column ? newKey : undefined });
  };

  const refs = fieldRefs(form, column ? fieldKey : undefined);
  const options = hasOptions(kind) ? readOptions(schema, ui) : [];
  const otherForms = (useEditor.getState().present?.forms ?? []).filter((f) => f.id !== form.id);
  const rule = (name: 'visible_when' | 'required_when' | 'readonly_when') => (
    <ConditionBuilder
      id={`rule-${name}`}
      value={ui[name]}
      fields={refs.filter((f) => f.key !== (column ?? fieldKey))}
      onChange={(expr) => patch((_, u) => {
        if (expr) u[name] = expr;
        else delete u[name];
      }, name)}
    />
  );

  return (
    <div className="prop-panel" aria-label={t('字段属性', 'Field properties')}>
      <div className="panel-title">
        <Typography.Text strong>{column ? t('子表单列', 'Sub-table column') : t('字段属性', 'Field')}</Typography.Text>
        <Tag variant="filled">{textOf(kindSpec(kind)?.label, lang) || kind}</Tag>
      </div>
      {problems && <Alert type="error" showIcon className="panel-alert" message={problems.map((p) => p.message).join('；')} />}
      <div className="prop-block">
        <div className="prop-label">{t('标题', 'Label')}</div>
        <TextPair idPrefix="field-label" value={ui.label} onChange={setLabel} />
      </div>
      <KeyField form={form} fieldKey={fieldKey} column={column} />
      <div className="prop-block">
        <div className="prop-label">{t('提示文字', 'Help text')}</div>
        <TextPair idPrefix="field-help" required={false} multiline value={ui.help} onChange={(h) => patch((_, u) => {
          if (h) u.help = h;
          else delete u.help;
        }, 'help')} />
      </div>
      {kind !== 'auto_number' && (
        <label className="prop-inline">
          <span>{t('必填', 'Required')}</span>
          <Switch size="small" checked={required} onChange={setRequired} aria-label={t('必填', 'Required')} />
        </label>
      )}
      <DefaultValue key={`${scope}`} kind={kind} ui={ui} options={options} patch={patch} />
      <Collapse
        size="small"
        className="prop-collapse"
        defaultActiveKey={['validation', 'options']}
        items={[
          ...(hasOptions(kind) ? [{
            key: 'options',
            label: t('选项', 'Options'),
            children: <OptionsEditor rows={options} onChange={(rows, c) => patch((s, u) => writeOptions(s, u, rows), c)} />,
          }] : []),
          ...(kind === 'relation' ? [{
            key: 'relation',
            label: t('关联表单', 'Related form'),
            children: (
              <>
              <Select
                size="small"
                style={{ width: '100%' }}
                aria-label={t('关联表单', 'Related form')}
                placeholder={t('选择要关联的表单', 'Choose the form to link to')}
                value={(schema['x-formwork-form'] as string) || undefined}
                onChange={(v: string) => patch((s) => { s['x-formwork-form'] = v; })}
                options={otherForms.map((f) => ({ value: f.id, label: textOf(f.name, lang) }))}
                notFoundContent={t('应用里还没有其他表单', 'No other form in this app')}
              />
              <RelationFills form={form} schema={schema} patch={patch} />
              </>
            ),
          }] : []),
          {
            key: 'validation',
            label: t('校验', 'Validation'),
            children: <FieldValidation kind={kind} schema={schema} ui={ui} patch={patch} />,
          },
          ...(kind !== 'sub_table' && kind !== 'attachments' ? [{
            key: 'compute',
            label: t('计算公式', 'Formula'),
            children: (
              <>
                <Input.TextArea
                  className="mono"
                  autoSize={{ minRows: 1, maxRows: 4 }}
                  aria-label={t('计算公式', 'Formula')}
                  placeholder={t('例如 amount * 0.06；填写后字段只读，由公式计算', 'e.g. amount * 0.06; the field becomes read-only and computed')}
                  value={ui.compute ?? ''}
                  onChange={(e) => patch((_, u) => {
                    if (e.target.value) u.compute = e.target.value;
                    else delete u.compute;
                  }, 'compute')}
                />
                <Typography.Text type="secondary" className="small">
                  {t('可用字段：', 'Fields: ')}{refs.map((r) => r.key).join(', ')}
                </Typography.Text>
              </>
            ),
          }] : []),
          ...(!column && (form.checks ?? []).some((c) => c.path === `/${fieldKey}`) ? [{
            key: 'checks',
            label: t('跨字段校验', 'Cross-field checks'),
            children: (
              <>
                {(form.checks ?? []).filter((c) => c.path === `/${fieldKey}`).map((c) => (
                  <Typography.Text key={c.id} className="small"><span className="mono muted">{c.check}</span> → {textOf(c.message, lang)}</Typography.Text>
                ))}
                <Typography.Link className="small" onClick={() => useEditor.getState().select({ type: 'form', form: form.id })}>
                  {t('在表单属性中编辑', 'Edit in the form properties')}
                </Typography.Link>
              </>
            ),
          }] : []),
          { key: 'visible', label: <span>{t('显示条件', 'Visible when')}{ui.visible_when && <Tag className="ml4" color="gold">{t('已设置', 'set')}</Tag>}</span>, children: rule('visible_when') },
          { key: 'required', label: <span>{t('必填条件', 'Required when')}{ui.required_when && <Tag className="ml4" color="gold">{t('已设置', 'set')}</Tag>}</span>, children: rule('required_when') },
          { key: 'readonly', label: <span>{t('只读条件', 'Read-only when')}{ui.readonly_when && <Tag className="ml4" color="gold">{t('已设置', 'set')}</Tag>}</span>, children: rule('readonly_when') },
          ...(!column ? [{
            key: 'access',
            label: <span>{t('字段权限', 'Field permissions')}{form.permissions?.fields?.[fieldKey] && <Tag className="ml4" color="gold">{t('已设置', 'set')}</Tag>}</span>,
            children: <FieldAccessEditor form={form} fieldKey={fieldKey} />,
          }] : []),
        ]}
      />
    </div>
  );
}
