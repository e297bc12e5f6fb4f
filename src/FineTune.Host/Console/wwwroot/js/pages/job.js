// A job's page: header and actions, the stage timeline, the live loss chart, evaluation (scores of base, tuned and
// every epoch's checkpoint; the gate; the item table), hyperparameters, the validation report, synthesized pairs
// (documents), and links to the job's files. Polls the status every 2 s until the job finishes; each section is redrawn
// only when its data changed, so a filter or a half-typed reason survives the polling.
import { t } from '../i18n.js';
import { h, section, progressBar, fmtTime, fmtDuration, fmtNumber, fmtPercent, baseName, sourceName, shortId, redactPaths } from '../dom.js';
import { getJson, jobFile, post, parseJsonl, openFile, ApiError } from '../api.js';
import { STAGES, isTerminal, isWaiting, shownStatus, shownStage, stageLabel, statusBadgeClass, durationMs, overallProgress, timeline } from '../jobstatus.js';
import { lossChart, chartLegend } from '../chart.js';
import { reportCounts, problemsTable } from '../report.js';

const POLL_MS = 2000;

export function render(main, [id]) {
  let stopped = false, timer = null;
  const files = {};            // path → parsed content, or null when known missing
  const done = new Set();      // files fetched for good (will not change any more)
  let presets = null, synth = null, items = {}, filter = 'all', compare = 'tuned';
  let job = null;

  const slots = {};
  const slot = name => (slots[name] = { el: h('div', { id: 'slot-' + name }), sig: null });
  const put = (name, sig, build) => {
    const s = slots[name];
    if (s.sig === sig) return;
    s.sig = sig;
    s.el.replaceChildren(...[build()].flat().filter(Boolean));
  };
  ['head', 'actions', 'timeline', 'training', 'hyper', 'validation', 'synth', 'evaluation', 'artifacts'].forEach(slot);
  const notice = h('div', { class: 'notice-area', 'aria-live': 'polite' });
  main.append(
    h('p', {}, h('a', { href: '/', 'data-link': true }, '← ' + t('job.back'))),
    slots.head.el, slots.actions.el, notice,
    slots.timeline.el, slots.training.el, slots.evaluation.el, slots.hyper.el, slots.validation.el, slots.synth.el, slots.artifacts.el);

  // ---- data ----

  async function load(path, parse = JSON.parse, final = true) {
    if (done.has(path)) return files[path];
    const text = await jobFile(id, path);
    files[path] = text === null ? null : parse(text);
    if (final) done.add(path); // the stage that writes it is over: it will not appear or change any more
    return files[path];
  }

  async function poll() {
    clearTimeout(timer);
    try {
      job = await getJson(`/api/jobs/${encodeURIComponent(id)}?showHistory=true`);
      if (!presets) presets = await getJson('/api/presets').catch(() => null);
      const stages = timeline(job);
      const reached = stage => stages[stage] && stages[stage].state !== 'pending' && stages[stage].state !== 'skipped';
      const finished = stage => stages[stage] && ['done', 'failed'].includes(stages[stage].state);
      const terminal = isTerminal(job);
      if (finished('validate') || terminal) await load('validate/report.json', JSON.parse, finished('validate') || terminal);
      if (job.input?.kind === 'documents' && (finished('synthesize') || terminal)) {
        await load('synthesize/report.json');
        if (!synth) synth = await getJson(`/api/synthesized/${encodeURIComponent(id)}`).catch(() => null);
      }
      if (finished('prepare') || terminal) await load('prepare/summary.json');
      if (reached('train') || terminal) {
        await load('train/spec.json');
        // Appended while training: fetched each poll until the stage is over.
        await load('train/metrics.jsonl', parseJsonl, finished('train') || terminal);
      }
      if (finished('evaluate') || terminal) {
        const results = await load('evaluate/results.json');
        if (results?.report?.per_item_files) {
          await loadItems('base');
          await loadItems(compare);
        }
      }
      if (stopped) return;
      draw();
      if (!terminal) timer = setTimeout(poll, POLL_MS);
    } catch (e) {
      if (stopped) return;
      if (e instanceof ApiError && e.status === 404 && !job) {
        main.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, t('job.notFound', { id })));
        return;
      }
      notice.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('common.error', { message: e.message })));
      timer = setTimeout(poll, POLL_MS * 2);
    }
  }

  async function loadItems(variant) {
    const name = files['evaluate/results.json']?.report?.per_item_files?.[variant];
    if (!name || items[variant]) return;
    items[variant] = await load('evaluate/' + baseName(name), parseJsonl) ?? [];
  }

  async function act(path, message) {
    try {
      await post(path);
      notice.replaceChildren(h('p', { class: 'ok', role: 'status' }, message ?? t('job.actionSent')));
      setTimeout(poll, 300);
    } catch (e) {
      notice.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('common.error', { message: e.message })));
    }
  }

  // ---- drawing ----

  function draw() {
    const status = shownStatus(job);
    const stages = timeline(job);
    put('head', JSON.stringify([status, job.customStatus, job.output, job.lastUpdatedTime, isTerminal(job) ? 0 : Math.floor(Date.now() / 1000)]), () => head(status));
    put('actions', JSON.stringify([status, job.customStatus?.waitingFor]), actions);
    put('timeline', JSON.stringify([stages, isTerminal(job) ? 0 : Math.floor(Date.now() / 1000)]), () => timelineSection(stages));
    const metrics = files['train/metrics.jsonl'];
    put('training', JSON.stringify([metrics?.length ?? -1, job.customStatus?.step, stages.train.state]), () => trainingSection(metrics, stages));
    put('hyper', JSON.stringify([!!presets, !!files['train/spec.json']]), hyperSection);
    put('validation', JSON.stringify([files['validate/report.json'] ? 1 : 0]), validationSection);
    put('synth', JSON.stringify([!!synth, !!files['synthesize/report.json']]), synthSection);
    put('evaluation', JSON.stringify([!!files['evaluate/results.json'], Object.keys(items), filter, compare, job.output, job.customStatus?.waitingFor]), evaluationSection);
    put('artifacts', JSON.stringify(Object.keys(files).filter(k => files[k] !== null)), artifactsSection);
  }

  function head(status) {
    const c = job.customStatus ?? {};
    const o = job.output ?? {};
    const progress = overallProgress(job);
    return [
      h('div', { class: 'page-head' },
        h('h1', {}, t('job.title', { id: shortId(id) }), ' ', h('span', { class: statusBadgeClass(status), id: 'job-status', dataset: { status } }, t('status.' + status)))),
      h('dl', { class: 'facts' },
        fact(t('jobs.col.id'), h('code', { id: 'job-id' }, id)),
        fact(t('job.source'), `${sourceName(job)} (${t('job.kind.' + (job.input?.kind ?? 'data'))})`),
        fact(t('jobs.col.stage'), stageLabel(shownStage(job))),
        fact(t('jobs.col.progress'), h('span', { class: 'row' }, progressBar(progress, `${Math.round(progress * 100)}%`), `${Math.round(progress * 100)}%`)),
        fact(t('job.created'), fmtTime(job.createdTime)),
        fact(t('job.duration'), fmtDuration(durationMs(job))),
        c.step !== undefined ? fact(t('job.training'), `${t('job.step', { step: c.step })} · ${t('job.loss', { loss: fmtNumber(c.loss) })}`) : null,
        c.message && !isWaiting(job) ? fact(t('job.message'), redactPaths(c.message)) : null),
      o.error ? h('p', { class: 'notice error', role: 'alert', id: 'job-error' }, t('job.error', { error: redactPaths(o.error) })) : null,
    ];
  }

  function actions() {
    if (isTerminal(job)) return null;
    const bar = h('div', { class: 'actions', role: 'group', 'aria-label': t('job.settings') });
    if (isWaiting(job)) {
      bar.append(
        h('p', { class: 'notice warn', id: 'waiting-note' }, t('job.waiting', { message: redactPaths(job.customStatus.message ?? job.customStatus.waitingFor) })),
        h('button', { type: 'button', class: 'primary', id: 'approve', onclick: () => act(`/api/jobs/${id}/raiseEvent/approve`) }, t('job.approve')),
        h('button', { type: 'button', id: 'reject', onclick: () => act(`/api/jobs/${id}/raiseEvent/reject`) }, t('job.reject')));
    }
    const reason = h('input', { type: 'text', id: 'terminate-reason', maxlength: 200 });
    bar.append(h('form', {
      class: 'row terminate', onsubmit: e => {
        e.preventDefault();
        act(`/api/jobs/${id}/terminate?reason=${encodeURIComponent(reason.value || 'terminated from the console')}`);
      },
    }, h('label', { for: 'terminate-reason' }, t('job.terminateReason')), reason,
    h('button', { type: 'submit', class: 'danger', id: 'terminate' }, t('job.terminate'))));
    return bar;
  }

  function timelineSection(stages) {
    return section(t('job.timeline'),
      h('ol', { class: 'timeline', id: 'timeline' }, STAGES.map(stage => {
        const s = stages[stage];
        const time = s.start ? `${fmtTime(new Date(s.start).toISOString())}` : '';
        const took = s.start && s.end ? fmtDuration(s.end - s.start) : s.start && (s.state === 'active' || s.state === 'waiting') ? fmtDuration(Date.now() - s.start) : '';
        return h('li', { class: 'stage stage-' + s.state, dataset: { stage, state: s.state } },
          h('span', { class: 'stage-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'stage-name' }, t('stage.' + stage)),
          h('span', { class: 'stage-state small' }, s.state === 'skipped' ? t('job.skipped') : s.state === 'waiting' ? t('job.waitingShort') : ''),
          h('span', { class: 'stage-time small muted' }, time),
          h('span', { class: 'stage-took small' }, took));
      })));
  }

  function trainingSection(metrics, stages) {
    if (!metrics && stages.train.state === 'pending') return null;
    const steps = (metrics ?? []).filter(m => m.type !== 'epoch' && typeof m.loss === 'number');
    const epochs = (metrics ?? []).filter(m => m.type === 'epoch').map(m => ({ ...m, validation_loss: m.validation_loss ?? m.val_loss ?? null }));
    const last = steps[steps.length - 1];
    const total = last && last.progress > 0 ? Math.round(last.step / last.progress) : null;
    return section(t('job.chart.title'),
      steps.length || epochs.length
        ? [chartLegend(epochs.some(e => e.validation_loss !== null)), h('div', { class: 'chart-wrap' }, lossChart(steps, epochs, total)),
          h('p', { class: 'small muted', id: 'chart-caption' }, t('job.chart.summary', { steps: steps.length, loss: last ? fmtNumber(last.loss) : '—', epochs: epochs.filter(e => e.validation_loss !== null).length }))]
        : h('p', { class: 'muted' }, t('job.chart.empty')));
  }

  function hyperSection() {
    const m = job.input?.manifest ?? {};
    const presetName = m.preset ?? presets?.default ?? 'standard';
    const preset = presets?.presets?.find(p => p.name === presetName)?.values ?? {};
    const overrides = Object.fromEntries(Object.entries(m.hyperparameters ?? {}).map(([k, v]) => [snake(k), v]));
    const keys = [...new Set([...Object.keys(preset), ...Object.keys(overrides)])];
    const rows = keys.map(k => {
      const set = k in overrides;
      return h('tr', { class: set ? 'overridden' : '', dataset: { name: k } },
        h('th', { scope: 'row', class: 'mono' }, k),
        h('td', { class: 'mono' }, show(set ? overrides[k] : preset[k])),
        h('td', { class: 'mono muted' }, k in preset ? show(preset[k]) : '—'));
    });
    const settings = [
      ['baseModel', baseName(m.baseModel)], ['systemPrompt', m.systemPrompt], ['triggerWord', m.triggerWord], ['evalSet', m.evalSet],
      ['generalData', m.generalData ? `${m.generalData.dataset} × ${m.generalData.fraction}` : null], ['deploymentName', m.deploymentName],
      ['invalidLines', m.invalidLines], ['requireApproval', m.requireApproval ? t('common.yes') : t('common.no')],
      ['minImprovement', m.minImprovement], ['onGateFail', m.onGateFail], ['validationFraction', m.evalSet ? null : m.validationFraction],
    ].filter(([, v]) => v !== null && v !== undefined && v !== '');
    return section(t('job.hyper'),
      h('p', {}, h('strong', {}, t('job.preset') + ': '), h('span', { id: 'job-preset' }, presetLabel(presetName)), ' ',
        h('span', { class: 'small muted' }, t('job.hyper.note'))),
      h('div', { class: 'two-col wide-left' },
        h('div', { class: 'table-wrap' }, h('table', { class: 'kv', id: 'hyperparameters' },
          h('thead', {}, h('tr', {}, [t('job.hyper.name'), t('job.hyper.value'), t('job.hyper.preset', { name: presetName })].map(x => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, rows))),
        h('dl', { class: 'facts narrow', id: 'job-settings' }, settings.map(([k, v]) => fact(k === 'baseModel' ? t('job.baseModel') : t('job.set.' + k), String(v))))));
  }

  function validationSection() {
    const report = files['validate/report.json'];
    if (!report) return null;
    return section(t('job.validation'), h('div', { id: 'validation-report' }, reportCounts(report), h('h3', {}, t('job.problems')), problemsTable(report)));
  }

  function synthSection() {
    if (job.input?.kind !== 'documents' || (!synth && !files['synthesize/report.json'])) return null;
    const pairs = synth?.pairs ?? [];
    return section(t('job.synth'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'pairs', id: 'synth-pairs' },
        h('thead', {}, h('tr', {}, ['#', t('job.synth.question'), t('job.synth.answer'), t('job.synth.source'), t('job.synth.pages')].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, pairs.map(p => h('tr', { class: p.flagged ? 'flagged' : '' },
          h('td', { class: 'num' }, p.line), h('td', {}, p.question),
          h('td', {}, p.answer, p.flagged ? h('span', { class: 'badge badge-warn' }, t('job.synth.flagged')) : null),
          h('td', {}, p.source ?? '—'),
          h('td', { class: 'nowrap' }, p.firstPage === null || p.firstPage === undefined ? '—' : p.firstPage === p.lastPage ? String(p.firstPage) : `${p.firstPage}–${p.lastPage}`)))))),
      synth?.truncated ? h('p', { class: 'small muted' }, t('job.synth.more', { n: pairs.length })) : null);
  }

  function evaluationSection() {
    const results = files['evaluate/results.json'];
    const o = job.output ?? {}, c = job.customStatus ?? {};
    const gate = results?.gate;
    const parts = [];
    if (results?.report?.results) parts.push(scoresTable(results.report.results));
    else parts.push(h('p', { class: 'muted' }, t('job.eval.pending')));
    parts.push(gateBlock(gate, o, c));
    if (results?.report?.per_item_files) parts.push(itemsBlock(results.report.per_item_files));
    return section(t('job.eval'), parts);
  }

  function variantOrder(names) {
    const epoch = n => Number((n.match(/^epoch-(\d+)$/) ?? [])[1]);
    return [...names].sort((a, b) => rank(a) - rank(b) || epoch(a) - epoch(b) || a.localeCompare(b));
    function rank(n) { return n === 'base' ? 0 : n.startsWith('epoch-') ? 1 : n === 'tuned' ? 2 : 3; }
  }

  function variantLabel(name) {
    if (name === 'base') return t('job.eval.base');
    if (name === 'tuned') return t('job.eval.tuned');
    return name;
  }

  function scoresTable(results) {
    const names = variantOrder(Object.keys(results));
    return h('div', { class: 'table-wrap' }, h('table', { class: 'scores', id: 'scores' },
      h('thead', {}, h('tr', {}, [t('job.eval.variant'), t('job.eval.flexible'), t('job.eval.strict'), t('job.eval.correct')].map(x => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, names.map(name => {
        const r = results[name];
        return h('tr', { id: 'score-' + name, class: name === 'base' || name === 'tuned' ? 'key-row' : '', dataset: { variant: name, score: r.flexible_accuracy } },
          h('th', { scope: 'row' }, variantLabel(name)),
          h('td', {}, h('div', { class: 'bar-cell' }, h('div', { class: 'bar ' + (name === 'base' ? 'bar-base' : 'bar-tuned'), style: `width:${(r.flexible_accuracy * 100).toFixed(1)}%` }),
            h('span', { class: 'bar-value' }, fmtPercent(r.flexible_accuracy)))),
          h('td', {}, fmtPercent(r.strict_accuracy)),
          h('td', { class: 'num' }, `${r.correct_flexible} / ${r.items}`));
      }))));
  }

  function gateBlock(gate, o, c) {
    const outcome = o.gate ?? gate?.outcome ?? null;
    const reason = o.gateReason ?? gate?.reason ?? null;
    const block = h('div', { class: 'gate', id: 'gate' }, h('h3', {}, t('job.gate')));
    if (!outcome && !isWaiting(job)) {
      block.append(h('p', { class: 'muted' }, t('job.gate.pending')));
      return block;
    }
    const base = o.baseScore ?? c.baseScore ?? gate?.baseScore, tuned = o.tunedScore ?? c.tunedScore ?? gate?.tunedScore;
    block.append(h('dl', { class: 'facts' },
      fact(t('job.gate.outcome'), h('span', { id: 'gate-outcome', class: 'badge ' + (outcome === 'Deploy' ? 'badge-completed' : outcome === 'Fail' ? 'badge-failed' : 'badge-waiting') }, outcome ?? t('status.Waiting'))),
      fact(t('job.gate.reason'), h('span', { id: 'gate-reason' }, redactPaths(reason ?? c.message ?? ''))),
      base !== undefined ? fact(`${t('job.eval.base')} → ${t('job.eval.tuned')}`, `${fmtPercent(base)} → ${fmtPercent(tuned)}`) : null,
      o.deployed === true ? fact(t('stage.deploy'), h('span', { id: 'deployed' }, t('job.gate.deployed', { name: o.deployment }))) : null,
      o.deployed === false ? fact(t('stage.deploy'), h('span', { id: 'deployed' }, t('job.gate.notDeployed') + (o.reason ? ` (${o.reason})` : ''))) : null));
    if (o.deployed === true && o.deployment)
      block.append(h('p', {}, h('a', { href: `/playground?deployment=${encodeURIComponent(o.deployment)}&job=${encodeURIComponent(id)}`, 'data-link': true }, t('job.tryPlayground'))));
    if (isWaiting(job))
      block.append(h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', onclick: () => act(`/api/jobs/${id}/raiseEvent/approve`) }, t('job.approve')),
        h('button', { type: 'button', onclick: () => act(`/api/jobs/${id}/raiseEvent/reject`) }, t('job.reject'))));
    return block;
  }

  function itemsBlock(perItem) {
    const variants = variantOrder(Object.keys(perItem).filter(v => v !== 'base'));
    const compareSelect = h('select', { id: 'eval-compare' }, variants.map(v => h('option', { value: v, selected: v === compare }, variantLabel(v))));
    compareSelect.addEventListener('change', async () => {
      compare = compareSelect.value;
      await loadItems(compare);
      draw();
    });
    const filterSelect = h('select', { id: 'eval-filter' }, ['all', 'changed', 'improved', 'regressed'].map(f => h('option', { value: f, selected: f === filter }, t('job.eval.filter.' + f))));
    filterSelect.addEventListener('change', () => { filter = filterSelect.value; draw(); });
    const base = items.base ?? [], other = items[compare] ?? [];
    const byIndex = new Map(other.map(r => [r.index, r]));
    const rows = base.map(b => ({ b, o: byIndex.get(b.index) })).filter(({ o }) => o);
    const shown = rows.filter(({ b, o }) => filter === 'all'
      || (filter === 'changed' && b.correct_flexible !== o.correct_flexible)
      || (filter === 'improved' && !b.correct_flexible && o.correct_flexible)
      || (filter === 'regressed' && b.correct_flexible && !o.correct_flexible));
    return h('div', { class: 'items' },
      h('h3', {}, t('job.eval.items')),
      h('div', { class: 'row' },
        h('label', { for: 'eval-compare' }, t('job.eval.compare')), compareSelect,
        h('label', { for: 'eval-filter' }, t('job.eval.filter')), filterSelect,
        h('span', { class: 'small muted', id: 'eval-count' }, t('common.of', { shown: shown.length, total: rows.length }))),
      shown.length === 0 ? h('p', { class: 'muted' }, t('job.eval.none')) :
        h('div', { class: 'table-wrap' }, h('table', { class: 'eval-items', id: 'eval-items' },
          h('thead', {}, h('tr', {}, ['#', t('job.eval.col.question'), t('job.eval.col.reference'), t('job.eval.col.base'), t('job.eval.col.tuned', { name: variantLabel(compare) })].map(x => h('th', { scope: 'col' }, x)))),
          h('tbody', {}, shown.map(({ b, o }) => h('tr', { dataset: { index: b.index, changed: String(b.correct_flexible !== o.correct_flexible) } },
            h('td', { class: 'num' }, b.index + 1),
            h('td', { class: 'question' }, questionOf(b.prompt)),
            h('td', { class: 'mono' }, b.reference),
            outputCell(b), outputCell(o)))))));
  }

  function outputCell(r) {
    const mark = r.correct_flexible ? t('job.eval.correctMark') : t('job.eval.wrongMark');
    return h('td', { class: 'output ' + (r.correct_flexible ? 'right' : 'wrong') }, h('div', { class: 'out' },
      h('span', { class: 'mark', title: mark, 'aria-label': mark }, r.correct_flexible ? '✓' : '✗'), h('span', { class: 'text', tabindex: 0 }, r.output.trim())));
  }

  function artifactsSection() {
    const paths = Object.keys(files).filter(k => files[k] !== null);
    const results = files['evaluate/results.json'];
    for (const name of Object.values(results?.report?.per_item_files ?? {})) paths.push('evaluate/' + baseName(name));
    const unique = [...new Set(paths)].sort();
    return section(t('job.artifacts'), unique.length
      ? h('ul', { class: 'artifacts', id: 'artifacts' }, unique.map(p => {
        const href = `/api/jobs/${encodeURIComponent(id)}/files/${p}`;
        return h('li', {}, h('a', {
          href, target: '_blank', rel: 'noopener', onclick: e => { e.preventDefault(); openFile(href).catch(err => notice.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message))); },
        }, p));
      }))
      : h('p', { class: 'muted' }, t('job.artifacts.none')));
  }

  poll();
  return () => { stopped = true; clearTimeout(timer); };
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

export function presetLabel(name) {
  const label = t('new.preset.' + name);
  return label === 'new.preset.' + name ? name : label;
}

const snake = k => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

function show(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The question of an evaluation prompt: its last user turn, whichever chat template rendered it. */
export function questionOf(prompt) {
  const patterns = [
    /<\|im_start\|>user\n([\s\S]*?)<\|im_end\|>/g,                                   // ChatML, Qwen2.5, Qwen3
    /<\|start_header_id\|>user<\|end_header_id\|>\n\n([\s\S]*?)<\|eot_id\|>/g,        // Llama 3
    /\[INST\]([\s\S]*?)\[\/INST\]/g,                                                   // Llama 2
  ];
  for (const p of patterns) {
    const all = [...(prompt ?? '').matchAll(p)];
    if (all.length) return all[all.length - 1][1].replace(/<<SYS>>[\s\S]*?<<\/SYS>>/, '').trim();
  }
  return (prompt ?? '').replace(/<\|[^|]*\|>/g, ' ').trim();
}
