/** A small HTTP client for tests: real requests, answers parsed as JSON when they are. */
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
}

export async function request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Requests as one operator against one node. */
export function operatorClient(baseUrl: string, apiKey: string) {
  const withKey = (options: RequestOptions = {}) => ({ ...options, headers: { 'x-operator-key': apiKey, ...options.headers } });
  return {
    get: <T = any>(path: string, options?: RequestOptions) => request<T>('GET', baseUrl + path, withKey(options)),
    post: <T = any>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', baseUrl + path, withKey({ ...options, body })),
    put: <T = any>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PUT', baseUrl + path, withKey({ ...options, body })),
  };
}

export function adminClient(baseUrl: string, token: string) {
  const withToken = (options: RequestOptions = {}) => ({ ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } });
  return {
    get: <T = any>(path: string) => request<T>('GET', baseUrl + path, withToken()),
    post: <T = any>(path: string, body?: unknown) => request<T>('POST', baseUrl + path, withToken({ body })),
    patch: <T = any>(path: string, body?: unknown) => request<T>('PATCH', baseUrl + path, withToken({ body })),
  };
}
