import { describe, expect, it } from 'vitest';
import { shortcutOf } from './shortcuts';

const key = (k: string, extra: Partial<KeyboardEvent> = {}) =>
  ({ key: k, ctrlKey: true, metaKey: false, shiftKey: false, isComposing: false, keyCode: k.toUpperCase().charCodeAt(0), ...extra }) as KeyboardEvent;

describe('shortcuts', () => {
  it('undoes, redoes and saves', () => {
    expect(shortcutOf(key('z'))).toBe('undo');
    expect(shortcutOf(key('Z', { shiftKey: true }))).toBe('redo');
    expect(shortcutOf(key('y'))).toBe('redo');
    expect(shortcutOf(key('s'))).toBe('save');
    expect(shortcutOf(key('z', { ctrlKey: false, metaKey: true }))).toBe('undo');
  });

  it('ignores keys while an input method composes Chinese', () => {
    expect(shortcutOf(key('z', { isComposing: true }))).toBeNull();
    expect(shortcutOf(key('z', { keyCode: 229 }))).toBeNull();
  });

  it('ignores plain typing', () => {
    expect(shortcutOf(key('z', { ctrlKey: false }))).toBeNull();
    expect(shortcutOf(key('a'))).toBeNull();
  });
});
