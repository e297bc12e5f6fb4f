// Models: the base model served here, the base models a job can train, and every deployment being served
// (ft:<base>:<deployment>:<job>) with its epoch checkpoints, from GET /v1/models.
import { t } from '../i18n.js';
import { h, section, fmtPercent, shortId } from '../dom.js';
import { getJson } from '../api.js';

/** ft:<base>:<name>:<job>[:ckpt-epoch-N] → parts; null for other ids. */
export function parseModelId(id) {
  const m = /^ft:([^:]+):([^:]+):([^:]+)(?::ckpt-epoch-(\d+))?$/.exec(id);
  return m ? { base: m[1], name: m[2], job: m[3], epoch: m[4] ? Number(m[4]) : null, id } : null;
}

export function render(main) {
  let stopped = false;
  const body = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  main.append(h('h1', {}, t('models.title')), body);

  (async () => {
    const [served, trainable] = await Promise.all([
      getJson('/v1/models').then(r => r.data).catch(e => (e.status === 404 ? null : Promise.reject(e))),
      getJson('/api/base-models').catch(() => []),
    ]);
    if (stopped) return;
    const parts = [];
    if (!served) parts.push(h('p', { class: 'notice' }, t('models.noServing')));
    const base = (served ?? []).filter(m => !m.parent);
    const deployments = new Map();
    const adapters = [];
    for (const m of (served ?? []).filter(m => m.parent)) {
      const p = parseModelId(m.id);
      if (!p) { adapters.push(m.id); continue; }
      const key = `${p.name}:${p.job}`;
      const d = deployments.get(key) ?? { ...p, epoch: null, id: null, checkpoints: [] };
      if (p.epoch === null) d.id = p.id; else d.checkpoints.push(p);
      deployments.set(key, d);
    }
    parts.push(section(t('models.base'),
      h('ul', { class: 'plain', id: 'served-models' }, base.map(m => h('li', {}, h('strong', { class: 'mono' }, m.id), ` — ${t('models.served')} · `,
        h('a', { href: `/playground?models=${encodeURIComponent(m.id)}`, 'data-link': true }, t('models.try'))))),
      trainable.length ? h('div', {}, h('h3', {}, t('models.trainable')),
        h('ul', { class: 'plain', id: 'trainable-models' }, trainable.map(m => h('li', {}, h('span', { class: 'mono' }, m.name), ' ',
          h('span', { class: 'badge' }, m.served ? t('new.served') : t('models.inStorage')))))) : null));

    const rows = [...deployments.values()].sort((a, b) => a.name.localeCompare(b.name));
    const scoreCells = new Map();
    parts.push(section(t('models.deployments'), rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'deployments' },
      h('thead', {}, h('tr', {}, ['name', 'id', 'job', 'score', 'checkpoints'].map(c => h('th', { scope: 'col' }, t('models.col.' + c))), h('th', {}, ''))),
      h('tbody', {}, rows.map(d => {
        const score = h('td', {}, '…');
        scoreCells.set(d.job, score);
        const checkpoints = d.checkpoints.sort((a, b) => a.epoch - b.epoch);
        const main = d.id ?? checkpoints[checkpoints.length - 1]?.id;
        return h('tr', { dataset: { deployment: d.name } },
          h('th', { scope: 'row' }, d.name),
          h('td', { class: 'mono small' }, d.id ?? '—'),
          h('td', {}, h('a', { href: `/jobs/${d.job}`, 'data-link': true, class: 'mono' }, shortId(d.job))),
          score,
          h('td', {}, h('div', { class: 'chips' }, checkpoints.map(c => h('span', { class: 'chip', title: c.id }, `epoch ${c.epoch}`)))),
          h('td', {}, h('a', { href: `/playground?models=${encodeURIComponent([base[0]?.id, main, checkpoints[checkpoints.length - 1]?.id].filter(Boolean).join(','))}`, 'data-link': true }, t('models.try'))));
      }))))
      : h('p', { class: 'muted' }, t('models.none'))));
    if (adapters.length)
      parts.push(section(t('models.adapters'), h('ul', { class: 'plain' }, adapters.map(a => h('li', { class: 'mono' }, a)))));
    body.replaceChildren(...parts);

    for (const [job, cell] of scoreCells) {
      getJson(`/api/jobs/${encodeURIComponent(job)}`).then(s => {
        const o = s.output ?? {};
        cell.textContent = o.baseScore !== undefined ? `${fmtPercent(o.baseScore)} → ${fmtPercent(o.tunedScore)}` : '—';
      }).catch(() => { cell.textContent = '—'; });
    }
  })().catch(e => {
    if (!stopped) body.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('common.error', { message: e.message })));
  });

  return () => { stopped = true; };
}
