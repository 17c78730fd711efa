// Transient UI state shared by distant components (not part of the draft, not undoable).

import { create } from 'zustand';

interface UiState {
  newFormOpen: boolean;
  setNewFormOpen: (open: boolean) => void;
  /** The flow edge whose "+" menu is open. */
  edgeMenu: string | null;
  setEdgeMenu: (id: string | null) => void;
}

export const useUi = create<UiState>((set) => ({
  newFormOpen: false,
  setNewFormOpen: (newFormOpen) => set({ newFormOpen }),
  edgeMenu: null,
  setEdgeMenu: (edgeMenu) => set({ edgeMenu }),
}));
