// The flow canvas' node card and edge (with its label and the "+" that inserts a node on it).

import { PlusOutlined, ExclamationCircleFilled } from '@ant-design/icons';
import { BaseEdge, EdgeLabelRenderer, Handle, Position, getSmoothStepPath, type EdgeProps, type Node, type NodeProps, type Edge } from '@xyflow/react';
import { Dropdown, Tooltip } from 'antd';
import { createContext, useContext } from 'react';
import { useUi } from '../state/ui';
import { useLang, useT } from '../i18n/lang';
import type { EdgeDef, NodeDef, NodeKind } from '../model/package';
import { textOf } from '../model/package';
import { NODE_KINDS, nodeSpec } from '../model/process';

export interface FwNodeData extends Record<string, unknown> {
  def: NodeDef;
  summary: string;
  problems: string[];
}

export interface FwEdgeData extends Record<string, unknown> {
  def: EdgeDef;
  index: number;
  label: string;
  problems: string[];
}

export type FwNode = Node<FwNodeData, 'fw'>;
export type FwEdge = Edge<FwEdgeData, 'fw'>;

/** What the edge "+" does; given by the designer so the edge stays a view. */
export const InsertContext = createContext<(edgeIndex: number, kind: NodeKind) => void>(() => {});

export function FwNodeView({ data, selected }: NodeProps<FwNode>) {
  const lang = useLang();
  const t = useT();
  const spec = nodeSpec(data.def.kind);
  const isStart = data.def.kind === 'start';
  const isEnd = data.def.kind === 'end';
  return (
    <div className={`fw-node kind-${data.def.kind}${selected ? ' selected' : ''}${data.problems.length ? ' has-problem' : ''}`} data-node={data.def.id}>
      {!isStart && <Handle type="target" position={Position.Top} />}
      <div className="fw-node-head" style={{ background: spec?.color }}>
        <span>{textOf(spec?.label, lang)}</span>
        {data.problems.length > 0 && (
          <Tooltip title={data.problems.join('\n')}>
            <ExclamationCircleFilled aria-label={t('有问题', 'has problems')} />
          </Tooltip>
        )}
      </div>
      <div className="fw-node-body">
        <div className="fw-node-name">{textOf(data.def.name, lang) || data.def.id}</div>
        {data.summary && <div className="fw-node-summary">{data.summary}</div>}
      </div>
      {!isEnd && <Handle type="source" position={Position.Bottom} />}
    </div>
  );
}

export function FwEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd }: EdgeProps<FwEdge>) {
  const lang = useLang();
  const t = useT();
  const insert = useContext(InsertContext);
  // Kept outside the edge: React Flow may mount an edge afresh while its menu is open.
  const menuOpen = useUi((s) => s.edgeMenu === id);
  const setMenuOpen = (open: boolean) => useUi.getState().setEdgeMenu(open ? id : null);
  const [path, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 8 });
  const problem = (data?.problems.length ?? 0) > 0;
  // Steps go on forward paths; a reject or withdraw path (drawn dashed) gets no "+".
  const back = data?.def.on === 'reject' || data?.def.on === 'withdraw' || data?.def.on === 'return';
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={`${selected ? 'fw-edge-selected' : ''}${problem ? ' fw-edge-problem' : ''}`} />
      <EdgeLabelRenderer>
        <div className="fw-edge-label nodrag nopan" data-edge-from={data?.def.from} data-edge-to={data?.def.to} style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}>
          {data?.label && <span className={`fw-edge-text${selected ? ' selected' : ''}${problem ? ' problem' : ''}`} title={data.problems.join('\n')}>{data.label}</span>}
          {!back && (
          <Dropdown
            open={menuOpen}
            onOpenChange={setMenuOpen}
            trigger={['click']}
            menu={{
              items: NODE_KINDS.filter((k) => k.available && k.kind !== 'end').map((k) => ({ key: k.kind, label: textOf(k.label, lang) })),
              onClick: ({ key, domEvent }) => {
                // The menu is portalled inside the edge: a click would also select the edge.
                domEvent.stopPropagation();
                setMenuOpen(false);
                if (data) insert(data.index, key as NodeKind);
              },
            }}
          >
            <button
              type="button"
              className="fw-edge-plus"
              aria-label={t('在此处添加节点', 'Add a node here')}
              aria-haspopup="menu"
              aria-expanded={menuOpen}
              // The label is portalled but React events still bubble to the edge: keep the click here.
              onClick={(e) => e.stopPropagation()}
            >
              <PlusOutlined />
            </button>
          </Dropdown>
          )}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}
