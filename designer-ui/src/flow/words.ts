// How flow things read in words: assignee rules, approval modes, edge actions.

import type { T } from '../i18n/lang';
import type { ApprovalMode, AssigneeDef, EdgeAction, Lang, RoleDef, Text } from '../model/package';
import { textOf } from '../model/package';

export function assigneeWords(a: AssigneeDef | undefined, roles: RoleDef[], fieldLabel: (key: string) => string, lang: Lang, t: T): string {
  if (!a) return t('未设置处理人', 'No assignee');
  switch (a.type) {
    case 'user':
      return t(`指定成员：${a.username || '未选择'}`, `Person: ${a.username || 'none'}`);
    case 'role': {
      const role = roles.find((r) => r.id === a.role);
      return t(`角色：${textOf(role?.name, lang) || a.role || '未选择'}`, `Role: ${textOf(role?.name, lang) || a.role || 'none'}`);
    }
    case 'department_head':
      return (a.levels ?? 1) === 1 ? t('发起人的部门负责人', "Submitter's department head") : t(`发起人的第 ${a.levels} 级上级负责人`, `Department head ${a.levels} levels up`);
    case 'submitter':
      return t('发起人本人', 'The submitter');
    case 'field':
      return t(`表单字段「${fieldLabel(a.field)}」中的成员`, `Person in field "${fieldLabel(a.field)}"`);
    case 'table':
      return t(`按路由表（${a.rows.length} 条规则）`, `Routing table (${a.rows.length} rows)`);
    case 'expression':
      return t('按表达式', 'By expression');
  }
}

export function modeWords(mode: ApprovalMode | undefined, ratio: number | undefined, t: T): string {
  switch (mode ?? 'single') {
    case 'single':
      return t('单人审批', 'Single approver');
    case 'all':
      return t('会签（须所有人同意）', 'All must approve (会签)');
    case 'any':
      return t('或签（一人同意即可）', 'Any one approves (或签)');
    case 'sequential':
      return t('依次审批', 'One after another (依次)');
    case 'vote':
      return t(`票签（${Math.round((ratio ?? 0.5) * 100)}% 同意通过）`, `Vote (${Math.round((ratio ?? 0.5) * 100)}% approve)`);
  }
}

export function actionWords(on: EdgeAction | undefined, t: T): string {
  const words: Record<EdgeAction, [string, string]> = {
    approve: ['同意', 'approve'],
    reject: ['驳回', 'reject'],
    return: ['退回', 'return'],
    submit: ['提交', 'submit'],
    withdraw: ['撤回', 'withdraw'],
  };
  return on ? t(...words[on]) : '';
}

export const outcomeWords = (o: string, t: T) =>
  ({ approved: t('通过', 'approved'), rejected: t('驳回', 'rejected'), withdrawn: t('撤回', 'withdrawn'), completed: t('完成', 'completed') })[o] ?? o;

export const nameOf = (name: Text | undefined, id: string, lang: Lang) => textOf(name, lang) || id;
