// Playground: one prompt to up to three models side by side (base, a deployment, a checkpoint…), each reply streamed
// token by token from POST /v1/chat/completions (stream: true), with temperature and max tokens.
import { t } from '../i18n.js';
import { h, field } from '../dom.js';
import { getJson, streamChat } from '../api.js';
import { parseModelId } from './models.js';

const COLUMNS = 3;

export function render(main, _params, query) {
  let stopped = false, controllers = [];
  const body = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  main.append(h('h1', {}, t('play.title')), h('p', { class: 'muted' }, t('play.help')), body);

  getJson('/v1/models').then(r => { if (!stopped) build(r.data); }).catch(e => {
    if (!stopped) body.replaceChildren(h('p', { class: 'notice' }, e.status === 404 ? t('play.noModels') : t('common.error', { message: e.message })));
  });

  function defaults(models) {
    const ids = models.map(m => m.id);
    const asked = (query.get('models') ?? '').split(',').filter(id => ids.includes(id));
    if (asked.length) return asked;
    const base = models.find(m => !m.parent)?.id;
    const deployed = models.filter(m => parseModelId(m.id)?.epoch === null);
    const wanted = query.get('deployment') && deployed.find(m => parseModelId(m.id).name === query.get('deployment')
      && (!query.get('job') || parseModelId(m.id).job === query.get('job')));
    const newest = wanted ?? deployed.sort((a, b) => b.created - a.created)[0];
    return [base, newest?.id].filter(Boolean);
  }

  function build(models) {
    if (!models.length) { body.replaceChildren(h('p', { class: 'notice' }, t('play.noModels'))); return; }
    const chosen = defaults(models);
    const selects = [], replies = [], stats = [];
    const columns = h('div', { class: 'play-columns' });
    for (let i = 0; i < COLUMNS; i++) {
      const select = h('select', { id: `model-${i}` }, h('option', { value: '' }, t('play.noneModel')), models.map(m => h('option', { value: m.id, selected: m.id === chosen[i] }, m.id)));
      const reply = h('div', { class: 'reply', id: `reply-${i}`, 'aria-live': 'polite', dataset: { state: 'idle', chunks: '0' } }, h('span', { class: 'muted' }, t('play.empty')));
      const stat = h('div', { class: 'small muted', id: `stats-${i}` });
      selects.push(select); replies.push(reply); stats.push(stat);
      columns.append(h('div', { class: 'play-column card' }, field(t('play.model', { n: i + 1 }), select), reply, stat));
    }
    const system = h('textarea', { id: 'play-system', rows: 1 });
    const prompt = h('textarea', { id: 'play-prompt', rows: 3, placeholder: 'Ana has 6 coins in a box. How many coins are in the box?' });
    const temperature = h('input', { type: 'number', id: 'play-temperature', min: 0, max: 2, step: 0.1, value: '0.7' });
    const maxTokens = h('input', { type: 'number', id: 'play-max-tokens', min: 1, max: 4096, step: 1, value: '128' });
    const send = h('button', { type: 'submit', class: 'primary', id: 'play-send' }, t('play.send'));
    const stop = h('button', { type: 'button', id: 'play-stop', disabled: true, onclick: () => controllers.forEach(c => c.abort()) }, t('play.stop'));
    const message = h('div', { role: 'alert', class: 'error' });
    prompt.addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); } });
    const form = h('form', { class: 'card stack', id: 'play-form' },
      field(t('play.system'), system), field(t('play.prompt'), prompt),
      h('div', { class: 'row' }, field(t('play.temperature'), temperature), field(t('play.maxTokens'), maxTokens), send, stop), message);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      message.textContent = '';
      const targets = selects.map((s, i) => ({ model: s.value, i })).filter(x => x.model);
      if (!targets.length) { message.textContent = t('play.pickModel'); return; }
      if (!prompt.value.trim()) { message.textContent = t('play.needPrompt'); prompt.focus(); return; }
      const messages = [...(system.value.trim() ? [{ role: 'system', content: system.value }] : []), { role: 'user', content: prompt.value }];
      const temp = Math.min(2, Math.max(0, Number(temperature.value) || 0));
      const max = Math.min(4096, Math.max(1, Math.round(Number(maxTokens.value) || 128)));
      controllers = targets.map(() => new AbortController());
      send.disabled = true; stop.disabled = false;
      replies.forEach((r, i) => { if (!targets.some(x => x.i === i)) { r.replaceChildren(); r.dataset.state = 'idle'; stats[i].textContent = ''; } });
      await Promise.all(targets.map((target, k) => stream(target, controllers[k].signal)));
      send.disabled = false; stop.disabled = true;

      async function stream({ model, i }, signal) {
        const reply = replies[i];
        const text = document.createTextNode('');
        reply.replaceChildren(text);
        reply.dataset.state = 'streaming';
        reply.dataset.chunks = '0';
        const started = performance.now();
        let chunks = 0;
        try {
          for await (const delta of streamChat({ model, messages, temperature: temp, max_tokens: max }, signal)) {
            text.appendData(delta);
            reply.dataset.chunks = String(++chunks);
          }
          reply.dataset.state = 'done';
        } catch (err) {
          reply.dataset.state = signal.aborted ? 'stopped' : 'error';
          if (!signal.aborted) reply.append(h('span', { class: 'error' }, (text.length ? '\n' : '') + err.message));
        }
        stats[i].textContent = t('play.stats', { tokens: chunks, seconds: ((performance.now() - started) / 1000).toFixed(1) });
      }
    });
    body.replaceChildren(form, columns);
  }

  return () => { stopped = true; controllers.forEach(c => c.abort()); };
}
