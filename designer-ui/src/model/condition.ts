// The condition builder's model: rows of field · operator · value in and/or groups, written as
// a minijinja expression (`amount > 100000 and region == "华东"`) and read back from one when
// it stays inside that shape. Anything else (filters, arithmetic, functions) is left to the
// expression box: `parseCondition` then answers null and nothing is lost.

export type Operator =
  | '=='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'in'
  | 'not_in'
  | 'contains'
  | 'empty'
  | 'not_empty';

export type Literal = string | number | boolean;
export type Operand = { kind: 'value'; value: Literal | Literal[] } | { kind: 'field'; field: string };

export interface Rule {
  type: 'rule';
  field: string;
  op: Operator;
  value?: Operand;
}

export interface Group {
  type: 'group';
  combinator: 'and' | 'or';
  children: Array<Rule | Group>;
}

export const UNARY: Operator[] = ['empty', 'not_empty'];

export const emptyGroup = (combinator: 'and' | 'or' = 'and'): Group => ({ type: 'group', combinator, children: [] });

function literal(v: Literal): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '0';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

function operand(o: Operand | undefined): string {
  if (!o) return 'none';
  if (o.kind === 'field') return o.field;
  return Array.isArray(o.value) ? `[${o.value.map(literal).join(', ')}]` : literal(o.value);
}

function writeRule(r: Rule): string {
  switch (r.op) {
    case 'empty':
      return `not ${r.field}`;
    case 'not_empty':
      return r.field;
    case 'contains':
      return `${operand(r.value)} in ${r.field}`;
    case 'in':
      return `${r.field} in ${operand(r.value)}`;
    case 'not_in':
      return `${r.field} not in ${operand(r.value)}`;
    default:
      return `${r.field} ${r.op} ${operand(r.value)}`;
  }
}

/** The expression a tree stands for; an empty tree is the empty string (no condition). */
export function writeCondition(node: Rule | Group, nested = false): string {
  if (node.type === 'rule') return writeRule(node);
  const parts = node.children.map((c) => writeCondition(c, true)).filter(Boolean);
  if (parts.length === 0) return '';
  const text = parts.join(` ${node.combinator} `);
  return nested && parts.length > 1 ? `(${text})` : text;
}

// ---- reading an expression back ----

type Token =
  | { t: 'ident'; v: string }
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'op'; v: string }
  | { t: 'punct'; v: string };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'none', 'true', 'false', 'True', 'False', 'None']);

function tokenize(src: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    const rest = src.slice(i);
    let m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (m) { out.push({ t: 'ident', v: m[0] }); i += m[0].length; continue; }
    m = /^-?\d+(\.\d+)?/.exec(rest);
    if (m) { out.push({ t: 'num', v: Number(m[0]) }); i += m[0].length; continue; }
    m = /^(==|!=|>=|<=|>|<)/.exec(rest);
    if (m) { out.push({ t: 'op', v: m[0] }); i += m[0].length; continue; }
    if ('()[],'.includes(c)) { out.push({ t: 'punct', v: c }); i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          const e = src[j + 1];
          if (e === undefined) return null;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else {
          s += src[j++];
        }
      }
      if (j >= src.length) return null;
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    return null;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(o = 0): Token | undefined { return this.toks[this.i + o]; }
  private isWord(w: string, o = 0) { const t = this.peek(o); return t?.t === 'ident' && t.v === w; }
  private isPunct(p: string, o = 0) { const t = this.peek(o); return t?.t === 'punct' && t.v === p; }
  private fail(): never { throw new Error('unsupported'); }
  private take(): Token { const t = this.toks[this.i++]; if (!t) this.fail(); return t; }
  done() { return this.i >= this.toks.length; }

  or(): Rule | Group {
    const items = [this.and()];
    while (this.isWord('or')) { this.i++; items.push(this.and()); }
    return items.length === 1 ? items[0] : { type: 'group', combinator: 'or', children: items };
  }

  private and(): Rule | Group {
    const items = [this.unary()];
    while (this.isWord('and')) { this.i++; items.push(this.unary()); }
    return items.length === 1 ? items[0] : { type: 'group', combinator: 'and', children: items };
  }

  private unary(): Rule | Group {
    if (this.isPunct('(')) {
      this.i++;
      const inner = this.or();
      if (!this.isPunct(')')) this.fail();
      this.i++;
      return inner.type === 'rule' ? inner : inner;
    }
    if (this.isWord('not')) {
      this.i++;
      return { type: 'rule', field: this.field(), op: 'empty' };
    }
    const t = this.peek();
    if (t && (t.t === 'str' || t.t === 'num')) {
      const value = this.literal();
      if (!this.isWord('in')) this.fail();
      this.i++;
      return { type: 'rule', field: this.field(), op: 'contains', value: { kind: 'value', value } };
    }
    const field = this.field();
    const next = this.peek();
    if (!next || this.isWord('and') || this.isWord('or') || this.isPunct(')')) {
      return { type: 'rule', field, op: 'not_empty' };
    }
    if (next.t === 'op') {
      this.i++;
      return { type: 'rule', field, op: next.v as Operator, value: this.operand() };
    }
    if (this.isWord('in')) { this.i++; return { type: 'rule', field, op: 'in', value: this.list() }; }
    if (this.isWord('not') && this.isWord('in', 1)) {
      this.i += 2;
      return { type: 'rule', field, op: 'not_in', value: this.list() };
    }
    if (this.isWord('is')) {
      this.i++;
      const negated = this.isWord('not');
      if (negated) this.i++;
      if (!this.isWord('none') && !this.isWord('None')) this.fail();
      this.i++;
      return { type: 'rule', field, op: negated ? 'not_empty' : 'empty' };
    }
    return this.fail();
  }

  private field(): string {
    const t = this.take();
    if (t.t !== 'ident' || KEYWORDS.has(t.v)) this.fail();
    return t.v;
  }

  private literal(): Literal {
    const t = this.take();
    if (t.t === 'num' || t.t === 'str') return t.v;
    if (t.t === 'ident' && (t.v === 'true' || t.v === 'True')) return true;
    if (t.t === 'ident' && (t.v === 'false' || t.v === 'False')) return false;
    return this.fail();
  }

  private operand(): Operand {
    const t = this.peek();
    if (t?.t === 'ident' && !KEYWORDS.has(t.v)) { this.i++; return { kind: 'field', field: t.v }; }
    return { kind: 'value', value: this.literal() };
  }

  private list(): Operand {
    if (!this.isPunct('[')) this.fail();
    this.i++;
    const values: Literal[] = [];
    while (!this.isPunct(']')) {
      values.push(this.literal());
      if (this.isPunct(',')) this.i++;
      else if (!this.isPunct(']')) this.fail();
    }
    this.i++;
    return { kind: 'value', value: values };
  }
}

/** The builder tree of `src` (always a group at the root), or null when it is outside the builder's shape. */
export function parseCondition(src: string | undefined): Group | null {
  const text = (src ?? '').trim();
  if (!text) return emptyGroup();
  const toks = tokenize(text);
  if (!toks) return null;
  try {
    const p = new Parser(toks);
    const tree = p.or();
    if (!p.done()) return null;
    return tree.type === 'group' ? tree : { type: 'group', combinator: 'and', children: [tree] };
  } catch {
    return null;
  }
}

/** Every field a tree reads (left sides and field operands). */
export function fieldsOf(node: Rule | Group): string[] {
  if (node.type === 'rule') return node.value?.kind === 'field' ? [node.field, node.value.field] : [node.field];
  return node.children.flatMap(fieldsOf);
}
