// Boots the console: header (navigation, language, API key), and a small router over the History API. Each page
// module exports render(main, params, query) and returns a function that stops its polling when the page is left.
import { t, lang, setLang, languages } from './i18n.js';
import { h, navigate } from './dom.js';
import { apiKey, setApiKey } from './api.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as newJob from './pages/newjob.js';
import * as check from './pages/check.js';
import * as models from './pages/models.js';
import * as playground from './pages/playground.js';

const routes = [
  { pattern: /^\/(?:jobs\/?)?$/, page: jobs, nav: 'jobs' },
  { pattern: /^\/jobs\/([A-Za-z0-9-]{1,64})\/?$/, page: job, nav: 'jobs' },
  { pattern: /^\/new\/?$/, page: newJob, nav: 'new' },
  { pattern: /^\/check\/?$/, page: check, nav: 'check' },
  { pattern: /^\/models\/?$/, page: models, nav: 'models' },
  { pattern: /^\/playground\/?$/, page: playground, nav: 'playground' },
];
const navItems = [['jobs', '/'], ['new', '/new'], ['check', '/check'], ['models', '/models'], ['playground', '/playground']];

let cleanup = null;

function route() {
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  const main = document.getElementById('main');
  const match = routes.map(r => ({ r, m: location.pathname.match(r.pattern) })).find(x => x.m);
  renderHeader(match?.r.nav);
  main.replaceChildren();
  if (!match) {
    main.append(h('p', { class: 'notice' }, '404'));
    return;
  }
  document.title = `${t('nav.' + match.r.nav)} · FineTune`;
  cleanup = match.r.page.render(main, match.m.slice(1), new URLSearchParams(location.search)) ?? null;
}

function renderHeader(active) {
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('nav.main'));
  nav.replaceChildren(...navItems.map(([key, href]) =>
    h('a', { href, 'data-link': true, 'aria-current': key === active ? 'page' : null, id: 'nav-' + key }, t('nav.' + key))));
  const select = document.getElementById('lang-select');
  document.getElementById('lang-label').textContent = t('lang.label');
  select.setAttribute('aria-label', t('lang.label'));
  select.replaceChildren(...languages.map(l => h('option', { value: l.code, selected: l.code === lang() }, l.name)));
  const keyButton = document.getElementById('key-button');
  keyButton.textContent = t('key.button');
  keyButton.hidden = !apiKey();
}

function showKeyPanel(rejected) {
  const panel = document.getElementById('key-panel');
  const input = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', {
    class: 'key-form', onsubmit: e => {
      e.preventDefault();
      if (!input.value.trim()) return;
      setApiKey(input.value.trim());
      panel.hidden = true;
      route();
    },
  },
  h('h2', {}, t('key.title')),
  h('p', { class: 'muted' }, t('key.help')),
  rejected ? h('p', { class: 'error', role: 'alert' }, t('key.rejected')) : null,
  h('div', { class: 'row' },
    h('label', { for: 'api-key' }, t('key.label')), input,
    h('button', { type: 'submit', class: 'primary' }, t('key.save')),
    apiKey() ? h('button', { type: 'button', onclick: () => { setApiKey(null); panel.hidden = true; route(); } }, t('key.clear')) : null,
    h('button', { type: 'button', onclick: () => { panel.hidden = true; } }, t('key.cancel'))));
  panel.replaceChildren(form);
  panel.hidden = false;
  input.focus();
}

function boot() {
  setLang(lang());
  document.getElementById('lang-select').addEventListener('change', e => { setLang(e.target.value); route(); });
  document.getElementById('key-button').addEventListener('click', () => showKeyPanel(false));
  window.addEventListener('ft:need-key', e => {
    const panel = document.getElementById('key-panel');
    if (panel.hidden) showKeyPanel(e.detail?.rejected);
  });
  document.addEventListener('click', e => {
    const a = e.target.closest('a[data-link]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);
  route();
}

boot();
