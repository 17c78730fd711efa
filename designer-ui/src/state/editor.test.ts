import { beforeEach, describe, expect, it, vi } from 'vitest';
import { blankPackage } from '../model/package';
import { useEditor } from './editor';

const s = () => useEditor.getState();

describe('editor state: undo and redo', () => {
  beforeEach(() => {
    vi.useRealTimers();
    s().load('app', blankPackage('app', { 'zh-CN': '应用' }), 3);
  });

  it('starts saved, with nothing to undo', () => {
    expect(s().present).toBe(s().saved);
    expect(s().past).toHaveLength(0);
    expect(s().rev).toBe(3);
    expect(Object.isFrozen(s().present)).toBe(true);
  });

  it('undoes and redoes edits one at a time, as immutable snapshots', () => {
    const first = s().present;
    s().edit((d) => { d.name = { 'zh-CN': 'A' }; });
    const second = s().present;
    s().edit((d) => { d.roles!.push({ id: 'r', name: { 'zh-CN': '角色' } }); });
    expect(s().present!.roles).toHaveLength(1);
    expect(second!.roles).toHaveLength(0);
    expect(first!.name['zh-CN']).toBe('应用');

    s().undo();
    expect(s().present).toBe(second);
    s().undo();
    expect(s().present).toBe(first);
    s().undo();
    expect(s().present).toBe(first);
    s().redo();
    expect(s().present).toBe(second);
    s().redo();
    expect(s().present!.roles![0].id).toBe('r');
    expect(s().saveState).toBe('dirty');
  });

  it('drops the redo history on a new edit', () => {
    s().edit((d) => { d.name = { 'zh-CN': 'A' }; });
    s().undo();
    s().edit((d) => { d.name = { 'zh-CN': 'B' }; });
    expect(s().future).toHaveLength(0);
    s().redo();
    expect(s().present!.name['zh-CN']).toBe('B');
  });

  it('makes typing in one box one undo step, and a pause or another box a new one', () => {
    vi.useFakeTimers();
    for (const name of ['项', '项目', '项目登']) s().edit((d) => { d.name = { 'zh-CN': name }; }, 'name');
    expect(s().past).toHaveLength(1);
    s().edit((d) => { d.description = { 'zh-CN': '说明' }; }, 'desc');
    expect(s().past).toHaveLength(2);
    vi.advanceTimersByTime(1500);
    s().edit((d) => { d.description = { 'zh-CN': '说明2' }; }, 'desc');
    expect(s().past).toHaveLength(3);
    s().undo();
    s().undo();
    expect(s().present!.name['zh-CN']).toBe('项目登');
    s().undo();
    expect(s().present!.name['zh-CN']).toBe('应用');
  });

  it('ignores edits that change nothing', () => {
    s().edit(() => {});
    expect(s().past).toHaveLength(0);
    expect(s().saveState).toBe('saved');
  });

  it('knows what the server has: a save of the current snapshot is saved, a later edit is not', () => {
    s().edit((d) => { d.name = { 'zh-CN': 'A' }; });
    const sent = s().present!;
    s().savedAs(4, sent, []);
    expect(s().saveState).toBe('saved');
    expect(s().rev).toBe(4);
    s().edit((d) => { d.name = { 'zh-CN': 'B' }; });
    s().savedAs(5, sent, []);
    expect(s().saveState).toBe('dirty');
  });

  it('locks what was published', () => {
    const pkg = blankPackage('app', { 'zh-CN': '应用' });
    pkg.forms = [{ id: 'f', name: { 'zh-CN': '表' }, schema: { type: 'object', properties: { amount: { type: 'number' } } } }];
    s().setPublished(pkg);
    expect(s().publishedKeys['form:f']).toEqual(['amount']);
    expect(s().publishedKeys.forms).toEqual(['f']);
  });
});
