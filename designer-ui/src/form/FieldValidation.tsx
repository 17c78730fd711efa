// The validation part of a field's property panel, by kind: lengths, bounds, a pattern with a
// test box and its own message, file limits, row limits. Each value is a JSON Schema keyword
// (or an `x-formwork-*` one, see formwork-forms' kind table), so the server enforces it.

import { Flex, Input, InputNumber, Select, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { TextPair } from '../components/TextPair';
import { useT } from '../i18n/lang';
import { LANDLINE_PATTERN, MOBILE_PATTERN, type FieldKind } from '../model/fieldKinds';
import type { FieldUiDef, JsonSchema, Text } from '../model/package';

export type Patch = (fn: (schema: JsonSchema, ui: FieldUiDef) => void, coalesce?: string) => void;

function NumberKeyword({ label, schema, keyword, patch, min, integer, scale = 1 }: {
  label: string; schema: JsonSchema; keyword: string; patch: Patch; min?: number; integer?: boolean; scale?: number;
}) {
  const raw = schema[keyword];
  return (
    <label className="prop-inline">
      <span>{label}</span>
      <InputNumber
        size="small"
        min={min}
        precision={integer ? 0 : undefined}
        value={typeof raw === 'number' ? raw / scale : null}
        onChange={(v) =>
          patch((s) => {
            if (v === null || v === undefined) delete s[keyword];
            else s[keyword] = Number(v) * scale;
          }, keyword)
        }
      />
    </label>
  );
}

/** Money bounds are decimal strings (`x-formwork-minimum`), so they stay exact. */
function MoneyBound({ label, schema, keyword, patch }: { label: string; schema: JsonSchema; keyword: string; patch: Patch }) {
  const t = useT();
  const raw = schema[keyword];
  const ok = raw === undefined || /^-?\d{1,13}(\.\d{1,2})?$/.test(String(raw));
  return (
    <label className="prop-inline">
      <span>{label}</span>
      <Input
        size="small"
        className="mono"
        value={raw === undefined ? '' : String(raw)}
        status={ok ? undefined : 'error'}
        placeholder={t('不限', 'none')}
        onChange={(e) => patch((s) => {
          const v = e.target.value.trim();
          if (v) s[keyword] = v;
          else delete s[keyword];
        }, keyword)}
      />
    </label>
  );
}

const PRESETS: Array<{ value: string; zh: string; en: string }> = [
  { value: MOBILE_PATTERN, zh: '中国大陆手机号', en: 'Mainland mobile' },
  { value: LANDLINE_PATTERN, zh: '固定电话', en: 'Landline' },
  { value: '^\\d{6}$', zh: '邮政编码', en: 'Postcode' },
  { value: '^\\d{17}[\\dXx]$', zh: '身份证号', en: 'ID card number' },
  { value: '^[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}$', zh: '统一社会信用代码', en: 'Unified social credit code' },
  { value: '^[A-Za-z0-9_-]+$', zh: '字母、数字、下划线', en: 'Letters, digits, underscore' },
];

/** A pattern, a box to try it on sample text, and the message shown when input does not match. */
export function PatternField({ schema, ui, patch }: { schema: JsonSchema; ui: FieldUiDef; patch: Patch }) {
  const t = useT();
  const [sample, setSample] = useState('');
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : '';
  const regex = useMemo(() => {
    if (!pattern) return null;
    try {
      return new RegExp(pattern, 'u');
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }, [pattern]);
  return (
    <div className="pattern-field">
      <Flex gap={4}>
        <Input
          size="small"
          className="mono"
          aria-label={t('格式（正则表达式）', 'Pattern (regular expression)')}
          placeholder={t('正则表达式，如 ^1[3-9]\\d{9}$', 'Regular expression, e.g. ^1[3-9]\\d{9}$')}
          value={pattern}
          status={regex instanceof Error ? 'error' : undefined}
          onChange={(e) => patch((s) => {
            if (e.target.value) s.pattern = e.target.value;
            else delete s.pattern;
          }, 'pattern')}
        />
        <Select
          size="small"
          placeholder={t('常用格式', 'Presets')}
          aria-label={t('常用格式', 'Presets')}
          value={null}
          popupMatchSelectWidth={false}
          onChange={(v: string) => patch((s) => { s.pattern = v; })}
          options={PRESETS.map((p) => ({ value: p.value, label: t(p.zh, p.en) }))}
        />
      </Flex>
      {regex instanceof Error && <Typography.Text type="danger" className="small">{t('正则表达式无效：', 'Invalid expression: ')}{regex.message}</Typography.Text>}
      <Flex gap={4} align="center" className="pattern-test">
        <Input size="small" aria-label={t('试一试', 'Try it')} placeholder={t('输入示例内容试一试', 'Type a sample to try it')} value={sample} onChange={(e) => setSample(e.target.value)} />
        {sample && regex instanceof RegExp && (regex.test(sample)
          ? <Tag color="success">{t('符合', 'Matches')}</Tag>
          : <Tag color="error">{t('不符合', 'No match')}</Tag>)}
      </Flex>
      <div className="prop-label small">{t('不符合时的提示', 'Message when it does not match')}</div>
      <TextPair
        idPrefix="pattern-message"
        required={false}
        value={ui.messages?.pattern}
        onChange={(text: Text | undefined) => patch((_, u) => {
          u.messages ??= {};
          if (text) u.messages.pattern = text;
          else delete u.messages.pattern;
          if (!Object.keys(u.messages).length) delete u.messages;
        }, 'pattern-message')}
      />
    </div>
  );
}

/** Numeric limits by kind: keyword, label (zh, en), lowest value, whole numbers only, unit. */
type Limit = [keyword: string, zh: string, en: string, min?: number, integer?: boolean, scale?: number];
const LIMITS: Partial<Record<FieldKind, Limit[]>> = {
  text: [['minLength', '最少字数', 'Min length', 0, true], ['maxLength', '最多字数', 'Max length', 1, true]],
  integer: [['minimum', '最小值', 'Minimum', undefined, true], ['maximum', '最大值', 'Maximum', undefined, true]],
  decimal: [['minimum', '最小值', 'Minimum'], ['maximum', '最大值', 'Maximum']],
  multi_select: [['minItems', '至少选', 'Choose at least', 0, true], ['maxItems', '最多选', 'Choose at most', 1, true]],
  attachments: [['maxItems', '最多文件数', 'Most files', 1, true], ['x-formwork-max-size', '单个文件上限 (MB)', 'Largest file (MB)', 0, false, 1024 * 1024]],
  sub_table: [['minItems', '至少行数', 'Min rows', 0, true], ['maxItems', '最多行数', 'Max rows', 1, true]],
};
LIMITS.textarea = LIMITS.rich_text = LIMITS.text;
LIMITS.percent = LIMITS.decimal;

export function FieldValidation({ kind, schema, ui, patch }: { kind: FieldKind; schema: JsonSchema; ui: FieldUiDef; patch: Patch }) {
  const t = useT();
  const limits = LIMITS[kind];
  return (
    <>
      {limits && (
        <Flex gap={8} wrap>
          {limits.map(([keyword, zh, en, min, integer, scale]) => (
            <NumberKeyword key={keyword} label={t(zh, en)} schema={schema} keyword={keyword} patch={patch} min={min} integer={integer} scale={scale} />
          ))}
        </Flex>
      )}
      {kind === 'money' && (
        <Flex gap={8} wrap>
          <MoneyBound label={t('最小金额', 'Minimum')} schema={schema} keyword="x-formwork-minimum" patch={patch} />
          <MoneyBound label={t('最大金额', 'Maximum')} schema={schema} keyword="x-formwork-maximum" patch={patch} />
        </Flex>
      )}
      {['text', 'mobile', 'landline', 'email', 'url'].includes(kind) && <PatternField schema={schema} ui={ui} patch={patch} />}
      {kind === 'attachments' && (
        <label className="prop-block">
          <span className="prop-label small">{t('允许的文件类型', 'Allowed types')}</span>
          <Select
            size="small"
            mode="tags"
            open={false}
            placeholder="application/pdf, image/*, .docx"
            value={(schema['x-formwork-accept'] as string[] | undefined) ?? []}
            onChange={(v: string[]) => patch((s) => {
              if (v.length) s['x-formwork-accept'] = v;
              else delete s['x-formwork-accept'];
            })}
          />
        </label>
      )}
      {!limits && kind !== 'money' && !['mobile', 'landline', 'email', 'url'].includes(kind) && (
        <Typography.Text type="secondary" className="small">{t('此类型没有额外的校验设置；可在表单属性里添加跨字段校验。', 'No extra checks for this kind; add cross-field checks in the form properties.')}</Typography.Text>
      )}
    </>
  );
}
