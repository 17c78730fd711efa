// Keyboard shortcuts of the editor: Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z (or Ctrl+Y) redo, Ctrl/⌘+S
// save now. Keys typed while an input method is composing (Chinese pinyin input) belong to the
// IME, never to the designer: `isComposing`, or keyCode 229 on browsers that report it so.

import { useEffect } from 'react';
import { useEditor } from './editor';
import { saveNow } from './autosave';

export type ShortcutAction = 'undo' | 'redo' | 'save' | null;

/** What a key press asks for; pure, so it can be tested without a browser. */
export function shortcutOf(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'isComposing' | 'keyCode'>): ShortcutAction {
  if (e.isComposing || e.keyCode === 229) return null;
  if (!(e.ctrlKey || e.metaKey)) return null;
  const key = e.key.toLowerCase();
  if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !e.shiftKey) return 'redo';
  if (key === 's' && !e.shiftKey) return 'save';
  return null;
}

export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcutOf(e);
      if (!action) return;
      e.preventDefault();
      const s = useEditor.getState();
      if (action === 'undo') s.undo();
      else if (action === 'redo') s.redo();
      else void saveNow();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}
