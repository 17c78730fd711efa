import { beforeEach, describe, expect, it, vi } from 'vitest';
import { blankPackage, type AppPackage } from '../model/package';

const calls: Array<{ method: string; url: string; ifMatch: string | null; body: unknown }> = [];
let server: { rev: number; pkg: AppPackage };

/** A fake server for the draft endpoints, with the server's If-Match rule. */
async function fakeFetch(input: Request): Promise<Response> {
  const body = input.method === 'PUT' ? await input.json() : undefined;
  calls.push({ method: input.method, url: input.url, ifMatch: input.headers.get('if-match'), body });
  const json = (status: number, data: unknown) => new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
  if (input.method === 'PUT') {
    if (input.headers.get('if-match') !== `"${server.rev}"`) return json(412, { error: 'precondition_failed', message: '草稿已被修改' });
    server = { rev: server.rev + 1, pkg: body as AppPackage };
    return json(200, { app: 'a', rev: server.rev, package: server.pkg, problems: [] });
  }
  return json(200, { app: 'a', rev: server.rev, package: server.pkg, problems: [] });
}

describe('autosave', () => {
  beforeEach(() => {
    calls.length = 0;
    vi.stubGlobal('fetch', vi.fn(fakeFetch));
  });

  it('saves with If-Match of the revision edited from, and is saved after', async () => {
    const { useEditor } = await import('./editor');
    const { saveNow } = await import('./autosave');
    const { useLangStore } = await import('../i18n/lang');
    useLangStore.getState().setLang('zh-CN');
    server = { rev: 1, pkg: blankPackage('a', { 'zh-CN': 'A' }) };
    useEditor.getState().load('a', server.pkg, 1);
    useEditor.getState().edit((d) => { d.name = { 'zh-CN': '新名字' }; });
    await saveNow();
    expect(calls.map((c) => [c.method, c.ifMatch])).toEqual([['PUT', '"1"']]);
    expect(new URL(calls[0].url).searchParams.get('lang')).toBe('zh-CN');
    expect(useEditor.getState().saveState).toBe('saved');
    expect(useEditor.getState().rev).toBe(2);
    expect(server.pkg.name['zh-CN']).toBe('新名字');
  });

  it('meets a stale save with the conflict, keeping the local copy and fetching theirs', async () => {
    const { useEditor } = await import('./editor');
    const { saveNow } = await import('./autosave');
    const base = blankPackage('a', { 'zh-CN': 'A' });
    useEditor.getState().load('a', base, 1);
    server = { rev: 2, pkg: { ...base, roles: [{ id: 'ceo', name: { 'zh-CN': '总经理' } }] } };
    useEditor.getState().edit((d) => { d.name = { 'zh-CN': '我的' }; });
    await saveNow();
    const s = useEditor.getState();
    expect(calls.map((c) => c.method)).toEqual(['PUT', 'GET']);
    expect(s.saveState).toBe('conflict');
    expect(s.conflict?.theirsRev).toBe(2);
    expect(s.conflict?.theirs.roles?.[0].id).toBe('ceo');
    expect(s.present?.name['zh-CN']).toBe('我的');
    // While the conflict is open nothing more is sent.
    await saveNow();
    expect(calls).toHaveLength(2);
  });
});
