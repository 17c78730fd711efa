// The designer's calls beyond saving the draft: test submission, preview address, process
// walk, flow test cases, the server's expression check, version diff and roll-back.

import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type FieldError } from './client';
import type { components } from './schema';
import { currentLang } from '../i18n/lang';

export type Step = components['schemas']['StepResponse'];
export type FlowTestResult = components['schemas']['FlowTestResponse'];
export type FlowTests = components['schemas']['FlowTestsResponse'];
export type ServerChange = components['schemas']['ChangeResponse'];

/** Checks record data against the draft's form as a submission would; nothing is stored. */
export async function checkRecord(app: string, form: string, data: Record<string, unknown>): Promise<FieldError[]> {
  const res = await api.POST('/api/v1/apps/{app}/draft/forms/{form}/check', { params: { path: { app, form } }, body: data });
  if (res.response.status === 422) return (res.error as { fields?: FieldError[] } | undefined)?.fields ?? [];
  unwrap(res);
  return [];
}

/** The address of the draft form's real server page (for a frame). */
export const previewUrl = (app: string, form: string, nonce: number) =>
  `/api/v1/apps/${encodeURIComponent(app)}/draft/forms/${encodeURIComponent(form)}/preview?lang=${currentLang()}&r=${nonce}`;

export async function simulate(app: string, process: string, submitter: string, data: Record<string, unknown>): Promise<Step[]> {
  const res = await api.POST('/api/v1/apps/{app}/draft/processes/{process}/simulate', {
    params: { path: { app, process } },
    body: { submitter, data },
  });
  return unwrap(res).steps;
}

export async function runFlowTests(app: string): Promise<FlowTests> {
  return unwrap(await api.POST('/api/v1/apps/{app}/draft/tests', { params: { path: { app } } }));
}

/** Runs the draft's flow test cases again whenever the saved revision changes. */
export const useFlowTests = (app: string, rev: number) =>
  useQuery({ queryKey: ['flow-tests', app, rev], queryFn: () => runFlowTests(app), staleTime: Infinity });

export async function checkExpression(app: string, expression: string, form?: string): Promise<FieldError[]> {
  const res = await api.POST('/api/v1/apps/{app}/draft/expressions/check', {
    params: { path: { app } },
    body: { expression, form: form ?? null },
  });
  return unwrap(res).problems;
}

export type Side = number | 'draft';

export async function fetchDiff(app: string, from: Side, to: Side): Promise<ServerChange[]> {
  const res = await api.GET('/api/v1/apps/{app}/diff', { params: { path: { app }, query: { from: String(from), to: String(to) } } });
  return unwrap(res).changes;
}

/** The server's diff; `rev` makes a diff against the draft follow its saves. */
export const useDiff = (app: string, from: Side | null, to: Side, rev: number) =>
  useQuery({
    queryKey: ['diff', app, from, to, from === 'draft' || to === 'draft' ? rev : 0],
    queryFn: () => fetchDiff(app, from as Side, to),
    enabled: from !== null,
  });

export async function rollback(app: string, version: number): Promise<number> {
  return unwrap(await api.POST('/api/v1/apps/{app}/rollback', { params: { path: { app } }, body: { version } })).version;
}

export async function publish(app: string, summary?: string, overrideTests = false): Promise<number> {
  const res = await api.POST('/api/v1/apps/{app}/publish', {
    params: { path: { app } },
    body: { summary: summary?.trim() || null, override_tests: overrideTests },
  });
  return unwrap(res).version;
}
