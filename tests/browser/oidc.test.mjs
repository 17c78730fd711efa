// Issue 11 point 5, sign-in with OpenID Connect, against a real provider: the `oidc-provider`
// package (a certified OpenID Provider) runs in this process on a free loopback port, with Formwork
// registered as a confidential client for its callback, and the real `formwork demo` server is
// configured for it. Debian's Chromium walks the sign-in as a person would.
//
//   cargo build -p formwork && (cd tests/browser && npm ci && node --test oidc.test.mjs)
//
// - sales1 clicks 使用企业账号登录 on /login, signs in at the provider and lands back signed in as
//   sales1 (matched by preferred_username);
// - a person Formwork does not know is created with the configured role;
// - an answer whose `state` was tampered with is refused, and no session is left;
// - an ID token carrying another sign-in's `nonce` is refused (the code, PKCE and state are all
//   right: only the nonce is wrong), and no session is left;
// - a user suspended in Formwork is refused although the provider signs them in.
// Screenshots go to ./screenshots/oidc-*.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import { base, newPage, shot, useDemoServer, workDir } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.FORMWORK_BIN || path.resolve(here, '../../target/debug/formwork');
const PASSWORD = 'browser-test-pass-oidc';
const CLIENT_ID = 'formwork';
const CLIENT_SECRET = 'a-client-secret-of-the-test-provider';

// The provider's people: the login typed at the provider is the account id (`sub`).
const ACCOUNTS = {
  sales1: { preferred_username: 'sales1', email: 'sales1@example.com', name: '华东销售 张伟' },
  sales2: { preferred_username: 'sales2', email: 'sales2@example.com', name: '华北销售 李娜' },
  'ext-7001': { preferred_username: 'zhao.liu', email: 'zhao.liu@example.com', name: '赵六' },
};

let issuer;
let providerServer;

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The provider's own sign-in page: one field (the account) and a button. */
async function interaction(provider, req, res) {
  const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url);
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST' && match[2]) {
    const body = await new Promise((resolve) => {
      let data = '';
      req.on('data', (d) => { data += d; });
      req.on('end', () => resolve(new URLSearchParams(data)));
    });
    await provider.interactionFinished(req, res, { login: { accountId: body.get('login') } }, { mergeWithLastSubmission: false });
    return;
  }
  assert.equal(details.prompt.name, 'login', 'consent is granted by loadExistingGrant');
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test identity provider</title>
<style>body{font:16px sans-serif;max-width:360px;margin:60px auto}input,button{font:inherit;width:100%;margin:6px 0;padding:8px;box-sizing:border-box}</style></head>
<body><h1>Test identity provider</h1><p>Signing in to <b>${escapeHtml(details.params.client_id)}</b></p>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label for="login">Account</label><input id="login" name="login" autofocus>
<button id="provider-sign-in" type="submit">Sign in</button></form></body></html>`);
}

/** Starts oidc-provider on a free loopback port for Formwork's callback at `redirectUri`. */
async function startProvider(redirectUri) {
  providerServer = http.createServer();
  await new Promise((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${providerServer.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    // Profile claims come from the UserInfo endpoint, not the ID token (the provider's
    // conforming default), so Formwork's UserInfo step is walked too.
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    cookies: { keys: ['a-cookie-key-of-the-test-provider'] },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    async findAccount(_ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account, email_verified: true }) };
    },
    // First-party client: consent is implied, so the provider asks only who you are.
    async loadExistingGrant(ctx) {
      const { client, session, result } = ctx.oidc;
      const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (!session.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    // Its own error page, without the default's web font from elsewhere.
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>provider error</title><pre id="provider-error">${escapeHtml(JSON.stringify(out))}</pre>`;
    },
  });
  const callback = provider.callback();
  providerServer.on('request', (req, res) => {
    if (req.url === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
    } else if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    } else {
      callback(req, res);
    }
  });
}

after(() => providerServer?.close());

useDemoServer({
  password: PASSWORD,
  tmpPrefix: 'formwork-oidc-',
  shotPrefix: 'oidc-',
  // The refusals are pages with an error status, which Chromium reports on the console.
  ignoreConsole: /status of 40[03]/,
  async configure({ base: formwork }) {
    await startProvider(`${formwork}/login/oidc/callback`);
    return {
      env: {
        FORMWORK_OIDC_ISSUER: issuer,
        FORMWORK_OIDC_CLIENT_ID: CLIENT_ID,
        FORMWORK_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        FORMWORK_OIDC_REDIRECT_URL: `${formwork}/login/oidc/callback`,
        FORMWORK_OIDC_CLAIM: 'preferred_username',
        FORMWORK_OIDC_CREATE_USERS: 'true',
        FORMWORK_OIDC_NEW_USER_ROLES: 'sales',
      },
    };
  },
});

/** Who the browser is signed in to Formwork as: the username, or the status without a session. */
async function whoAmI(page) {
  const res = await page.request.get(`${base}/api/v1/me`);
  return res.ok() ? (await res.json()).username : res.status();
}

/** Signs in as `account` on the provider's page the browser is on. */
async function providerSignIn(page, account) {
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.fill('#login', account);
  await page.click('#provider-sign-in');
}

/**
 * Starts a sign-in without following it, and returns the provider URL Formwork sent the browser
 * to, with `change` applied to its parameters (the browser keeps Formwork's session cookie).
 */
async function authorizeUrl(page, change) {
  const res = await page.request.get(`${base}/login/oidc`, { maxRedirects: 0 });
  assert.equal(res.status(), 303);
  const url = new URL(res.headers().location);
  assert.equal(url.origin, issuer);
  for (const p of ['state', 'nonce', 'code_challenge']) assert.ok(url.searchParams.get(p), p);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  change(url.searchParams);
  return url.toString();
}

test('sales1 signs in with the company account and lands back signed in', async () => {
  const page = await newPage();
  await page.goto(`${base}/login?next=${encodeURIComponent('/inbox')}`);
  const sso = page.locator('#sso');
  assert.equal((await sso.innerText()).trim(), '使用企业账号登录');
  await shot(page, '01-login');
  await sso.click();
  await providerSignIn(page, 'sales1');
  await page.waitForURL(`${base}/inbox`);
  assert.equal(await whoAmI(page), 'sales1');
  assert.match(await page.locator('header').innerText(), /张伟/);
  await shot(page, '02-signed-in');
  assert.deepEqual(page.problems, []);
});

test('a person Formwork does not know is created with the configured role', async () => {
  const page = await newPage();
  await page.goto(`${base}/login`);
  await page.locator('#sso').click();
  await providerSignIn(page, 'ext-7001');
  await page.waitForURL(`${base}/`);
  const me = await (await page.request.get(`${base}/api/v1/me`)).json();
  assert.equal(me.username, 'zhao.liu');
  assert.equal(me.display_name, '赵六');
  assert.deepEqual(me.roles, ['sales']);
  // The next sign-in finds the same user through the link, not a second one.
  const again = await newPage();
  await again.goto(`${base}/login/oidc`);
  await providerSignIn(again, 'ext-7001');
  await again.waitForURL(`${base}/`);
  assert.equal(await whoAmI(again), 'zhao.liu');
  assert.deepEqual(page.problems, []);
});

/** Signs in as `account` at the provider and expects Formwork to refuse the answer. */
async function expectRefused(page, account, status, pattern, name) {
  const refused = page.waitForResponse((r) => r.url().startsWith(`${base}/login/oidc/callback`));
  await providerSignIn(page, account);
  const res = await refused;
  assert.equal(res.status(), status);
  await page.waitForLoadState();
  assert.match(await page.locator('main').innerText(), pattern);
  await shot(page, name);
  assert.equal(await whoAmI(page), 401);
  const cookies = await page.context().cookies(base);
  assert.equal(cookies.find((c) => c.name === 'formwork_session'), undefined, 'no session is left');
}

test('an answer whose state was tampered with is refused', async () => {
  const page = await newPage();
  const url = await authorizeUrl(page, (p) => p.set('state', `${p.get('state')}x`));
  await page.goto(url);
  await expectRefused(page, 'sales1', 400, /state 与本次登录不符/, '03-state-refused');
});

test('an ID token with another sign-in\'s nonce is refused', async () => {
  const page = await newPage();
  // State and PKCE stay this sign-in's: the provider answers with a good code whose ID token
  // carries a nonce Formwork did not issue for this session.
  const url = await authorizeUrl(page, (p) => p.set('nonce', 'the-nonce-of-another-sign-in'));
  await page.goto(url);
  await expectRefused(page, 'sales1', 400, /nonce 与本次登录不符/, '04-nonce-refused');
});

test('a user suspended in Formwork is refused although the provider signs them in', async () => {
  execFileSync(BIN, ['user', 'suspend', 'sales2'], {
    cwd: workDir,
    env: { ...process.env, DATABASE_URL: `sqlite://${workDir}/formwork.db` },
  });
  const page = await newPage({ locale: 'en-US' });
  await page.goto(`${base}/login`);
  assert.equal((await page.locator('#sso').innerText()).trim(), 'Sign in with SSO');
  await page.locator('#sso').click();
  await expectRefused(page, 'sales2', 403, /suspended/, '05-suspended-refused');
});
