// The field palette: every kind the runtime supports, grouped; drag onto the canvas or click.

import { useDraggable } from '@dnd-kit/core';
import {
  AlignLeftOutlined, ApartmentOutlined, BoldOutlined, CalendarOutlined, CheckCircleOutlined, CheckSquareOutlined,
  DownSquareOutlined, FieldNumberOutlined, FieldTimeOutlined, FontSizeOutlined, LinkOutlined, MailOutlined,
  MobileOutlined, NumberOutlined, OrderedListOutlined, PaperClipOutlined, PayCircleOutlined, PercentageOutlined,
  PhoneOutlined, SwapOutlined, SwitcherOutlined, TableOutlined, UserOutlined,
} from '@ant-design/icons';
import { createElement, type ComponentType } from 'react';
import { Typography } from 'antd';
import { useLang, useT } from '../i18n/lang';
import { GROUP_LABELS, KINDS, type KindSpec, type PaletteGroup } from '../model/fieldKinds';
import { textOf } from '../model/package';

const ICONS: Record<string, ComponentType> = {
  text: FontSizeOutlined, textarea: AlignLeftOutlined, rich_text: BoldOutlined, integer: NumberOutlined,
  decimal: FieldNumberOutlined, money: PayCircleOutlined, percent: PercentageOutlined, date: CalendarOutlined,
  datetime: FieldTimeOutlined, select: DownSquareOutlined, radio: CheckCircleOutlined, multi_select: CheckSquareOutlined,
  checkbox: SwitcherOutlined, mobile: MobileOutlined, landline: PhoneOutlined, email: MailOutlined, url: LinkOutlined,
  user: UserOutlined, department: ApartmentOutlined, relation: SwapOutlined, attachments: PaperClipOutlined,
  sub_table: TableOutlined, auto_number: OrderedListOutlined,
};

function PaletteItem({ spec, onAdd }: { spec: KindSpec; onAdd: (kind: KindSpec['kind']) => void }) {
  const lang = useLang();
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: `palette:${spec.kind}` });
  return (
    <button
      type="button"
      ref={setNodeRef}
      className={`palette-item${isDragging ? ' dragging' : ''}`}
      data-kind={spec.kind}
      {...listeners}
      {...attributes}
      onClick={() => onAdd(spec.kind)}
    >
      <span className="palette-icon" aria-hidden="true">{createElement(ICONS[spec.kind] ?? FontSizeOutlined)}</span>
      {textOf(spec.label, lang)}
    </button>
  );
}

export function Palette({ onAdd }: { onAdd: (kind: KindSpec['kind']) => void }) {
  const t = useT();
  const lang = useLang();
  const groups = Object.keys(GROUP_LABELS) as PaletteGroup[];
  return (
    <div className="side-block palette" aria-label={t('字段库', 'Field palette')}>
      <Typography.Text type="secondary" className="small">
        {t('拖入画布，或点击添加到选中字段之后', 'Drag onto the canvas, or click to add after the selected field')}
      </Typography.Text>
      {groups.map((g) => (
        <div key={g} className="palette-group">
          <div className="palette-title">{textOf(GROUP_LABELS[g], lang)}</div>
          <div className="palette-grid">
            {KINDS.filter((k) => k.group === g).map((k) => (
              <PaletteItem key={k.kind} spec={k} onAdd={onAdd} />
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
