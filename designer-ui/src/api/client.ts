// The typed API client: openapi-fetch over the types openapi-typescript generated from the
// server's OpenAPI document (`npm run gen:api` reads openapi.json). No request type is written
// by hand; the package itself is an opaque object to the API and typed by ../model/package.

import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { currentLang } from '../i18n/lang';

export type FieldError = components['schemas']['FieldError'];
export type ErrorBody = components['schemas']['ErrorBody'];
export type Me = components['schemas']['MeResponse'];
export type AppSummary = components['schemas']['AppSummaryResponse'];
export type VersionInfo = components['schemas']['VersionInfoResponse'];

/** An API answer that was not a success, with the server's own message in the caller's language. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Partial<ErrorBody> | undefined,
  ) {
    super(body?.message || `HTTP ${status}`);
  }
  get code(): string | undefined {
    return this.body?.error;
  }
}

const langMiddleware: Middleware = {
  async onRequest({ request }) {
    const url = new URL(request.url);
    url.searchParams.set('lang', currentLang());
    // Copy the body as bytes: a Request built from another's body stream would be a streaming
    // upload, which Chromium only sends over HTTP/2.
    const body = request.body ? await request.arrayBuffer() : undefined;
    const headers = new Headers(request.headers);
    // The server refuses a bodiless state-changing request without it (a cross-site form
    // cannot set it); every call carries it, so none is refused for lacking it.
    headers.set('X-Requested-With', 'XMLHttpRequest');
    return new Request(url, { method: request.method, headers, body, credentials: request.credentials, signal: request.signal });
  },
  onResponse({ response }) {
    if (response.status === 401) {
      // The session ended: sign in again and come back here.
      const next = window.location.pathname + window.location.search;
      window.location.assign(`/login?next=${encodeURIComponent(next)}`);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(langMiddleware);

/** The data of an openapi-fetch answer, or an ApiFailure. */
export function unwrap<T>(res: { data?: T; error?: unknown; response: Response }): T {
  if (res.error !== undefined || !res.response.ok) {
    throw new ApiFailure(res.response.status, res.error as Partial<ErrorBody> | undefined);
  }
  return res.data as T;
}
