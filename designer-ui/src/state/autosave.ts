// Autosave: a short while after the last edit the draft is PUT with `If-Match` of the revision
// it was edited from. A draft someone else saved meanwhile answers 412; then the server's
// version is fetched and the conflict dialog opens, with the local copy kept (also in
// localStorage, so a closed tab loses nothing either).

import { useEffect } from 'react';
import { getDraft, putDraft } from '../api/apps';
import { ApiFailure } from '../api/client';
import type { AppPackage } from '../model/package';
import { useEditor } from './editor';

const DELAY_MS = 800;
const backupKey = (app: string) => `formwork.designer.backup.${app}`;

export interface Backup {
  rev: number;
  package: AppPackage;
  at: string;
}

export function readBackup(app: string): Backup | null {
  try {
    const text = localStorage.getItem(backupKey(app));
    return text ? (JSON.parse(text) as Backup) : null;
  } catch {
    return null;
  }
}

export function clearBackup(app: string): void {
  try {
    localStorage.removeItem(backupKey(app));
  } catch {
    // nothing to clear
  }
}

function writeBackup(app: string, rev: number, pkg: AppPackage): void {
  try {
    localStorage.setItem(backupKey(app), JSON.stringify({ rev, package: pkg, at: new Date().toISOString() }));
  } catch {
    // storage full or off: the server copy and the undo history remain
  }
}

let inFlight: Promise<void> | null = null;

/** Saves now if there is something to save (waits for a save already running first). */
export async function saveNow(): Promise<void> {
  while (inFlight) await inFlight;
  const s = useEditor.getState();
  if (!s.appId || !s.present || s.present === s.saved || s.saveState === 'conflict') return;
  const app = s.appId;
  const sending = s.present;
  s.setSaveState('saving');
  inFlight = (async () => {
    try {
      const draft = await putDraft(app, sending, s.rev);
      useEditor.getState().savedAs(draft.rev, sending, draft.problems);
      if (useEditor.getState().present === sending) clearBackup(app);
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 412) {
        const theirs = await getDraft(app);
        useEditor.getState().setConflict({ theirs: theirs.package, theirsRev: theirs.rev });
      } else {
        useEditor.getState().setSaveState('error', e instanceof Error ? e.message : String(e));
      }
    }
  })();
  try {
    await inFlight;
  } finally {
    inFlight = null;
  }
}

/** Runs autosave, the local backup and the leave-page warning while the editor is open. */
export function useAutosave(): void {
  const present = useEditor((s) => s.present);
  const saved = useEditor((s) => s.saved);
  const saveState = useEditor((s) => s.saveState);
  const appId = useEditor((s) => s.appId);
  const rev = useEditor((s) => s.rev);

  useEffect(() => {
    if (!appId || !present || present === saved) return;
    writeBackup(appId, rev, present);
    if (saveState === 'conflict' || saveState === 'saving') return;
    const timer = window.setTimeout(() => void saveNow(), saveState === 'error' ? DELAY_MS * 5 : DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [appId, present, saved, saveState, rev]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      const s = useEditor.getState();
      if (s.present && s.present !== s.saved) {
        e.preventDefault();
        e.returnValue = '';
      }
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);
}
