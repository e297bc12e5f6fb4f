// The validation report (the job's validate/report.json, or POST /api/validate): counts and line-numbered problems.
import { t } from './i18n.js';
import { h, fmtNumber, fmtBytes } from './dom.js';

export function reportCounts(report) {
  const st = report.statistics ?? {};
  const tokens = st.tokens ? `${fmtNumber(st.tokens.mean, 3)} / ${fmtNumber(st.tokens.p95)} / ${fmtNumber(st.tokens.max)}` : null;
  const items = [
    ['records', fmtNumber(report.records)],
    ['valid', fmtNumber(report.validExamples)],
    ['errors', fmtNumber(report.errors), report.errors > 0 ? 'bad' : null],
    ['warnings', fmtNumber(report.warnings), report.warnings > 0 ? 'warn' : null],
    ['dropped', fmtNumber(report.droppedExamples)],
    ['format', `${report.format ?? ''} · ${report.layout ?? ''} · ${report.mode ?? ''}`],
    ['bytes', fmtBytes(report.bytes)],
    tokens ? ['tokens', tokens] : null,
    st.trainingTokens !== undefined ? ['trainingTokens', fmtNumber(st.trainingTokens)] : null,
    st.duplicates !== undefined ? ['duplicates', fmtNumber(st.duplicates)] : null,
  ].filter(Boolean);
  return h('dl', { class: 'stats', id: 'report-counts' }, items.map(([key, value, tone]) =>
    h('div', { class: 'stat' + (tone ? ' ' + tone : ''), dataset: { key } }, h('dt', {}, t('report.' + key)), h('dd', {}, value))));
}

export function problemsTable(report, limit = 100) {
  const problems = report.problems ?? [];
  if (!problems.length) return h('p', { class: 'muted' }, t('job.noProblems'));
  const shown = problems.slice(0, limit);
  const codes = Object.entries(report.countsByCode ?? {});
  return h('div', {},
    codes.length ? h('p', { class: 'small' }, h('strong', {}, t('report.counts') + ': '), codes.map(([c, n]) => `${c} × ${n}`).join(', ')) : null,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'problems', id: 'problems-table' },
        h('thead', {}, h('tr', {}, ['line', 'severity', 'code', 'message', 'excerpt'].map(c => h('th', { scope: 'col' }, t('report.' + c))))),
        h('tbody', {}, shown.map(p => h('tr', { class: 'sev-' + String(p.severity).toLowerCase(), dataset: { line: p.line } },
          h('td', { class: 'num' }, p.line),
          h('td', {}, p.severity),
          h('td', { class: 'mono' }, p.code),
          h('td', {}, p.path ? `${p.message} (${p.path})` : p.message),
          h('td', {}, p.excerpt ? h('code', { class: 'excerpt' }, p.excerpt) : '')))))),
    problems.length > shown.length || report.truncated
      ? h('p', { class: 'small muted' }, report.truncated ? t('report.truncated') : t('report.more', { shown: shown.length, total: problems.length }))
      : null);
}
