// The designer's language: zh-CN first, English on request. Analyst texts carry both; the
// designer's own words are written as (zh, en) pairs where they are used, so a missing
// translation cannot happen. The choice is remembered in localStorage and sent to the API
// (`?lang=`), so server messages (validation problems) come in the same language.

import { create } from 'zustand';
import type { Lang } from '../model/package';

const KEY = 'formwork.designer.lang';

function initial(): Lang {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // storage may be off; fall through
  }
  return typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

interface LangState {
  lang: Lang;
  setLang: (lang: Lang) => void;
}

export const useLangStore = create<LangState>((set) => ({
  lang: initial(),
  setLang: (lang) => {
    try {
      localStorage.setItem(KEY, lang);
    } catch {
      // not remembered, still switched
    }
    document.documentElement.lang = lang;
    set({ lang });
  },
}));

export const currentLang = (): Lang => useLangStore.getState().lang;

export type T = (zh: string, en: string) => string;

/** `t('保存', 'Save')` in the current language. */
export function useT(): T {
  const lang = useLangStore((s) => s.lang);
  return lang === 'en' ? (_zh, en) => en : (zh) => zh;
}

export const useLang = (): Lang => useLangStore((s) => s.lang);

/** Fills `{name}` placeholders. */
export function fmt(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}
