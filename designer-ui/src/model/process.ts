// Edits of a process graph (plain mutations of an immer draft, like ./form.ts) and the node
// kinds the engine knows. Kinds the engine is still gaining are listed with `available: false`
// so the palette shows where they will go; flipping the flag (and adding `make`) enables them.

import type { EdgeDef, NodeDef, NodeKind, ProcessDef, Text } from './package';

export type FutureKind = 'inclusive_split' | 'n_of_m_join' | 'terminate' | 'deferred_choice';

export interface NodeKindSpec {
  kind: NodeKind | FutureKind;
  label: Text;
  /** Accent colour of the node card. */
  color: string;
  available: boolean;
  make?: (id: string) => NodeDef;
}

const t = (zh: string, en: string): Text => ({ 'zh-CN': zh, en });

export const NODE_KINDS: NodeKindSpec[] = [
  { kind: 'approval', label: t('审批', 'Approval'), color: '#ff8f1f', available: true,
    make: (id) => ({ id, kind: 'approval', name: t('审批', 'Approval'), assignee: { type: 'department_head', levels: 1 }, mode: 'single', fallback: { type: 'stop' } }) },
  { kind: 'fill', label: t('填写', 'Fill in'), color: '#6b5cff', available: true,
    make: (id) => ({ id, kind: 'fill', name: t('填写', 'Fill in'), assignee: { type: 'submitter' } }) },
  { kind: 'cc', label: t('抄送', 'CC'), color: '#3296fa', available: true,
    make: (id) => ({ id, kind: 'cc', name: t('抄送', 'CC'), assignee: { type: 'submitter' } }) },
  { kind: 'condition', label: t('条件分支', 'Condition'), color: '#15bc83', available: true,
    make: (id) => ({ id, kind: 'condition', name: t('条件分支', 'Condition') }) },
  { kind: 'parallel_split', label: t('并行分支', 'Parallel split'), color: '#718dff', available: true,
    make: (id) => ({ id, kind: 'parallel_split', name: t('并行分支', 'Parallel split') }) },
  { kind: 'parallel_join', label: t('并行汇聚', 'Parallel join'), color: '#718dff', available: true,
    make: (id) => ({ id, kind: 'parallel_join', name: t('并行汇聚', 'Parallel join') }) },
  { kind: 'action', label: t('自动操作', 'Action'), color: '#8c8c8c', available: true,
    make: (id) => ({ id, kind: 'action', name: t('更新字段', 'Set fields'), set: {} }) },
  { kind: 'wait', label: t('等待', 'Wait'), color: '#8c8c8c', available: true,
    make: (id) => ({ id, kind: 'wait', name: t('等待', 'Wait'), hours: 24 }) },
  { kind: 'end', label: t('结束', 'End'), color: '#595959', available: true,
    make: (id) => ({ id, kind: 'end', name: t('已通过', 'Approved'), outcome: 'approved' }) },
  { kind: 'start', label: t('发起', 'Start'), color: '#576a95', available: false },
  { kind: 'inclusive_split', label: t('包容分支', 'Inclusive split'), color: '#15bc83', available: false },
  { kind: 'n_of_m_join', label: t('N 选 M 汇聚', 'N-of-M join'), color: '#718dff', available: false },
  { kind: 'terminate', label: t('终止流程', 'Terminate'), color: '#f5222d', available: false },
  { kind: 'deferred_choice', label: t('事件选择', 'Deferred choice'), color: '#15bc83', available: false },
];

export function nodeSpec(kind: string): NodeKindSpec | undefined {
  return NODE_KINDS.find((k) => k.kind === kind);
}

export const isHuman = (n: NodeDef | undefined) => n?.kind === 'approval' || n?.kind === 'fill';

function newNode(proc: ProcessDef, kind: NodeKind): NodeDef {
  const spec = nodeSpec(kind);
  if (!spec?.make) throw new Error(`cannot add ${kind}`);
  return spec.make(uniqueNodeId(proc, kind));
}

function uniqueNodeId(proc: ProcessDef, base: string): string {
  const ids = new Set(proc.nodes.map((n) => n.id));
  if (!ids.has(base)) return base;
  for (let n = 2; ; n++) if (!ids.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** Adds an unconnected node; returns its id. */
export function addNode(proc: ProcessDef, kind: NodeKind, at?: { x: number; y: number }): string {
  const node = newNode(proc, kind);
  proc.nodes.push(node);
  if (at) (proc.layout ??= {})[node.id] = at;
  return node.id;
}

/** Puts a new node on edge `index`: A→B becomes A→N→B; the A→N edge keeps the old edge's condition. */
export function insertOnEdge(proc: ProcessDef, index: number, kind: NodeKind): string {
  const edge = proc.edges[index];
  if (!edge) throw new Error(`no edge ${index}`);
  const id = addNode(proc, kind);
  const from = proc.layout?.[edge.from];
  const to = proc.layout?.[edge.to];
  if (from && to) proc.layout![id] = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  const onward: EdgeDef = { from: id, to: edge.to };
  if (kind === 'condition') onward.default = true;
  edge.to = id;
  proc.edges.splice(index + 1, 0, onward);
  return id;
}

/** Connects two nodes; the new edge of a human step is its reject path when approve is taken. */
export function connect(proc: ProcessDef, from: string, to: string): number | null {
  if (from === to) return null;
  if (proc.edges.some((e) => e.from === from && e.to === to)) return null;
  const source = proc.nodes.find((n) => n.id === from);
  const edge: EdgeDef = { from, to };
  const out = proc.edges.filter((e) => e.from === from);
  if (source?.kind === 'condition' && !out.some((e) => e.default)) edge.default = true;
  if (isHuman(source)) {
    const approveTaken = out.some((e) => (e.on ?? (source?.kind === 'fill' ? 'submit' : 'approve')) === (source?.kind === 'fill' ? 'submit' : 'approve'));
    if (approveTaken) edge.on = source?.kind === 'fill' ? 'withdraw' : 'reject';
  }
  proc.edges.push(edge);
  return proc.edges.length - 1;
}

/** Removes a node; a node with one way in and one way out is bridged so the flow stays joined. */
export function removeNode(proc: ProcessDef, id: string): void {
  const incoming = proc.edges.filter((e) => e.to === id);
  const outgoing = proc.edges.filter((e) => e.from === id);
  if (incoming.length === 1 && outgoing.length === 1 && outgoing[0].to !== incoming[0].from) {
    incoming[0].to = outgoing[0].to;
    proc.edges = proc.edges.filter((e) => e !== outgoing[0]);
  } else {
    proc.edges = proc.edges.filter((e) => e.from !== id && e.to !== id);
  }
  proc.nodes = proc.nodes.filter((n) => n.id !== id);
  if (proc.layout) delete proc.layout[id];
}

export function removeEdge(proc: ProcessDef, index: number): void {
  proc.edges.splice(index, 1);
}

/** Moves edge `index` one place earlier or later among the edges leaving the same node (the order conditions are tried in). */
export function shiftEdge(proc: ProcessDef, index: number, dir: -1 | 1): void {
  const edge = proc.edges[index];
  if (!edge) return;
  const siblings = proc.edges.map((e, i) => [e, i] as const).filter(([e]) => e.from === edge.from);
  const pos = siblings.findIndex(([, i]) => i === index);
  const other = siblings[pos + dir];
  if (!other) return;
  [proc.edges[index], proc.edges[other[1]]] = [proc.edges[other[1]], proc.edges[index]];
}

/** Makes edge `index` the default branch of its condition node (and no other). */
export function setDefaultEdge(proc: ProcessDef, index: number): void {
  const edge = proc.edges[index];
  for (const e of proc.edges) if (e.from === edge.from) delete e.default;
  edge.default = true;
  delete edge.when;
}

export function renameNode(proc: ProcessDef, from: string, to: string): void {
  if (from === to || proc.nodes.some((n) => n.id === to)) return;
  for (const n of proc.nodes) if (n.id === from) n.id = to;
  for (const e of proc.edges) {
    if (e.from === from) e.from = to;
    if (e.to === from) e.to = to;
  }
  if (proc.layout?.[from]) {
    proc.layout[to] = proc.layout[from];
    delete proc.layout[from];
  }
}

/** A new process: submit → approval by the department head → approved, with a reject end. */
export function blankProcess(id: string, name: Text, form: string): ProcessDef {
  return {
    id,
    name,
    form,
    nodes: [
      { id: 'start', kind: 'start', name: t('提交', 'Submitted') },
      { id: 'approval', kind: 'approval', name: t('部门负责人审批', 'Department head approval'), assignee: { type: 'department_head', levels: 1 }, mode: 'single', fallback: { type: 'stop' } },
      { id: 'approved', kind: 'end', name: t('已通过', 'Approved'), outcome: 'approved' },
      { id: 'rejected', kind: 'end', name: t('已驳回', 'Rejected'), outcome: 'rejected' },
    ],
    edges: [
      { from: 'start', to: 'approval' },
      { from: 'approval', to: 'approved', on: 'approve' },
      { from: 'approval', to: 'rejected', on: 'reject' },
    ],
  };
}

/** The names the designer gives nodes by itself, zh-CN → English. */
function defaultNames(): Map<string, string> {
  const names = new Map<string, string>();
  const add = (n?: Partial<Text>) => { if (n?.['zh-CN'] && n.en) names.set(n['zh-CN'], n.en); };
  for (const k of NODE_KINDS) {
    add(k.label);
    add(k.make?.('x').name);
  }
  for (const n of blankProcess('x', { 'zh-CN': 'x' }, 'x').nodes) add(n.name);
  return names;
}

/** Endings of a step's Chinese name and their English, for names like 「总监审批」. */
const STEP_WORDS: Array<[string, string]> = [
  ['审批', 'approval'], ['审核', 'review'], ['复核', 'second check'], ['会签', 'joint approval'],
  ['确认', 'confirmation'], ['填写', 'fill-in'], ['抄送', 'CC'], ['备案', 'filing'],
];

/** A sensible English name for a Chinese one: a name the designer itself gives, or a role's
 *  name followed by a step word (「总监审批」 → "Director approval" when a role 总监/Director
 *  exists); `undefined` when there is none, so the Chinese shows in both languages. */
export function englishFor(zh: string, roles: Array<{ name: Partial<Text> }> = []): string | undefined {
  const known = defaultNames().get(zh);
  if (known) return known;
  for (const [word, en] of STEP_WORDS) {
    if (!zh.endsWith(word) || zh === word) continue;
    const head = zh.slice(0, -word.length);
    const role = roles.find((r) => r.name['zh-CN'] === head && r.name.en);
    if (role) return `${role.name.en} ${en}`;
  }
  return undefined;
}

/** A node's name after the analyst edited it: an English name nobody wrote by hand (absent, or
 *  the one generated from the previous Chinese name) follows the Chinese; one typed in stays. */
export function followName(prev: Partial<Text> | undefined, next: Text, roles: Array<{ name: Partial<Text> }> = []): Text {
  const out = { ...next };
  if ((next.en ?? '') !== (prev?.en ?? '') || next['zh-CN'] === prev?.['zh-CN']) return out;
  const untouched = !prev?.en || prev.en === englishFor(prev['zh-CN'] ?? '', roles);
  if (!untouched) return out;
  const en = englishFor(next['zh-CN'], roles);
  if (en) out.en = en;
  else delete out.en;
  return out;
}
