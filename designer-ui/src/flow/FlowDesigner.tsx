// The flow designer (lazy-loaded with React Flow): flows of the app and the node palette on the
// left, the canvas in the middle (drag from the palette, "+" on an edge, connect handles,
// auto-layout, zoom to fit, minimap, node search), the selection's properties on the right.
// Positions are saved in the package (`process.layout`) when a node is dropped.

import '@xyflow/react/dist/style.css';
import { ApartmentOutlined, CompressOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { App as AntApp, Button, Empty, Form, Input, Modal, Popconfirm, Select, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useState, type DragEvent } from 'react';
import { useLang, useT } from '../i18n/lang';
import { idFromName } from '../model/keys';
import { autoLayout, positionsOf } from '../model/layout';
import { textOf, type NodeKind, type ProcessDef, type Text } from '../model/package';
import { editProcess } from './edit';
import { NODE_KINDS, addNode, blankProcess, connect, insertOnEdge, removeEdge, removeNode } from '../model/process';
import { describeCondition } from '../rules/ConditionBuilder';
import { fieldRefs } from '../form/fieldRefs';
import { useEditor } from '../state/editor';
import { useProblemIndex } from '../state/problems';
import { FwEdgeView, FwNodeView, InsertContext, type FwEdge, type FwNode } from './canvasParts';
import { EdgePanel } from './EdgePanel';
import { NodePanel } from './NodePanel';
import { ProcessPanel } from './ProcessPanel';
import { actionWords, assigneeWords, modeWords, outcomeWords } from './words';

const nodeTypes = { fw: FwNodeView };
const edgeTypes = { fw: FwEdgeView };

function ProcessList() {
  const t = useT();
  const lang = useLang();
  const pkg = useEditor((s) => s.present)!;
  const processId = useEditor((s) => s.processId);
  const problems = useProblemIndex();
  const [adding, setAdding] = useState(false);
  const [form] = Form.useForm<{ zh: string; form: string }>();
  const add = async () => {
    const v = await form.validateFields();
    const id = idFromName(v.zh, (pkg.processes ?? []).map((p) => p.id), 'process');
    const name: Text = { 'zh-CN': v.zh };
    useEditor.getState().edit((d) => {
      const p = blankProcess(id, name, v.form);
      p.layout = autoLayout(p);
      (d.processes ??= []).push(p);
    });
    useEditor.getState().openProcess(id);
    setAdding(false);
  };
  return (
    <div className="side-block">
      <div className="side-head">
        <Typography.Text strong>{t('流程', 'Flows')}</Typography.Text>
        <Button size="small" type="link" icon={<PlusOutlined />} disabled={!pkg.forms?.length} onClick={() => setAdding(true)}>
          {t('新建流程', 'New flow')}
        </Button>
      </div>
      <ul className="item-list" aria-label={t('流程', 'Flows')}>
        {(pkg.processes ?? []).map((p) => (
          <li key={p.id} className={p.id === processId ? 'active' : ''}>
            <button type="button" className="item-button" onClick={() => useEditor.getState().openProcess(p.id)}>
              {textOf(p.name, lang) || p.id}
              {problems.has(`process:${p.id}`) && <span className="dot-error" />}
            </button>
            <Popconfirm title={t('删除这个流程？可以撤销。', 'Delete this flow? You can undo.')} okText={t('删除', 'Delete')} cancelText={t('取消', 'Cancel')}
              onConfirm={() => {
                useEditor.getState().edit((d) => { d.processes = d.processes?.filter((x) => x.id !== p.id); });
                useEditor.getState().openProcess(useEditor.getState().present?.processes?.[0]?.id ?? null);
              }}>
              <Button size="small" type="text" icon={<DeleteOutlined />} className="item-action" aria-label={t('删除流程', 'Delete flow')} />
            </Popconfirm>
          </li>
        ))}
      </ul>
      {!pkg.forms?.length && <Typography.Text type="secondary" className="small">{t('先在“表单设计”中建一个表单，流程挂在表单上。', 'Create a form first: a flow runs on a form.')}</Typography.Text>}
      <Modal open={adding} title={t('新建流程', 'New flow')} okText={t('创建', 'Create')} cancelText={t('取消', 'Cancel')} onOk={() => void add()} onCancel={() => setAdding(false)} destroyOnHidden>
        <Form form={form} layout="vertical" initialValues={{ zh: `${textOf(pkg.forms?.[0]?.name, lang)}${t('审批', ' approval')}`, form: pkg.forms?.[0]?.id }}>
          <Form.Item name="zh" label={t('流程名称', 'Flow name')} rules={[{ required: true, message: t('请输入流程名称', 'Enter a name') }]}>
            <Input autoFocus maxLength={60} />
          </Form.Item>
          <Form.Item name="form" label={t('提交哪个表单时发起', 'Starts when this form is submitted')} rules={[{ required: true }]}>
            <Select options={(pkg.forms ?? []).map((f) => ({ value: f.id, label: textOf(f.name, lang) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}

function NodePalette({ onAdd }: { onAdd: (kind: NodeKind) => void }) {
  const t = useT();
  const lang = useLang();
  return (
    <div className="side-block">
      <div className="side-head"><Typography.Text strong>{t('节点', 'Nodes')}</Typography.Text></div>
      <Typography.Text type="secondary" className="small">{t('拖到画布上，或点连线上的 + 插入', 'Drag onto the canvas, or use + on a connection')}</Typography.Text>
      <div className="palette-grid">
        {NODE_KINDS.filter((k) => k.kind !== 'start').map((k) => (
          <Tooltip key={k.kind} title={k.available ? undefined : t('引擎升级后可用', 'Available once the engine supports it')}>
            <button
              type="button"
              className="palette-item node-item"
              disabled={!k.available}
              draggable={k.available}
              style={{ borderLeftColor: k.color }}
              onDragStart={(e: DragEvent) => {
                e.dataTransfer.setData('application/x-formwork-node', k.kind);
                e.dataTransfer.effectAllowed = 'move';
              }}
              onClick={() => k.available && onAdd(k.kind as NodeKind)}
            >
              {textOf(k.label, lang)}
            </button>
          </Tooltip>
        ))}
      </div>
    </div>
  );
}

function Canvas({ proc }: { proc: ProcessDef }) {
  const t = useT();
  const lang = useLang();
  const pkg = useEditor((s) => s.present)!;
  const selection = useEditor((s) => s.selection);
  const problems = useProblemIndex();
  const { screenToFlowPosition, fitView, setCenter } = useReactFlow();
  const form = pkg.forms?.find((f) => f.id === proc.form);
  const refs = useMemo(() => fieldRefs(form), [form]);
  const fieldLabel = (k: string) => textOf(refs.find((r) => r.key === k)?.label, lang) || k;

  const built = useMemo<FwNode[]>(() => {
    const pos = positionsOf(proc);
    return proc.nodes.map((n) => {
      let summary = '';
      if (n.kind === 'approval') summary = `${assigneeWords(n.assignee, pkg.roles ?? [], fieldLabel, lang, t)} · ${modeWords(n.mode, n.ratio, t)}`;
      else if (n.kind === 'fill' || n.kind === 'cc') summary = assigneeWords(n.assignee, pkg.roles ?? [], fieldLabel, lang, t);
      else if (n.kind === 'end') summary = t(`结果：${outcomeWords(n.outcome, t)}`, `Outcome: ${outcomeWords(n.outcome, t)}`);
      else if (n.kind === 'wait') summary = n.until_field ? t(`等到「${fieldLabel(n.until_field)}」`, `Until "${fieldLabel(n.until_field)}"`) : t(`等待 ${n.hours ?? 0} 小时`, `Wait ${n.hours ?? 0} h`);
      else if (n.kind === 'action') summary = t(`设置 ${Object.keys(n.set ?? {}).length} 个字段`, `Sets ${Object.keys(n.set ?? {}).length} fields`);
      return {
        id: n.id,
        type: 'fw' as const,
        position: pos[n.id] ?? { x: 0, y: 0 },
        selected: selection.type === 'node' && selection.node === n.id,
        deletable: n.kind !== 'start',
        data: { def: n, summary, problems: (problems.get(`node:${proc.id}:${n.id}`) ?? []).map((p) => p.message) },
      };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [proc, pkg.roles, refs, lang, selection, problems]);
  const [nodes, setNodes] = useState<FwNode[]>(built);
  useEffect(() => setNodes(built), [built]);

  const edges = useMemo<FwEdge[]>(() => proc.edges.map((e, index) => {
    const from = proc.nodes.find((n) => n.id === e.from);
    let label = '';
    if (from?.kind === 'condition') label = e.default ? t('默认（其他情况）', 'Otherwise (default)') : e.when ? describeCondition(e.when, refs, lang, t) : t('未设置条件', 'No condition');
    else if (e.on && e.on !== 'approve' && e.on !== 'submit') label = actionWords(e.on, t);
    else if (e.on === 'submit' && from?.kind === 'fill') label = actionWords(e.on, t);
    return {
      id: `e${index}`,
      source: e.from,
      target: e.to,
      type: 'fw' as const,
      selected: selection.type === 'edge' && selection.edge === index,
      markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
      className: e.on === 'reject' || e.on === 'withdraw' ? 'edge-back' : undefined,
      data: { def: e, index, label, problems: (problems.get(`edge:${proc.id}:${index}`) ?? []).map((p) => p.message) },
    };
  }), [proc, refs, lang, t, selection, problems]);

  const onNodesChange = (changes: NodeChange<FwNode>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns));
    // Selecting with the keyboard (Tab to a node, Enter) reaches the panel too.
    const picked = changes.find((c) => c.type === 'select' && c.selected);
    if (picked && picked.type === 'select') useEditor.getState().select({ type: 'node', process: proc.id, node: picked.id });
  };
  const onEdgesChange = (changes: EdgeChange<FwEdge>[]) => {
    const picked = changes.find((c) => c.type === 'select' && c.selected);
    if (picked && picked.type === 'select') useEditor.getState().select({ type: 'edge', process: proc.id, edge: Number(picked.id.slice(1)) });
  };
  const insert = (edgeIndex: number, kind: NodeKind) => {
    let id = '';
    // As in 宜搭, the flow re-flows around an inserted step (one undo step with the insert).
    editProcess(proc.id, (p) => {
      id = insertOnEdge(p, edgeIndex, kind);
      p.layout = autoLayout(p);
    });
    if (id) useEditor.getState().select({ type: 'node', process: proc.id, node: id });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const kind = e.dataTransfer.getData('application/x-formwork-node') as NodeKind;
    if (!kind) return;
    const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    let id = '';
    editProcess(proc.id, (p) => {
      p.layout = { ...positionsOf(p), ...(p.layout ?? {}) };
      id = addNode(p, kind, { x: Math.round(at.x - 100), y: Math.round(at.y - 32) });
    });
    if (id) useEditor.getState().select({ type: 'node', process: proc.id, node: id });
  };

  return (
    <InsertContext.Provider value={insert}>
      <div className="flow-toolbar">
        <Tooltip title={t('按连线自动排列节点', 'Arrange nodes along the connections')}>
          <Button size="small" icon={<ApartmentOutlined />} onClick={() => { editProcess(proc.id, (p) => { p.layout = autoLayout(p); }); setTimeout(() => void fitView({ padding: 0.15, maxZoom: 1 }), 50); }}>
            {t('自动布局', 'Auto-layout')}
          </Button>
        </Tooltip>
        <Button size="small" icon={<CompressOutlined />} onClick={() => void fitView({ padding: 0.15, maxZoom: 1 })}>{t('适应画布', 'Zoom to fit')}</Button>
        <Select
          size="small"
          showSearch
          allowClear
          className="node-search"
          placeholder={t('搜索节点', 'Find a node')}
          aria-label={t('搜索节点', 'Find a node')}
          optionFilterProp="label"
          value={null}
          options={proc.nodes.map((n) => ({ value: n.id, label: `${textOf(n.name, lang) || n.id} (${n.id})` }))}
          onChange={(id: string | null) => {
            if (!id) return;
            const node = nodes.find((n) => n.id === id);
            if (node) void setCenter(node.position.x + 100, node.position.y + 32, { zoom: 1.1, duration: 300 });
            useEditor.getState().select({ type: 'node', process: proc.id, node: id });
          }}
        />
      </div>
      <div className="flow-canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; }} onDrop={onDrop}>
        <ReactFlow<FwNode, FwEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onNodeDragStop={(_, node) => editProcess(proc.id, (p) => {
            p.layout = { ...positionsOf(p), ...(p.layout ?? {}) };
            p.layout[node.id] = { x: Math.round(node.position.x), y: Math.round(node.position.y) };
          })}
          onNodeClick={(_, node) => useEditor.getState().select({ type: 'node', process: proc.id, node: node.id })}
          onEdgeClick={(_, edge) => useEditor.getState().select({ type: 'edge', process: proc.id, edge: edge.data?.index ?? Number(edge.id.slice(1)) })}
          onPaneClick={() => useEditor.getState().select({ type: 'none' })}
          onConnect={(c) => {
            let index: number | null = null;
            editProcess(proc.id, (p) => { index = connect(p, c.source, c.target); });
            if (index !== null) useEditor.getState().select({ type: 'edge', process: proc.id, edge: index });
          }}
          onDelete={({ nodes: goneNodes, edges: goneEdges }) => editProcess(proc.id, (p) => {
            // Removing a node takes (or bridges) its edges itself; React Flow also lists them.
            if (goneNodes.length) {
              for (const n of goneNodes) if (n.data.def.kind !== 'start') removeNode(p, n.id);
              return;
            }
            for (const i of goneEdges.map((e) => e.data?.index ?? -1).sort((a, b) => b - a)) if (i >= 0) removeEdge(p, i);
          })}
          deleteKeyCode={['Delete', 'Backspace']}
          fitView
          fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
          minZoom={0.2}
          maxZoom={2}
        >
          <Background gap={16} size={1} />
          <MiniMap pannable zoomable nodeStrokeWidth={2} style={{ width: 140, height: 100 }} ariaLabel={t('缩略图', 'Minimap')} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </InsertContext.Provider>
  );
}

function Inner() {
  const t = useT();
  const { modal } = AntApp.useApp();
  const proc = useEditor((s) => s.present?.processes?.find((p) => p.id === s.processId));
  const selection = useEditor((s) => s.selection);
  const clickAdd = (kind: NodeKind) => {
    if (!proc) return;
    const sel = useEditor.getState().selection;
    let id = '';
    if (sel.type === 'edge' && sel.process === proc.id) {
      editProcess(proc.id, (p) => { id = insertOnEdge(p, sel.edge, kind); });
    } else if (sel.type === 'node' && sel.process === proc.id && proc.edges.some((e) => e.from === sel.node)) {
      const edge = proc.edges.findIndex((e) => e.from === sel.node);
      editProcess(proc.id, (p) => { id = insertOnEdge(p, edge, kind); });
    } else {
      editProcess(proc.id, (p) => {
        const pos = positionsOf(p);
        p.layout = { ...pos, ...(p.layout ?? {}) };
        const maxY = Math.max(0, ...Object.values(pos).map((q) => q.y));
        id = addNode(p, kind, { x: 40, y: maxY + 120 });
      });
      modal.info({ title: t('节点已添加', 'Node added'), content: t('新节点还没有连线：从节点下方的圆点拖到目标节点即可连接。', 'The new node is not connected yet: drag from the dot under a node to another node to connect them.') });
    }
    if (id) useEditor.getState().select({ type: 'node', process: proc.id, node: id });
  };
  let panel = null;
  if (proc) {
    if (selection.type === 'node' && selection.process === proc.id && proc.nodes.some((n) => n.id === selection.node)) panel = <NodePanel proc={proc} nodeId={selection.node} />;
    else if (selection.type === 'edge' && selection.process === proc.id && proc.edges[selection.edge]) panel = <EdgePanel proc={proc} index={selection.edge} />;
    else panel = <ProcessPanel proc={proc} />;
  }
  return (
    <div className="three-pane">
      <aside className="pane-left" aria-label={t('流程与节点', 'Flows and nodes')}>
        <ProcessList />
        {proc && <NodePalette onAdd={clickAdd} />}
      </aside>
      <section className="pane-center flow-pane" aria-label={t('流程画布', 'Flow canvas')}>
        {proc ? <Canvas key={proc.id} proc={proc} /> : <Empty className="big-empty" description={t('还没有流程。新建一个流程，把审批挂到表单上。', 'No flows yet. Create one to put approvals on a form.')} />}
      </section>
      <aside className="pane-right" aria-label={t('属性', 'Properties')}>{panel}</aside>
    </div>
  );
}

export default function FlowDesigner() {
  return (
    <ReactFlowProvider>
      <Inner />
    </ReactFlowProvider>
  );
}
