// The editor's one store: the draft being edited as immutable snapshots (immer), undo/redo as
// the history of those snapshots, what the server last confirmed (rev + package, for
// `If-Match` and for telling apart "mine" from "theirs" in a conflict), the selection, and the
// problems the server found. Every edit goes through `edit`, so every edit can be undone.

import { create } from 'zustand';
import { produce, freeze } from 'immer';
import type { AppPackage } from '../model/package';
import type { FieldError } from '../api/client';

const HISTORY_LIMIT = 200;
/** Edits with the same coalescing key this close together are one undo step (typing a label). */
const COALESCE_MS = 1000;

export type Tab = 'form' | 'flow' | 'tests' | 'roles' | 'versions' | 'settings';

export type Selection =
  | { type: 'none' }
  | { type: 'form'; form: string }
  | { type: 'field'; form: string; key: string; column?: string }
  | { type: 'section'; form: string; section: string }
  | { type: 'node'; process: string; node: string }
  | { type: 'edge'; process: string; edge: number }
  | { type: 'role'; index: number };

export type SaveState = 'saved' | 'dirty' | 'saving' | 'error' | 'conflict';

export interface Conflict {
  theirs: AppPackage;
  theirsRev: number;
}

export interface EditorState {
  appId: string | null;
  /** Server revision of `saved`. */
  rev: number;
  /** The package as the server last confirmed it. */
  saved: AppPackage | null;
  present: AppPackage | null;
  past: AppPackage[];
  future: AppPackage[];
  lastKey: string | null;
  lastAt: number;
  tab: Tab;
  /** The form or process open in its designer. */
  formId: string | null;
  processId: string | null;
  selection: Selection;
  problems: FieldError[];
  saveState: SaveState;
  saveError: string | null;
  conflict: Conflict | null;
  /** Field keys (per form) and node ids (per process) of the latest published version: locked. */
  publishedKeys: Record<string, string[]>;

  load: (appId: string, pkg: AppPackage, rev: number) => void;
  edit: (recipe: (draft: AppPackage) => void, coalesce?: string) => void;
  undo: () => void;
  redo: () => void;
  replace: (pkg: AppPackage) => void;
  setTab: (tab: Tab) => void;
  openForm: (id: string | null) => void;
  openProcess: (id: string | null) => void;
  select: (s: Selection) => void;
  setProblems: (p: FieldError[]) => void;
  savedAs: (rev: number, pkg: AppPackage, problems: FieldError[]) => void;
  setSaveState: (s: SaveState, error?: string | null) => void;
  setConflict: (c: Conflict | null) => void;
  setPublished: (pkg: AppPackage | null) => void;
}

const initial = {
  appId: null,
  rev: 0,
  saved: null,
  present: null,
  past: [],
  future: [],
  lastKey: null,
  lastAt: 0,
  tab: 'form' as Tab,
  formId: null,
  processId: null,
  selection: { type: 'none' } as Selection,
  problems: [],
  saveState: 'saved' as SaveState,
  saveError: null,
  conflict: null,
  publishedKeys: {},
};

export const useEditor = create<EditorState>((set, get) => ({
  ...initial,

  load: (appId, pkg, rev) => {
    const frozen = freeze(structuredClone(pkg), true);
    set({
      ...initial,
      appId,
      rev,
      saved: frozen,
      present: frozen,
      formId: pkg.forms?.[0]?.id ?? null,
      processId: pkg.processes?.[0]?.id ?? null,
    });
  },

  edit: (recipe, coalesce) => {
    const { present, past, lastKey, lastAt } = get();
    if (!present) return;
    const next = produce(present, recipe);
    if (next === present) return;
    const now = Date.now();
    const merge = coalesce !== undefined && coalesce === lastKey && now - lastAt < COALESCE_MS;
    set({
      present: next,
      past: merge ? past : [...past, present].slice(-HISTORY_LIMIT),
      future: [],
      lastKey: coalesce ?? null,
      lastAt: now,
      saveState: get().saveState === 'conflict' ? 'conflict' : 'dirty',
    });
  },

  undo: () => {
    const { past, present, future } = get();
    if (!past.length || !present) return;
    set({
      present: past[past.length - 1],
      past: past.slice(0, -1),
      future: [present, ...future],
      lastKey: null,
      saveState: get().saveState === 'conflict' ? 'conflict' : 'dirty',
    });
  },

  redo: () => {
    const { past, present, future } = get();
    if (!future.length || !present) return;
    set({
      present: future[0],
      past: [...past, present],
      future: future.slice(1),
      lastKey: null,
      saveState: get().saveState === 'conflict' ? 'conflict' : 'dirty',
    });
  },

  /** Replaces the whole draft as one undoable step (merge, import over). */
  replace: (pkg) => {
    const { present, past } = get();
    set({
      present: freeze(structuredClone(pkg), true),
      past: present ? [...past, present].slice(-HISTORY_LIMIT) : past,
      future: [],
      lastKey: null,
      saveState: 'dirty',
    });
  },

  setTab: (tab) => set({ tab, selection: { type: 'none' } }),
  openForm: (formId) => set({ formId, tab: 'form', selection: formId ? { type: 'form', form: formId } : { type: 'none' } }),
  openProcess: (processId) => set({ processId, tab: 'flow', selection: { type: 'none' } }),
  select: (selection) => set({ selection }),
  setProblems: (problems) => set({ problems }),
  savedAs: (rev, pkg, problems) => {
    const { present } = get();
    set({
      rev,
      saved: pkg,
      problems,
      saveState: present === pkg ? 'saved' : 'dirty',
      saveError: null,
    });
  },
  setSaveState: (saveState, saveError = null) => set({ saveState, saveError }),
  setConflict: (conflict) => set({ conflict, saveState: conflict ? 'conflict' : get().saveState }),
  setPublished: (pkg) => {
    const keys: Record<string, string[]> = {};
    for (const f of pkg?.forms ?? []) {
      keys[`form:${f.id}`] = Object.keys(f.schema.properties ?? {});
      for (const [k, s] of Object.entries(f.schema.properties ?? {})) {
        if (s.items?.properties) keys[`columns:${f.id}:${k}`] = Object.keys(s.items.properties);
      }
    }
    for (const p of pkg?.processes ?? []) keys[`process:${p.id}`] = p.nodes.map((n) => n.id);
    keys.forms = (pkg?.forms ?? []).map((f) => f.id);
    keys.processes = (pkg?.processes ?? []).map((p) => p.id);
    keys.roles = (pkg?.roles ?? []).map((r) => r.id);
    set({ publishedKeys: keys });
  },
}));

/** Whether an id was published (and so is locked): `locked('form:project', 'amount')`. */
export function isLocked(scope: string, id: string): boolean {
  return useEditor.getState().publishedKeys[scope]?.includes(id) ?? false;
}

/** True when the draft has edits the server has not confirmed. */
export const hasUnsaved = (s: EditorState) => s.present !== s.saved;
