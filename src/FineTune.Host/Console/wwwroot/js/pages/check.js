// Dataset check: a file is streamed to POST /api/validate (the pipeline's own validator; nothing is stored and no job
// starts) and the report shown: a verdict, the counts, and the first problems with their line numbers.
import { t } from '../i18n.js';
import { h, field, section, fmtNumber } from '../dom.js';
import { post } from '../api.js';
import { reportCounts, problemsTable } from '../report.js';

export function render(main) {
  let stopped = false, file = null;
  const input = h('input', { type: 'file', id: 'check-file', accept: '.jsonl,.json', class: 'file-input' });
  const mode = h('select', { id: 'check-mode' }, ['strict', 'lenient'].map(m => h('option', { value: m }, t('check.mode.' + m))));
  const format = h('select', { id: 'check-format' }, ['auto', 'chat', 'alpaca', 'sharegpt'].map(f => h('option', { value: f }, f === 'auto' ? t('check.format.auto') : f)));
  const again = h('button', { type: 'button', id: 'check-again', disabled: true }, t('check.run'));
  const out = h('div', { id: 'check-result', 'aria-live': 'polite' });
  const drop = h('label', { class: 'drop', for: 'check-file', id: 'check-drop' },
    h('span', {}, t('check.drop'), ' '), h('span', { class: 'link-like' }, t('new.pick')), input);
  for (const type of ['dragenter', 'dragover']) drop.addEventListener(type, e => { e.preventDefault(); drop.classList.add('over'); });
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); if (e.dataTransfer.files[0]) choose(e.dataTransfer.files[0]); });
  input.addEventListener('change', () => { if (input.files[0]) choose(input.files[0]); });
  again.addEventListener('click', () => file && run());
  mode.addEventListener('change', () => file && run());
  format.addEventListener('change', () => file && run());

  main.append(h('h1', {}, t('check.title')), h('p', { class: 'muted' }, t('check.help')),
    section(t('new.fileLabel'), drop, h('div', { class: 'grid' }, field(t('check.mode'), mode), field(t('check.format'), format)), h('div', { class: 'row' }, again)),
    out);

  function choose(f) {
    file = f;
    again.disabled = false;
    run();
  }

  async function run() {
    const current = file;
    out.replaceChildren(h('p', { class: 'muted' }, t('check.running', { name: current.name })));
    try {
      const report = await post(`/api/validate?name=${encodeURIComponent(current.name)}&mode=${mode.value}&format=${format.value}`, current,
        { 'Content-Type': 'application/octet-stream' });
      if (stopped || current !== file) return;
      out.replaceChildren(verdict(current.name, report), section(t('job.validation'), reportCounts(report), h('h3', {}, t('check.firstProblems')), problemsTable(report, 50)));
    } catch (e) {
      if (stopped || current !== file) return;
      out.replaceChildren(h('div', { class: 'verdict bad', role: 'alert', id: 'check-verdict' }, h('p', { class: 'verdict-title' }, '✗ ', e.message)));
    }
  }

  return () => { stopped = true; };
}

function verdict(name, report) {
  if (report.usable)
    return h('div', { class: 'verdict good', role: 'status', id: 'check-verdict', dataset: { usable: 'true' } },
      h('p', { class: 'verdict-title' }, '✓ ', t('check.usable', { name, valid: fmtNumber(report.validExamples) })));
  const first = (report.problems ?? []).filter(p => String(p.severity).toLowerCase() === 'error').slice(0, 3);
  return h('div', { class: 'verdict bad', role: 'alert', id: 'check-verdict', dataset: { usable: 'false' } },
    h('p', { class: 'verdict-title' }, '✗ ', report.errors > 0
      ? t('check.unusable', { name, errors: fmtNumber(report.errors), records: fmtNumber(report.records) })
      : t('check.unusableEmpty', { name })),
    first.length ? h('ul', {}, first.map(p => h('li', {}, h('strong', {}, `${t('report.line')} ${p.line}`), `: ${p.message}`, p.excerpt ? h('code', { class: 'excerpt' }, p.excerpt) : null))) : null,
    report.errors > 0 ? h('p', { class: 'small' }, t('check.fix')) : null);
}
