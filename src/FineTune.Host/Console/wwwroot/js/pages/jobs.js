// Jobs: the live list, newest first, filtered by status; polls GET /api/jobs every 2 s.
import { t, locale } from '../i18n.js';
import { h, progressBar, fmtTime, fmtDuration, shortId, sourceName } from '../dom.js';
import { getJson } from '../api.js';
import { isWaiting, shownStatus, shownStage, stageLabel, statusBadgeClass, durationMs, overallProgress } from '../jobstatus.js';

const STATUSES = ['All', 'Running', 'Waiting', 'Pending', 'Completed', 'Failed', 'Terminated', 'Suspended'];
const POLL_MS = 2000;

export function render(main, _params, query) {
  let status = STATUSES.includes(query.get('status')) ? query.get('status') : 'All';
  let timer = null, stopped = false;

  const filter = h('select', { id: 'status-filter' }, STATUSES.map(s => h('option', { value: s, selected: s === status }, t('status.' + s))));
  filter.addEventListener('change', () => {
    status = filter.value;
    history.replaceState(null, '', status === 'All' ? '/' : `/?status=${status}`);
    refresh();
  });
  const updated = h('span', { class: 'muted small', 'aria-live': 'off' });
  const body = h('div', { id: 'jobs-body' }, h('p', { class: 'muted' }, t('common.loading')));
  main.append(
    h('div', { class: 'page-head' },
      h('h1', {}, t('jobs.title')),
      h('div', { class: 'row' },
        h('label', { for: 'status-filter' }, t('jobs.filter')), filter,
        h('a', { href: '/new', 'data-link': true, class: 'button primary' }, t('jobs.new')))),
    updated, body);

  async function refresh() {
    clearTimeout(timer);
    try {
      // "Waiting" is a Running job that waits for approve/reject: asked for as Running, then filtered here.
      const asked = status === 'Waiting' ? 'Running' : status;
      const query = asked === 'All' ? '?top=200' : `?runtimeStatus=${asked}&top=200`;
      let jobs = await getJson('/api/jobs' + query);
      if (status === 'Waiting') jobs = jobs.filter(isWaiting);
      if (stopped) return;
      jobs.sort((a, b) => Date.parse(b.createdTime) - Date.parse(a.createdTime));
      body.replaceChildren(jobs.length ? table(jobs) : h('p', { class: 'empty' }, status === 'All' ? t('jobs.empty') : t('jobs.emptyFiltered', { status: t('status.' + status) })));
      updated.textContent = t('jobs.live', { time: new Date().toLocaleTimeString(locale()) });
    } catch (e) {
      if (stopped) return;
      body.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('common.error', { message: e.message })));
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}

function table(jobs) {
  return h('table', { class: 'jobs', id: 'jobs-table' },
    h('thead', {}, h('tr', {},
      ['id', 'source', 'status', 'stage', 'progress', 'created', 'duration'].map(c => h('th', { scope: 'col' }, t('jobs.col.' + c))))),
    h('tbody', {}, jobs.map(row)));
}

function row(job) {
  const status = shownStatus(job);
  const progress = overallProgress(job);
  return h('tr', { dataset: { jobId: job.instanceId, status } },
    h('td', {}, h('a', { href: `/jobs/${job.instanceId}`, 'data-link': true, class: 'mono', title: job.instanceId }, shortId(job.instanceId))),
    h('td', { class: 'source' }, sourceName(job)),
    h('td', {}, h('span', { class: statusBadgeClass(status) }, t('status.' + status))),
    h('td', {}, stageLabel(shownStage(job))),
    h('td', { class: 'progress-cell' }, progressBar(progress, `${Math.round(progress * 100)}%`), h('span', { class: 'small muted' }, `${Math.round(progress * 100)}%`)),
    h('td', { class: 'nowrap' }, fmtTime(job.createdTime)),
    h('td', { class: 'nowrap' }, fmtDuration(durationMs(job))));
}
