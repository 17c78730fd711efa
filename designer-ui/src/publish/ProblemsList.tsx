// Problems the server found, each naming where it is; clicking one selects that place.

import { Empty, List, Typography } from 'antd';
import type { FieldError } from '../api/client';
import { useLang, useT } from '../i18n/lang';
import { textOf, type AppPackage } from '../model/package';
import { targetOf } from '../model/problems';

/** Where a problem is, in words: `表单「项目登记」· 字段 amount`. */
export function placeOf(pointer: string, pkg: AppPackage, lang: 'zh-CN' | 'en'): string {
  const target = targetOf(pointer, pkg);
  const en = lang === 'en';
  if (target.type === 'form') {
    const f = pkg.forms?.find((x) => x.id === target.form);
    const label = target.key ? textOf(f?.ui?.fields?.[target.key]?.label, lang) || target.key : '';
    return `${en ? 'Form' : '表单'}「${textOf(f?.name, lang)}」${target.key ? ` · ${en ? 'field' : '字段'}「${label}」` : ''}`;
  }
  if (target.type === 'process') {
    const p = pkg.processes?.find((x) => x.id === target.process);
    const node = target.node ? p?.nodes.find((n) => n.id === target.node) : undefined;
    const edge = target.edge !== undefined ? p?.edges[target.edge] : undefined;
    const nodeName = (id: string) => textOf(p?.nodes.find((n) => n.id === id)?.name, lang) || id;
    return `${en ? 'Flow' : '流程'}「${textOf(p?.name, lang)}」${node ? ` · ${en ? 'node' : '节点'}「${textOf(node.name, lang) || node.id}」` : ''}${edge ? ` · ${en ? 'connection' : '连线'} ${nodeName(edge.from)} → ${nodeName(edge.to)}` : ''}`;
  }
  if (target.type === 'role') return `${en ? 'Role' : '角色'} ${pkg.roles?.[target.index]?.id ?? target.index + 1}`;
  return en ? 'App' : '应用';
}

export function ProblemsList({ problems, pkg, onPick }: { problems: FieldError[]; pkg: AppPackage; onPick: (pointer: string) => void }) {
  const t = useT();
  const lang = useLang();
  if (!problems.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('没有发现问题', 'No problems found')} />;
  return (
    <List
      size="small"
      className="problems-list"
      dataSource={problems}
      renderItem={(p) => (
        <List.Item>
          <button type="button" className="problem-link" onClick={() => onPick(p.path)}>
            <Typography.Text type="danger">{p.message}</Typography.Text>
            <span className="problem-place">{placeOf(p.path, pkg, lang)}<span className="mono muted"> {p.path}</span></span>
          </button>
        </List.Item>
      )}
    />
  );
}
