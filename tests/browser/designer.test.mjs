// Issue 13 (designer), the smoke walk in a real browser against the real `formwork demo` server
// on a fresh SQLite database, with Debian's Chromium (nothing is downloaded):
//
//   designer-ui/build.sh && cargo build -p formwork && (cd tests/browser && npm ci && node --test designer.test.mjs)
//
// `analyst` opens /designer/ from the home page, creates an app, a role, a form with a few
// fields (one dragged into place, one with a pattern and its Chinese message, a select with
// options), a flow with an inserted approval step for the role, validates and publishes; the
// published package has it all. A second session saving the same draft meanwhile brings up the
// conflict dialog and merging keeps both edits. `sales1` gets the 403 page. Every designer
// screen is saved under screenshots/designer-*.png.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-3';

// The browser logs the refused stale save (412) as a failed request: that one is the point.
useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-designer-', shotPrefix: 'designer-', ignoreConsole: /status of 412/ });

async function signIn(page, username, next) {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

/** Waits for autosave to reach the server. */
async function saved(page) {
  await page.locator('.save-state', { hasText: '已保存' }).waitFor({ timeout: 15_000 });
}

/** The draft as the server has it, read with the page's own session. */
async function draftOf(page, app) {
  const res = await page.request.get(`${base}/api/v1/apps/${app}/draft`);
  assert.equal(res.status(), 200);
  return res.json();
}

/** Picks `option` (its visible text) in the antd select labelled `label`. */
async function pick(page, label, option) {
  await page.getByRole('combobox', { name: label, exact: true }).click();
  await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: option }).first().click();
}

/** Opens the "+" menu of an edge. The canvas settles (fit to view) right after it opens, and a
 * click during that is lost, so this clicks until the menu is open. */
async function openMenu(page, plus) {
  for (let i = 0; i < 10 && (await plus.getAttribute('aria-expanded')) !== 'true'; i++) {
    await plus.click();
    await page.waitForTimeout(200);
  }
}

/** Adds a field from the palette (a click adds it after the selected field) and labels it. */
async function addField(page, kind, label) {
  await page.locator(`.palette-item[data-kind="${kind}"]`).click();
  await page.locator('#field-label-zh').fill(label);
}

test('an analyst builds, validates and publishes an app in the designer', async () => {
  const page = await newPage();
  await signIn(page, 'analyst', '/');

  // The home page leads designers to the designer.
  await Promise.all([page.waitForURL(`${base}/designer/`), page.getByRole('link', { name: '应用设计器' }).click()]);
  await page.getByRole('button', { name: '新建应用' }).waitFor();
  await shot(page, '01-apps');

  // A blank app; its id comes from the name's pinyin.
  await page.getByRole('button', { name: '新建应用' }).click();
  await page.getByLabel('应用名称（中文）').fill('客户项目报备');
  await page.getByLabel('应用名称（英文）').fill('Client projects');
  await page.waitForFunction(() => document.querySelector('#id')?.value === 'ke-hu-xiang-mu-bao-bei');
  await shot(page, '02-new-app');
  await Promise.all([page.waitForURL(/\/designer\/apps\/ke-hu-xiang-mu-bao-bei/), page.getByRole('button', { name: '创建' }).click()]);
  const app = 'ke-hu-xiang-mu-bao-bei';
  await page.getByRole('button', { name: '新建表单' }).first().waitFor();
  await shot(page, '03-empty-app');

  // A role for the flow.
  await page.getByRole('tab', { name: '角色' }).click();
  await page.getByRole('button', { name: '添加角色' }).click();
  await page.getByLabel('角色标识').fill('director');
  await page.getByLabel('角色名称（中文）').fill('销售总监');
  await page.getByLabel('角色名称（英文）').fill('Sales director');
  await shot(page, '04-roles');

  // The form and its fields.
  await page.getByRole('tab', { name: '表单设计' }).click();
  await page.getByRole('button', { name: '新建表单' }).first().click();
  await page.getByLabel('表单名称（中文）').fill('项目登记');
  await page.getByRole('button', { name: '创建' }).click();
  await addField(page, 'text', '项目名称');
  await page.getByRole('switch', { name: '必填' }).click();
  await addField(page, 'mobile', '联系电话');
  await page.getByLabel('格式（正则表达式）').fill('^1[3-9]\\d{9}$');
  await page.getByLabel('试一试').fill('1380013800');
  await page.getByText('不符合', { exact: true }).waitFor();
  await page.locator('#pattern-message-zh').fill('请输入 11 位中国大陆手机号');
  await addField(page, 'money', '预计金额');
  await page.locator('.prop-inline', { hasText: '最小金额' }).locator('input').fill('0');
  await addField(page, 'select', '区域');
  await page.getByLabel('选项 1 中文名称').fill('华东');
  await page.getByLabel('选项 2 中文名称').fill('华北');
  await shot(page, '05-form-select-field');

  // Drag "区域" above "预计金额" with dnd-kit's keyboard sensor (Space, arrow, Space).
  const handle = page.locator('.field-card[data-field="qu_yu"] .drag-handle');
  await handle.focus();
  // dnd-kit picks up, moves and drops on separate frames.
  for (const key of ['Space', 'ArrowUp', 'Space']) {
    await page.keyboard.press(key);
    await page.waitForTimeout(250);
  }
  await page.waitForFunction(() => [...document.querySelectorAll('.field-card')].map((c) => c.dataset.field).join() === 'xiang_mu_ming_cheng,lian_xi_dian_hua,qu_yu,yu_ji_jin_e');
  await saved(page);
  let draft = await draftOf(page, app);
  assert.deepEqual(draft.package.forms[0].ui.order, ['xiang_mu_ming_cheng', 'lian_xi_dian_hua', 'qu_yu', 'yu_ji_jin_e']);
  assert.deepEqual(draft.package.forms[0].schema.required, ['xiang_mu_ming_cheng']);
  assert.equal(draft.package.forms[0].schema.properties.yu_ji_jin_e['x-formwork-minimum'], '0');
  assert.deepEqual(draft.package.forms[0].schema.properties.qu_yu.enum, ['华东', '华北']);
  assert.equal(draft.package.forms[0].ui.fields.lian_xi_dian_hua.messages.pattern['zh-CN'], '请输入 11 位中国大陆手机号');

  // Undo and redo (Ctrl+Z / Ctrl+Shift+Z) outside any text box.
  await page.locator('.form-title button').click();
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => [...document.querySelectorAll('.field-card')].map((c) => c.dataset.field).join() === 'xiang_mu_ming_cheng,lian_xi_dian_hua,yu_ji_jin_e,qu_yu');
  await page.keyboard.press('Control+Shift+z');
  await page.waitForFunction(() => [...document.querySelectorAll('.field-card')].map((c) => c.dataset.field).join() === 'xiang_mu_ming_cheng,lian_xi_dian_hua,qu_yu,yu_ji_jin_e');
  // Sections: the first one created gathers the fields; two columns for it.
  await page.getByRole('button', { name: /添加分组/ }).click();
  await page.locator('.section-title', { hasText: '基本信息' }).click();
  await page.locator('.ant-segmented-item', { hasText: '两列' }).click();
  await page.locator('.section-grid.cols-2').waitFor();
  // A palette item dragged with the mouse into the new, empty section.
  const source = await page.locator('.palette-item[data-kind="date"]').boundingBox();
  const target = await page.locator('.drop-hint').boundingBox();
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 12 });
  await page.mouse.up();
  await page.locator('.field-card[data-field="ri_qi"]').waitFor();
  await page.locator('#field-label-zh').fill('开始日期');
  await shot(page, '06-form');
  await saved(page);
  draft = await draftOf(page, app);
  assert.deepEqual(
    draft.package.forms[0].ui.sections.map((s) => [s.id, s.columns, s.fields]),
    [['basic', 2, ['xiang_mu_ming_cheng', 'lian_xi_dian_hua', 'qu_yu', 'yu_ji_jin_e']], ['section', 1, ['kai_shi_ri_qi']]],
  );
  assert.deepEqual(draft.package.forms[0].ui.order, ['xiang_mu_ming_cheng', 'lian_xi_dian_hua', 'qu_yu', 'yu_ji_jin_e', 'kai_shi_ri_qi']);

  // The flow: a new one starts with a department-head approval; "+" on the first connection
  // inserts a second approval, given to the director role.
  await page.getByRole('tab', { name: '流程设计' }).click();
  await page.getByRole('button', { name: '新建流程' }).click();
  await page.getByRole('button', { name: '创建' }).click();
  await page.locator('.fw-node[data-node="approval"]').waitFor();
  // The dialog's closing animation hands focus back to its opener; let it finish.
  await page.locator('.ant-modal').waitFor({ state: 'detached' });
  const plus = page.getByRole('button', { name: '在此处添加节点' }).first();
  await openMenu(page, plus);
  await page.getByRole('menuitem', { name: '审批' }).click();
  await page.locator('#node-name-zh').fill('销售总监审批');
  await pick(page, '处理人类型', '角色');
  // No role chosen yet: the server's problem is pinned to the node, and the problem list
  // leads back to it.
  await page.locator('.fw-node.has-problem').waitFor({ timeout: 15_000 });
  await page.locator('.fw-node[data-node="start"]').click();
  await page.getByRole('button', { name: /问题/ }).click();
  await page.locator('.problem-link').first().waitFor();
  await page.waitForTimeout(400); // the drawer slides in
  await shot(page, '07-flow-problem');
  await page.locator('.ant-drawer').getByRole('button', { name: /节点「销售总监审批」/ }).first().click();
  await page.locator('#node-name-zh').waitFor();
  assert.equal(await page.locator('#node-name-zh').inputValue(), '销售总监审批');
  await page.locator('.ant-drawer-open').waitFor({ state: 'detached' });
  await page.locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
  await pick(page, '角色', '销售总监 (director)');
  await page.locator('.fw-node.has-problem').waitFor({ state: 'detached', timeout: 15_000 });
  await page.locator('.mode-radio').getByText('会签').click();

  // A condition before it: "+" on the first connection, then a second branch drawn from the
  // condition to the department-head step, with its condition built row by row.
  await openMenu(page, plus);
  await page.getByRole('menuitem', { name: '条件分支' }).click();
  await page.locator('.fw-node[data-node="condition"]').waitFor();
  // A loaded machine can drop a drag's first moves; a drag that drew no edge is drawn again.
  for (let attempt = 0; ; attempt += 1) {
    await page.getByRole('button', { name: /适应画布/ }).click();
    await page.waitForTimeout(400);
    const from = await page.locator('.fw-node[data-node="condition"] .react-flow__handle-bottom').boundingBox();
    const to = await page.locator('.fw-node[data-node="approval"] .react-flow__handle-top').boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 15 });
    await page.mouse.up();
    try {
      await page.getByText('满足条件时').waitFor({ timeout: attempt < 2 ? 8_000 : 30_000 });
      break;
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
  await page.locator('.condition-builder button', { hasText: /^添加条件$/ }).click();
  await pick(page, '字段', '预计金额');
  await pick(page, '比较方式', '小于');
  await page.getByRole('spinbutton', { name: '值' }).fill('50000');
  await page.locator('.fw-edge-text', { hasText: '预计金额 小于 50000' }).waitFor();
  // A node dragged from the palette lands unconnected where it is dropped; Delete removes it.
  await page.locator('.node-item', { hasText: '抄送' }).dragTo(page.locator('.react-flow__pane'), { targetPosition: { x: 80, y: 80 } });
  await page.locator('.fw-node[data-node="cc"]').waitFor();
  await page.locator('.fw-node[data-node="cc"]').click();
  await page.keyboard.press('Delete');
  await page.locator('.fw-node[data-node="cc"]').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: '自动布局' }).click();
  await saved(page);
  await page.locator('.fw-edge-problem').waitFor({ state: 'detached' });
  await shot(page, '08-flow');
  draft = await draftOf(page, app);
  const flow = draft.package.processes[0];
  const added = flow.nodes.find((n) => n.name?.['zh-CN'] === '销售总监审批');
  assert.ok(added, 'the inserted approval is in the draft');
  assert.deepEqual(added.assignee, { type: 'role', role: 'director' });
  assert.equal(added.mode, 'all');
  assert.ok(flow.edges.some((e) => e.from === 'start' && e.to === 'condition'));
  assert.ok(flow.edges.some((e) => e.from === 'condition' && e.to === added.id && e.default));
  assert.ok(flow.edges.some((e) => e.from === 'condition' && e.to === 'approval' && e.when === 'yu_ji_jin_e < 50000'));
  assert.ok(flow.layout?.[added.id], 'node positions are saved');

  // Validate, then publish with the change summary.
  await page.getByRole('tab', { name: '发布与版本' }).click();
  // (antd icons inside buttons add their own names, e.g. "check-circle 校验".)
  await page.locator('.publish button', { hasText: '校验' }).click();
  await page.getByText('校验通过，可以发布。').waitFor();
  await page.locator('.publish button', { hasText: '发布' }).click();
  await page.locator('.ant-modal-confirm-title', { hasText: '首次发布？' }).waitFor();
  await shot(page, '09-publish-confirm');
  await page.getByRole('dialog').getByRole('button', { name: '发布', exact: true }).click();
  await page.locator('.versions-card').getByText('v1').waitFor();
  await page.locator('.ant-modal').waitFor({ state: 'detached' });
  await shot(page, '10-versions');
  const versions = await (await page.request.get(`${base}/api/v1/apps/${app}/versions`)).json();
  assert.equal(versions.length, 1);
  const published = await (await page.request.get(`${base}/api/v1/apps/${app}/versions/1`)).json();
  assert.equal(published.forms[0].id, 'xiang_mu_deng_ji');
  assert.equal(published.processes[0].nodes.length, 6);

  // Published keys are locked.
  await page.getByRole('tab', { name: '表单设计' }).click();
  await page.locator('.field-card[data-field="qu_yu"]').click();
  assert.equal(await page.getByLabel('字段标识').isDisabled(), true);

  // Someone else saves the draft meanwhile: the next save meets the conflict dialog, and a
  // merge keeps both edits.
  const other = await newPage();
  await signIn(other, 'admin', '/');
  draft = await draftOf(other, app);
  draft.package.roles.push({ id: 'ceo', name: { 'zh-CN': '总经理' } });
  const put = await other.request.put(`${base}/api/v1/apps/${app}/draft`, {
    data: draft.package,
    headers: { 'If-Match': `"${draft.rev}"` },
  });
  assert.equal(put.status(), 200);
  await page.locator('#field-label-zh').fill('所属区域');
  await page.getByRole('dialog').getByText('草稿已被他人修改').waitFor({ timeout: 15_000 });
  await shot(page, '11-conflict');
  await page.getByRole('button', { name: '合并双方修改' }).click();
  await saved(page);
  draft = await draftOf(page, app);
  assert.ok(draft.package.roles.some((r) => r.id === 'ceo'), 'their role survives');
  assert.equal(draft.package.forms[0].ui.fields.qu_yu.label['zh-CN'], '所属区域', 'my label survives');

  // English, for a look.
  await page.locator('.topbar .ant-segmented-item', { hasText: 'EN' }).click();
  await page.getByRole('tab', { name: 'Flows' }).click();
  await page.locator('.fw-node').first().waitFor();
  await shot(page, '12-flow-en');

  assert.deepEqual(page.problems, []);
  assert.deepEqual(other.problems, []);
  await page.context().close();
  await other.context().close();
});

test('people who are not designers get a clear 403 page', async () => {
  const page = await newPage();
  await signIn(page, 'sales1', '/');
  assert.equal(await page.getByRole('link', { name: '应用设计器' }).count(), 0);
  const res = await page.goto(`${base}/designer/`);
  assert.equal(res.status(), 403);
  await page.getByText('设计器只对管理员和应用设计者开放').waitFor();
  await shot(page, '13-forbidden');
  const asset = await page.request.get(`${base}/designer/assets/missing-asset.js`);
  assert.equal(asset.status(), 403, 'assets are for designers too');
  await page.context().close();
});

test('a missing asset is a 404, never the app page', async () => {
  const page = await newPage();
  await signIn(page, 'analyst', '/');
  const res = await page.request.get(`${base}/designer/assets/missing-asset.js`);
  assert.equal(res.status(), 404);
  const route = await page.request.get(`${base}/designer/apps/any/flow`);
  assert.equal(route.status(), 200);
  assert.match(await route.text(), /<div id="root"><\/div>/);
  await page.context().close();
});
