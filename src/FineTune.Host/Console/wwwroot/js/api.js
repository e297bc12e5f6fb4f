// The console's only door to the server: the public job API, the OpenAI-compatible API and the console helpers.
// When the host requires API keys, the key the user entered (sessionStorage, this tab only) goes as a Bearer token,
// as any client sends it; a 401 asks for one.

const KEY = 'ft.apiKey';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }

  static async from(response) {
    let body = null, message = `HTTP ${response.status}`;
    try {
      body = await response.json();
      message = body?.detail || body?.error?.message || body?.title || message;
    } catch { /* not JSON */ }
    return new ApiError(response.status, message, body);
  }
}

export function apiKey() { return sessionStorage.getItem(KEY); }
export function setApiKey(key) { key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY); }

export async function request(path, options = {}) {
  const headers = new Headers(options.headers ?? {});
  const key = apiKey();
  if (key) headers.set('Authorization', 'Bearer ' + key);
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent('ft:need-key', { detail: { rejected: !!key } }));
    throw await ApiError.from(response);
  }
  return response;
}

/** JSON from a 2xx (the job status answers 202 while running); ApiError otherwise. */
export async function getJson(path, options) {
  const response = await request(path, options);
  if (!response.ok) throw await ApiError.from(response);
  return response.json();
}

/** Text of a job file, or null when it does not exist (yet). */
export async function jobFile(id, path) {
  const response = await request(`/api/jobs/${encodeURIComponent(id)}/files/${path}`);
  if (response.status === 404) return null;
  if (!response.ok) throw await ApiError.from(response);
  return response.text();
}

export async function post(path, body, headers) {
  const response = await request(path, { method: 'POST', body, headers });
  if (!response.ok) throw await ApiError.from(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Parses JSONL text into objects, skipping blank or broken lines (a file being appended to may end mid-line). */
export function parseJsonl(text) {
  const out = [];
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line)); } catch { /* partial line */ }
  }
  return out;
}

/**
 * POST /v1/chat/completions with stream: true; yields each delta's content as the server sends it
 * (server-sent events: `data: {…}` lines, then `data: [DONE]`).
 */
export async function* streamChat(body, signal) {
  const response = await request('/v1/chat/completions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }), signal,
  });
  if (!response.ok) throw await ApiError.from(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(500, chunk.error.message ?? 'generation failed', chunk);
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) yield delta;
      }
    }
  }
}

/** Opens a job file in a new tab; with an API key it is fetched with the key first (a plain link cannot send one). */
export async function openFile(href) {
  if (!apiKey()) { window.open(href, '_blank', 'noopener'); return; }
  const response = await request(href);
  if (!response.ok) throw await ApiError.from(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/plain' }));
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
