// Issue 13's must-show walk, in a real browser against the real `formwork demo` server:
//
//   designer-ui/build.sh && cargo build -p formwork && (cd tests/browser && npm ci && node --test designer-walk.test.mjs)
//
// `analyst` creates an empty app and builds the project-registration form (name, customer,
// contact phone with its pattern and Chinese message, amount as money ≥ 0, region with the seven
// options, start/end dates with end ≥ start, milestones sub-table) and its approval flow (the
// amount tiers by a routing table, the CEO step above 100,000, the 华东 step) only through the
// designer, with a flow test case, and tries the form in the live preview; `admin` publishes;
// `sales1` submits 49,999.99 / 50,000 / 100,000 / 100,000.01 in 华东 and 华北 to it and to the
// shipped sample, and every approver chain is the same. The analyst's actions are counted and
// printed; every designer screen is saved under screenshots/walk-*.png. The built package,
// exported, validates clean.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, newPage, shot, useDemoServer } from './harness.mjs';

const PASSWORD = 'browser-test-pass-4';
useDemoServer({ password: PASSWORD, tmpPrefix: 'formwork-walk-', shotPrefix: 'walk-' });

const APP = 'prj-walk';
let actions = 0;

async function signIn(page, username, next = '/') {
  await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${base}${next}`), page.click('form[action="/login"] button[type=submit]')]);
}

// The analyst's actions, each counted once.
const click = async (locator, options) => { actions++; await locator.click(options); };
const fill = async (locator, text) => { actions++; await locator.fill(text); };

/** Picks `option` (visible text) in the antd select labelled `label` inside `scope`. */
/** Picks `option` in the select labelled `label`; opens the list again if it closed before
 * the option could be clicked (on a busy machine a list may still be closing from the last pick). */
async function pick(page, scope, label, option) {
  const box = scope.getByRole('combobox', { name: label, exact: true }).last();
  const item = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: option }).first();
  for (let attempt = 0; ; attempt++) {
    await click(box);
    try {
      await item.click({ timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt === 2) throw e;
    }
  }
  actions++;
}

async function saved(page) {
  await page.locator('.save-state', { hasText: '已保存' }).waitFor({ timeout: 15_000 });
}

async function addField(page, kind, label, key) {
  await click(page.locator(`.palette-item[data-kind="${kind}"]`));
  await fill(page.locator('#field-label-zh'), label);
  const keyBox = page.getByRole('textbox', { name: '字段标识', exact: true });
  await fill(keyBox, key);
  await keyBox.press('Enter');
  await page.locator(`.field-card[data-field="${key}"]`).waitFor();
}

/** Fills one row of a condition builder inside `scope`. */
async function condition(page, scope, field, op, value) {
  await click(scope.locator('.condition-builder button', { hasText: /^添加条件$/ }).last());
  const row = scope.locator('.cb-row').last();
  await pick(page, row, '字段', field);
  await pick(page, row, '比较方式', op);
  if (value === undefined) return;
  const box = row.getByRole('spinbutton', { name: '值' });
  if (await box.count()) await fill(box, String(value));
  else await pick(page, row, '值', value);
}

const centre = (b) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/** The label of the connection from node `from` to node `to` (a flow has at most one). */
const edgeLabel = (page, from, to) => page.locator(`.fw-edge-label[data-edge-from="${from}"][data-edge-to="${to}"]`);

/** The element of `selector` on the connection from `from` to `to`, once it is drawn. */
async function between(page, selector, from, to) {
  const el = edgeLabel(page, from, to).locator(selector);
  await el.waitFor();
  return el;
}

/** Inserts a node of `kind` (menu text) on the connection from → to with its "+". */
async function insert(page, from, to, kind, id) {
  await page.getByRole('button', { name: /适应画布/ }).click();
  await page.waitForTimeout(300);
  const plus = await between(page, '.fw-edge-plus', from, to);
  for (let i = 0; i < 10 && (await plus.getAttribute('aria-expanded')) !== 'true'; i++) {
    await click(plus);
    await page.waitForTimeout(200);
  }
  await click(page.getByRole('menuitem', { name: kind }));
  await page.locator(`.fw-node[data-node="${id}"]`).waitFor();
  await page.getByRole('button', { name: '自动布局' }).click();
  await page.waitForTimeout(300);
}

/** Where a handle sits once the canvas has stopped moving (a busy machine may still be laying
 * out or fitting the flow when the first box is read). */
async function settledBox(page, selector) {
  let last = null;
  for (let i = 0; i < 20; i++) {
    const box = await page.locator(selector).boundingBox();
    if (box && last && Math.abs(box.x - last.x) < 0.5 && Math.abs(box.y - last.y) < 0.5) return box;
    last = box;
    await page.waitForTimeout(150);
  }
  return last;
}

/** What the pointer would meet at each point: the node it is in and whether it is a handle. */
async function met(page, points) {
  return page.evaluate((ps) => ps.map(({ x, y }) => {
    const el = document.elementFromPoint(x, y);
    if (!el) return { node: null, handle: false, what: 'nothing' };
    return {
      node: el.closest('.fw-node')?.getAttribute('data-node') ?? null,
      handle: el.classList.contains('react-flow__handle'),
      what: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`,
    };
  }), points);
}

/** Draws a connection by dragging from one node's bottom handle to another's top handle. It
 * presses only once both handles are under the points it read (a press on the canvas pans it,
 * and on a busy machine the canvas may still be moving after a fit), and fits the canvas anew
 * before each attempt. */
async function connect(page, from, to) {
  await page.getByRole('button', { name: '自动布局' }).click();
  // Success is the connection itself: on a busy machine it may be drawn after the wait below,
  // and a second drop would then be refused as a duplicate.
  const edge = edgeLabel(page, from, to);
  if (await edge.count()) throw new Error(`${from} was already connected to ${to}`);
  for (let attempt = 0; attempt < 8; attempt++) {
    await page.waitForTimeout(300);
    await page.getByRole('button', { name: /适应画布/ }).click();
    await page.waitForTimeout(400);
    const a = await settledBox(page, `.fw-node[data-node="${from}"] .react-flow__handle-bottom`);
    const b = await settledBox(page, `.fw-node[data-node="${to}"] .react-flow__handle-top`);
    const [p, q] = [centre(a), centre(b)];
    const [atP, atQ] = await met(page, [p, q]);
    if (!(atP.handle && atP.node === from && atQ.handle && atQ.node === to)) {
      console.log(`connect ${from} → ${to}, attempt ${attempt + 1}: the handles are not under the pointer yet (${atP.what}, ${atQ.what})`);
      continue;
    }
    actions++;
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(q.x, q.y, { steps: 15 });
    await page.mouse.up();
    for (let i = 0; i < 25 && !(await edge.count()); i++) await page.waitForTimeout(200);
    if (await edge.count()) return;
    console.log(`connect ${from} → ${to}, attempt ${attempt + 1}: the drop made no connection`);
  }
  await shot(page, `failed-connect-${from}-${to}`);
  throw new Error(`could not connect ${from} to ${to}`);
}

/** Selects node `id` and waits until the property panel shows it (on a busy machine the panel
 * may still show the node selected before, and the next edits would land there). */
async function select(page, id) {
  const idBox = page.locator('.prop-panel').getByRole('textbox', { name: '节点标识', exact: true });
  await click(page.locator(`.fw-node[data-node="${id}"]`));
  for (let i = 0; i < 50; i++) {
    if ((await idBox.count()) && (await idBox.inputValue()) === id) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the panel did not show node ${id}`);
}

async function approvalNode(page, id, name, role) {
  await select(page, id);
  await fill(page.locator('#node-name-zh'), name);
  // The node shows a problem until its role is set: pick again if a busy machine lost it.
  const troubled = page.locator(`.fw-node.has-problem[data-node="${id}"]`);
  for (let attempt = 0; ; attempt++) {
    await pick(page, page.locator('.prop-panel'), '处理人类型', '角色');
    await pick(page, page.locator('.prop-panel'), '角色', role);
    try {
      await troubled.waitFor({ state: 'detached', timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt === 2) throw e;
    }
  }
}

/** Sales1's eight boundary submissions. */
const CASES = ['49999.99', '50000', '100000', '100000.01'].flatMap((amount) =>
  ['华东', '华北'].map((region) => ({ amount, region })));

test('an analyst builds the project registration app in the designer alone, and it routes like the sample', async () => {
  const page = await newPage();
  await signIn(page, 'analyst');
  await Promise.all([page.waitForURL(`${base}/designer/`), click(page.getByRole('link', { name: '应用设计器' }))]);

  // An empty app.
  await click(page.getByRole('button', { name: '新建应用' }));
  await fill(page.getByLabel('应用名称（中文）'), '项目登记（设计器搭建）');
  await fill(page.getByLabel('应用名称（英文）'), 'Project registration (designer)');
  await fill(page.locator('#id'), APP);
  await Promise.all([page.waitForURL(new RegExp(`/designer/apps/${APP}`)), click(page.getByRole('button', { name: '创建' }))]);
  await page.getByRole('button', { name: '新建表单' }).first().waitFor();

  // Roles the flow and the permissions use.
  await click(page.getByRole('tab', { name: '角色' }));
  for (const [id, zh] of [['sales', '销售'], ['director', '销售总监'], ['ceo', '总经理'], ['east_head', '华东区负责人']]) {
    await click(page.getByRole('button', { name: '添加角色' }));
    await fill(page.getByLabel('角色标识').last(), id);
    await fill(page.getByLabel('角色名称（中文）').last(), zh);
  }
  await shot(page, '01-roles');

  // The form, field by field.
  await click(page.getByRole('tab', { name: '表单设计' }));
  await click(page.getByRole('button', { name: '新建表单' }).first());
  await fill(page.getByLabel('表单名称（中文）'), '项目登记');
  await click(page.getByRole('button', { name: '创建' }));
  await addField(page, 'text', '项目名称', 'name');
  await click(page.getByRole('switch', { name: '必填' }));
  await addField(page, 'text', '客户', 'customer');
  await click(page.getByRole('switch', { name: '必填' }));
  await addField(page, 'mobile', '联系电话', 'contact_phone');
  await fill(page.getByLabel('格式（正则表达式）'), '^1[3-9]\\d{9}$');
  await fill(page.locator('#pattern-message-zh'), '请输入 11 位中国大陆手机号');
  await addField(page, 'money', '预计金额（元）', 'amount');
  await click(page.getByRole('switch', { name: '必填' }));
  await fill(page.locator('.prop-inline', { hasText: '最小金额' }).locator('input'), '0');
  await addField(page, 'select', '区域', 'region');
  const regions = ['华东', '华南', '华北', '华中', '西南', '西北', '东北'];
  for (const [i, r] of regions.entries()) {
    if (i >= 2) await click(page.getByRole('button', { name: /添加选项/ }));
    await fill(page.getByLabel(`选项 ${i + 1} 中文名称`), r);
  }
  await shot(page, '02-region-options');
  await addField(page, 'date', '开始日期', 'start_date');
  await addField(page, 'date', '结束日期', 'end_date');
  await addField(page, 'sub_table', '里程碑', 'milestones');
  for (const [kind, label, key] of [['单行文本', '标题', 'title'], ['日期', '截止日期', 'due_date'], ['单行文本', '负责人', 'owner']]) {
    await click(page.locator('.field-card[data-field="milestones"]').getByRole('button', { name: /添加列/ }));
    await click(page.getByRole('menuitem', { name: kind, exact: true }));
    await fill(page.locator('#field-label-zh'), label);
    const keyBox = page.getByRole('textbox', { name: '字段标识', exact: true });
    await fill(keyBox, key);
    await keyBox.press('Enter');
  }
  await shot(page, '03-form-fields');

  // End date on or after the start date (either may be left empty): a cross-field check.
  await click(page.locator('.form-title button'));
  await click(page.getByRole('button', { name: /添加跨字段校验/ }));
  const check = page.locator('.check-card').last();
  await click(check.locator('.ant-segmented-item', { hasText: '任一满足（或）' }));
  await condition(page, check, '结束日期', '为空');
  await condition(page, check, '开始日期', '为空');
  await click(check.locator('.condition-builder button', { hasText: /^添加条件$/ }).last());
  const row = check.locator('.cb-row').last();
  await pick(page, row, '字段', '结束日期');
  await pick(page, row, '比较方式', '大于等于');
  await pick(page, row, '值或字段', '字段');
  await pick(page, row, '比较的字段', '开始日期');
  await pick(page, check, '提示显示在', '结束日期');
  await fill(page.locator('#check-0-zh'), '结束日期不能早于开始日期');
  await shot(page, '04-form-checks');
  await saved(page);

  // The live preview: the server's own page of the draft; its submit only checks.
  await click(page.getByRole('button', { name: /预览与试填/ }));
  const frame = page.frameLocator('.preview-frame');
  await frame.locator('[data-preview-notice]').waitFor({ timeout: 15_000 });
  await fill(frame.locator('input[name="contact_phone"]'), '12345');
  await click(frame.getByRole('button', { name: '提交', exact: true }));
  await frame.getByText('请输入 11 位中国大陆手机号').first().waitFor({ timeout: 15_000 });
  await shot(page, '05-preview');
  await click(page.locator('.ant-drawer-close'));

  // The flow: a routing table picks the first approver by amount, a condition adds the CEO
  // above 100,000, another the 华东 head.
  await click(page.getByRole('tab', { name: '流程设计' }));
  await click(page.getByRole('button', { name: '新建流程' }));
  await click(page.getByRole('button', { name: '创建' }));
  await page.locator('.fw-node[data-node="approval"]').waitFor();
  await page.locator('.ant-modal').waitFor({ state: 'detached' });
  await select(page, 'approval');
  await fill(page.locator('#node-name-zh'), '金额分级审批');
  await pick(page, page.locator('.prop-panel'), '处理人类型', '路由表（按条件选审批人）');
  // A new routing table has a first row (to the department head) and an "otherwise" row.
  const first = page.locator('.route-row').first();
  await condition(page, first, '预计金额（元）', '小于', 50000);
  const otherwise = page.locator('.route-row').last();
  await pick(page, otherwise, '角色', '销售总监');
  await shot(page, '06-routing-table');

  await insert(page, 'approval', 'approved', '条件分支', 'condition');
  await insert(page, 'condition', 'approved', '条件分支', 'condition_2');
  await insert(page, 'condition_2', 'approved', '审批', 'approval_2');
  await approvalNode(page, 'approval_2', '华东区负责人审批', '华东区负责人');
  await insert(page, 'condition', 'condition_2', '审批', 'approval_3');
  await approvalNode(page, 'approval_3', '总经理审批', '总经理');

  // condition → CEO only above 100,000; otherwise on to the region.
  await click(await between(page, '.fw-edge-text', 'condition', 'approval_3'));
  await click(page.locator('.prop-panel .ant-radio-wrapper', { hasText: '满足条件时' }));
  await condition(page, page.locator('.prop-panel'), '预计金额（元）', '大于', 100000);
  await connect(page, 'condition', 'condition_2');
  // condition_2 → the 华东 head only for 华东; otherwise approved.
  await click(await between(page, '.fw-edge-text', 'condition_2', 'approval_2'));
  await click(page.locator('.prop-panel .ant-radio-wrapper', { hasText: '满足条件时' }));
  await condition(page, page.locator('.prop-panel'), '区域', '等于', '华东');
  await connect(page, 'condition_2', 'approved');
  await click(page.getByRole('button', { name: '自动布局' }));
  await saved(page);
  await page.locator('.fw-edge-problem, .fw-node.has-problem').first().waitFor({ state: 'detached', timeout: 15_000 });
  await shot(page, '07-flow');

  // A flow test case: 100,000 in 华东 reaches the director, then the 华东 head.
  await click(page.getByRole('tab', { name: '流程测试' }));
  await click(page.getByRole('button', { name: /添加用例/ }));
  await shot(page, '08a-case-added');
  await fill(page.getByLabel('用例名称'), '10 万 · 华东');
  await pick(page, page.locator('.tests-pane'), '添加样例字段', '预计金额（元）');
  await fill(page.getByRole('textbox', { name: '预计金额（元）' }), '100000');
  await pick(page, page.locator('.tests-pane'), '添加样例字段', '区域');
  await pick(page, page.locator('.tests-pane'), '区域', '华东');
  const expect = page.getByLabel('期望审批人');
  await fill(expect, 'director → east_head');
  await expect.press('Enter');
  await saved(page);
  await page.locator('[data-test-result="pass"]').waitFor({ timeout: 20_000 });
  await shot(page, '08-flow-tests');

  // Versions: the analyst validates; the admin publishes.
  await click(page.getByRole('tab', { name: '发布与版本' }));
  await click(page.locator('.publish button', { hasText: '校验' }));
  await page.getByText('校验通过，可以发布。').waitFor();
  await shot(page, '09-validated');
  console.log(`analyst actions: ${actions}`);

  const admin = await newPage();
  await signIn(admin, 'admin');
  await admin.goto(`${base}/designer/apps/${APP}/versions`);
  await admin.locator('.publish button', { hasText: '发布' }).click();
  await admin.getByRole('dialog').getByLabel('发布说明').fill('首个版本：金额分级与华东区审批');
  await admin.getByRole('dialog').getByRole('button', { name: '发布', exact: true }).click();
  // Publishing validates and runs every flow test case first: wait for its outcome, whichever it
  // is, so a refusal fails with the page's own words instead of a bare timeout.
  const v1 = admin.locator('.versions-card').getByText('v1');
  const refused = admin.locator('.ant-message-error')
    .or(admin.getByText('有流程测试用例未通过'))
    .or(admin.getByText('草稿已被他人修改'));
  await v1.or(refused).first().waitFor({ timeout: 60_000 });
  if (!(await v1.isVisible())) {
    await shot(admin, '10-publish-refused');
    assert.fail(`publishing was refused: ${(await refused.first().innerText()).slice(0, 500)}`);
  }
  await admin.locator('.ant-modal').waitFor({ state: 'detached' });
  await shot(admin, '10-published');

  // The built package, exported, validates clean when imported as another app.
  const exported = await (await admin.request.get(`${base}/api/v1/apps/${APP}/versions/1`)).json();
  exported.id = 'prj-walk-copy';
  const copy = await admin.request.post(`${base}/api/v1/apps`, { data: exported });
  assert.equal(copy.status(), 201);
  assert.deepEqual((await copy.json()).problems, [], 'the exported package validates clean');

  // sales1 submits the boundary amounts to the built app and to the sample; each approver
  // chain (approving every step) is the same.
  const sales = await newPage();
  await signIn(sales, 'sales1');
  const deciders = {};
  const as = async (username) => {
    if (!deciders[username]) {
      deciders[username] = await newPage();
      await signIn(deciders[username], username);
    }
    return deciders[username];
  };
  const walk = async (app, form, data) => {
    const res = await sales.request.post(`${base}/api/v1/apps/${app}/forms/${form}/records`, { data });
    assert.equal(res.status(), 201, await res.text());
    const record = (await res.json()).id;
    const chain = [];
    for (let step = 0; step < 6; step++) {
      const tl = await (await sales.request.get(`${base}/api/v1/records/${record}/timeline`)).json();
      // The steps the process waits for now, one entry per open task.
      const current = tl.entries.filter((e) => e.state === 'current');
      if (!current.length) break;
      const who = current.flatMap((e) => e.assignees.map((a) => a.username)).sort();
      chain.push(who.join('+'));
      const w = current[0];
      const p = await as(w.assignees[0].username);
      const done = await p.request.post(`${base}/api/v1/tasks/${w.detail.task_id}/decide`, { data: { action: 'approve' } });
      assert.equal(done.status(), 200, await done.text());
    }
    return chain;
  };
  const form = exported.forms[0].id;
  for (const c of CASES) {
    const data = { name: `边界 ${c.amount}`, customer: '客户甲', contact_phone: '13800138000', amount: c.amount, region: c.region, start_date: '2026-01-01', end_date: '2026-06-30' };
    const built = await walk(APP, form, data);
    const sample = await walk('project-registration', 'project', data);
    console.log(`${c.amount} ${c.region}: ${built.join(' → ')}`);
    assert.deepEqual(built, sample, `${c.amount} ${c.region}`);
  }

  // A change after publishing reads as words in the versions tab (the server's diff).
  await page.getByRole('tab', { name: '表单设计' }).click();
  await page.locator('.field-card[data-field="amount"]').click();
  await page.locator('#field-label-zh').fill('预计合同金额（元）');
  await saved(page);
  await page.getByRole('tab', { name: '发布与版本' }).click();
  await page.locator('.change-list li', { hasText: '修改字段「预计合同金额（元）」：标题' }).first().waitFor({ timeout: 15_000 });
  await shot(page, '11-diff');

  assert.deepEqual(page.problems, []);
  assert.deepEqual(admin.problems, []);
});
