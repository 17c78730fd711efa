import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { autoLayout } from './layout';
import type { ProcessDef } from './package';
import { addNode, blankProcess, connect, insertOnEdge, removeEdge, removeNode, renameNode, setDefaultEdge, shiftEdge } from './process';

const base = () => blankProcess('p', { 'zh-CN': '流程' }, 'f');
const edges = (p: ProcessDef) => p.edges.map((e) => `${e.from}>${e.to}${e.on ? `:${e.on}` : ''}${e.default ? ':default' : ''}${e.when ? `:${e.when}` : ''}`);

describe('flow graph edits', () => {
  it('inserts a node on an edge, keeping the edge condition before it', () => {
    const p = produce(base(), (d) => {
      insertOnEdge(d, 1, 'approval');
    });
    expect(p.nodes.map((n) => n.id)).toContain('approval_2');
    expect(edges(p)).toEqual(['start>approval', 'approval>approval_2:approve', 'approval_2>approved', 'approval>rejected:reject']);
  });

  it('gives a condition node put on an edge a default branch onward', () => {
    const p = produce(base(), (d) => { insertOnEdge(d, 0, 'condition'); });
    expect(edges(p)).toContain('condition>approval:default');
  });

  it('bridges a removed node with one way in and one out, else drops its edges', () => {
    let p = produce(base(), (d) => { insertOnEdge(d, 0, 'cc'); });
    p = produce(p, (d) => removeNode(d, 'cc'));
    expect(edges(p)).toEqual(['start>approval', 'approval>approved:approve', 'approval>rejected:reject']);
    p = produce(p, (d) => removeNode(d, 'approval'));
    expect(edges(p)).toEqual([]);
    expect(p.nodes.map((n) => n.id)).toEqual(['start', 'approved', 'rejected']);
  });

  it('connects a second way out of an approval as its reject path, and never twice', () => {
    let p = produce(base(), (d) => { d.edges = d.edges.filter((e) => e.on !== 'reject'); });
    p = produce(p, (d) => { connect(d, 'approval', 'rejected'); });
    expect(edges(p)).toContain('approval>rejected:reject');
    const again = produce(p, (d) => { expect(connect(d, 'approval', 'rejected')).toBeNull(); });
    expect(again.edges).toHaveLength(p.edges.length);
  });

  it('orders and defaults the branches of a condition', () => {
    let p = produce(base(), (d) => {
      const c = addNode(d, 'condition');
      d.edges = [{ from: 'start', to: c }, { from: c, to: 'approval', when: 'amount > 1' }, { from: c, to: 'approved', when: 'amount > 2' }, { from: c, to: 'rejected' }];
    });
    p = produce(p, (d) => shiftEdge(d, 2, -1));
    expect(edges(p).slice(1, 3)).toEqual(['condition>approved:amount > 2', 'condition>approval:amount > 1']);
    p = produce(p, (d) => setDefaultEdge(d, 3));
    expect(p.edges.filter((e) => e.default)).toHaveLength(1);
    p = produce(p, (d) => removeEdge(d, 3));
    expect(p.edges).toHaveLength(3);
  });

  it('renames a node in edges and layout', () => {
    let p = produce(base(), (d) => { d.layout = autoLayout(d); });
    p = produce(p, (d) => renameNode(d, 'approval', 'dept_head'));
    expect(edges(p)[0]).toBe('start>dept_head');
    expect(p.layout!.dept_head).toBeDefined();
    expect(p.layout!.approval).toBeUndefined();
  });

  it('lays nodes out top to bottom along the edges', () => {
    const pos = autoLayout(base());
    expect(pos.start.y).toBeLessThan(pos.approval.y);
    expect(pos.approval.y).toBeLessThan(pos.approved.y);
    expect(pos.approved.y).toBe(pos.rejected.y);
  });
});
