// The app-lifecycle calls the designer makes, and their react-query hooks.

import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type AppSummary, type FieldError, type Me, type VersionInfo } from './client';
import type { AppPackage } from '../model/package';

export interface Draft {
  app: string;
  rev: number;
  package: AppPackage;
  problems: FieldError[];
}

const asDraft = (d: { app: string; rev: number; package: Record<string, unknown>; problems: FieldError[] }): Draft => ({
  ...d,
  package: d.package as unknown as AppPackage,
});

const body = (pkg: AppPackage) => pkg as unknown as Record<string, unknown>;

export async function fetchMe(): Promise<Me> {
  return unwrap(await api.GET('/api/v1/me'));
}

export async function listApps(): Promise<AppSummary[]> {
  return unwrap(await api.GET('/api/v1/apps'));
}

/** Creates an app from a package (blank, imported or duplicated). 409 when the id is taken. */
export async function createApp(pkg: AppPackage): Promise<Draft> {
  return asDraft(unwrap(await api.POST('/api/v1/apps', { body: body(pkg) })));
}

export async function getDraft(app: string): Promise<Draft> {
  return asDraft(unwrap(await api.GET('/api/v1/apps/{app}/draft', { params: { path: { app } } })));
}

/** Saves the draft if it is still at `rev`; a draft changed meanwhile fails with 412. */
export async function putDraft(app: string, pkg: AppPackage, rev: number): Promise<Draft> {
  const res = await api.PUT('/api/v1/apps/{app}/draft', {
    params: { path: { app }, header: { 'If-Match': `"${rev}"` } },
    body: body(pkg),
  });
  return asDraft(unwrap(res));
}

export async function validateDraft(app: string): Promise<{ valid: boolean; problems: FieldError[] }> {
  return unwrap(await api.POST('/api/v1/apps/{app}/validate', { params: { path: { app } } }));
}

export async function publishDraft(app: string): Promise<number> {
  return unwrap(await api.POST('/api/v1/apps/{app}/publish', { params: { path: { app } } })).version;
}

export async function listVersions(app: string): Promise<VersionInfo[]> {
  return unwrap(await api.GET('/api/v1/apps/{app}/versions', { params: { path: { app } } }));
}

export async function getVersion(app: string, n: number): Promise<AppPackage> {
  const res = await api.GET('/api/v1/apps/{app}/versions/{n}', { params: { path: { app, n } } });
  return unwrap(res as { data?: unknown; error?: unknown; response: Response }) as AppPackage;
}

export const useMe = () => useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 60_000 });
export const useApps = () => useQuery({ queryKey: ['apps'], queryFn: listApps });
export const useVersions = (app: string) => useQuery({ queryKey: ['versions', app], queryFn: () => listVersions(app) });
export const useVersion = (app: string, n: number | null) =>
  useQuery({ queryKey: ['version', app, n], queryFn: () => getVersion(app, n as number), enabled: n !== null, staleTime: Infinity });
