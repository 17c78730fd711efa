import { describe, expect, it } from 'vitest';
import { parseCondition, writeCondition, type Group } from './condition';

describe('condition builder ↔ expression', () => {
  const canonical = [
    'amount > 100000 and region == "华东"',
    'amount < 50000',
    'not start_date or not end_date or end_date >= start_date',
    'region in ["华东", "华南"]',
    'region not in ["西北"]',
    '"urgent" in tags',
    'contact_phone',
    'flag == true',
    '(amount > 1 and region == "华北") or vip == false',
    'amount >= 0.5 and (a == "x" or b != "y")',
  ];
  it.each(canonical)('reads and writes back %s unchanged', (src) => {
    const tree = parseCondition(src);
    expect(tree).not.toBeNull();
    expect(writeCondition(tree!)).toBe(src);
  });

  it('writes a tree that reads back as the same tree', () => {
    const tree: Group = {
      type: 'group',
      combinator: 'or',
      children: [
        { type: 'rule', field: 'amount', op: '>', value: { kind: 'value', value: 100000 } },
        {
          type: 'group',
          combinator: 'and',
          children: [
            { type: 'rule', field: 'region', op: '==', value: { kind: 'value', value: '华东' } },
            { type: 'rule', field: 'end_date', op: '>=', value: { kind: 'field', field: 'start_date' } },
            { type: 'rule', field: 'note', op: 'empty' },
          ],
        },
      ],
    };
    const src = writeCondition(tree);
    expect(src).toBe('amount > 100000 or (region == "华东" and end_date >= start_date and not note)');
    expect(parseCondition(src)).toEqual(tree);
  });

  it('reads `is none` and `is not none` as empty and not empty', () => {
    expect(parseCondition('amount is none')?.children[0]).toMatchObject({ op: 'empty', field: 'amount' });
    expect(parseCondition('amount is not none')?.children[0]).toMatchObject({ op: 'not_empty', field: 'amount' });
  });

  it('escapes quotes in values so the expression stays one string', () => {
    const src = writeCondition({ type: 'group', combinator: 'and', children: [{ type: 'rule', field: 'name', op: '==', value: { kind: 'value', value: 'say "hi"' } }] });
    expect(src).toBe('name == "say \\"hi\\""');
    expect(parseCondition(src)?.children[0]).toMatchObject({ value: { kind: 'value', value: 'say "hi"' } });
  });

  it.each(['amount * 2 > 10', 'days_between(start_date, end_date) > 30', 'name|length > 3', 'not (a or b)', 'amount >', '"unclosed'])(
    'leaves %s to the expression box',
    (src) => expect(parseCondition(src)).toBeNull(),
  );

  it('reads an empty expression as an empty group and writes nothing for it', () => {
    const tree = parseCondition('');
    expect(tree).toEqual({ type: 'group', combinator: 'and', children: [] });
    expect(writeCondition(tree!)).toBe('');
  });
});
