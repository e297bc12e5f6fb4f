// Small DOM helpers: h() builds elements from data (text always goes in as text, never as HTML), and formatting.
import { t, locale } from './i18n.js';

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'multiple', 'open']);

export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG, tag), props, children);
}

function build(el, props, children) {
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the Content-Security-Policy (a style attribute is not)
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A labelled field: <div class="field"><label for=id>…</label> control help error</div>. */
export function field(label, control, help, error) {
  const id = control.id || (control.id = 'f-' + Math.random().toString(36).slice(2, 9));
  const helpEl = help ? h('div', { class: 'help', id: id + '-help' }, help) : null;
  const errorEl = h('div', { class: 'field-error', id: id + '-error', role: 'alert' }, error ?? '');
  const described = [helpEl && helpEl.id, errorEl.id].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, helpEl, errorEl);
}

export function setFieldError(control, message) {
  const error = document.getElementById(control.id + '-error');
  if (error) error.textContent = message ?? '';
  if (message) control.setAttribute('aria-invalid', 'true'); else control.removeAttribute('aria-invalid');
}

export function progressBar(fraction, label) {
  const pct = Math.max(0, Math.min(1, Number(fraction) || 0)) * 100;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(pct), 'aria-label': label },
    h('div', { class: 'progress-fill', style: `width:${pct.toFixed(1)}%` }));
}

export function section(title, ...children) {
  const id = 'sec-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

// ---- formatting ----

export function fmtNumber(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return t('common.none');
  const n = Number(x);
  return Number.isInteger(n) ? n.toLocaleString(locale()) : n.toLocaleString(locale(), { maximumSignificantDigits: digits });
}

export function fmtPercent(x) {
  if (x === null || x === undefined) return t('common.none');
  return (Number(x) * 100).toLocaleString(locale(), { maximumFractionDigits: 1 }) + '%';
}

export function fmtTime(iso) {
  if (!iso) return t('common.none');
  return new Date(iso).toLocaleString(locale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || ms < 0 || Number.isNaN(ms)) return t('common.none');
  const total = Math.round(ms / 1000);
  const hh = Math.floor(total / 3600), mm = Math.floor((total % 3600) / 60), ss = total % 60;
  if (locale() === 'zh-CN') return (hh ? `${hh}小时` : '') + (hh || mm ? `${mm}分` : '') + `${ss}秒`;
  return (hh ? `${hh} h ` : '') + (hh || mm ? `${mm} min ` : '') + `${ss} s`;
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return t('common.none');
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0, v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toLocaleString(locale(), { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

export const shortId = id => (id ?? '').slice(0, 8);

/** The last segment of a path or blob name: the console shows names, never server paths. */
export function baseName(path) {
  if (!path) return '';
  const parts = String(path).replace(/\\/g, '/').replace(/\/+$/, '').split('/');
  return parts[parts.length - 1];
}

/** The file a job started from: uploads made through the API sit at api/<guid>/NAME. */
export function sourceName(job) {
  return baseName(job?.input?.source?.name) || t('common.none');
}

/** Client-side navigation: the router in main.js listens to popstate. */
export function navigate(path) {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/**
 * Shortens absolute file paths in a server message to their last segment ("/srv/x/models/m" → "…/m"): errors relayed
 * from a worker can carry its folders (stack traces, temp dirs), which the console does not show.
 */
export function redactPaths(text) {
  if (!text) return text;
  return String(text).replace(/(?<![\w:/.~…-])(?:[A-Za-z]:\\|\/)(?:[^\s/\\|'"()<>]+[/\\])+([^\s/\\|'"()<>:]+)/g, '…/$1');
}
