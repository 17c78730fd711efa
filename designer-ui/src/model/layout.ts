// Auto-layout of a process graph with dagre (top to bottom, as 宜搭 and 钉钉 draw flows).

import { Graph, layout } from '@dagrejs/dagre';
import type { Position, ProcessDef } from './package';

export const NODE_WIDTH = 200;
/** Room for a node card with a two-line summary. */
export const NODE_HEIGHT = 96;

/** Top-left positions for every node, ranked along the edges. */
export function autoLayout(proc: Pick<ProcessDef, 'nodes' | 'edges'>): Record<string, Position> {
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 48, ranksep: 48, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of proc.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of proc.edges) {
    // Edges carry their label's size, so a long edge reserves room beside the nodes it passes
    // (its line and label would otherwise run under them).
    if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to, { width: 160, height: 24 });
  }
  layout(g);
  const out: Record<string, Position> = {};
  for (const n of proc.nodes) {
    const p = g.node(n.id);
    out[n.id] = { x: Math.round(p.x - NODE_WIDTH / 2), y: Math.round(p.y - NODE_HEIGHT / 2) };
  }
  return out;
}

/** Saved positions where there are, laid out ones for the rest. */
export function positionsOf(proc: ProcessDef): Record<string, Position> {
  const saved = proc.layout ?? {};
  if (proc.nodes.every((n) => saved[n.id])) return saved;
  const auto = autoLayout(proc);
  return Object.fromEntries(proc.nodes.map((n) => [n.id, saved[n.id] ?? auto[n.id]]));
}
