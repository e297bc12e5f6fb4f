// The loss chart, drawn by hand as SVG: training loss at every logged step (a line with one point per step) and
// validation loss at each epoch's end (larger dashed points), with axes, grid and epoch marks; the legend is HTML.
import { h, s } from './dom.js';
import { t } from './i18n.js';

const W = 1000, H = 300, M = { top: 18, right: 16, bottom: 40, left: 52 };

/** A "nice" tick step for a span split into about n parts (1, 2 or 5 × 10^k). */
function niceStep(span, n) {
  const raw = span / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

function ticks(max, n) {
  const step = niceStep(max, n);
  const out = [];
  for (let v = 0; ; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (v >= max - step * 1e-9) break;   // the last tick is at or above the maximum
  }
  return out;
}

const label = v => Math.abs(v) >= 1000 ? v.toLocaleString('en') : Number(v.toPrecision(3)).toString();

/**
 * steps: [{step, loss}], epochs: [{epoch, step, validation_loss, train_loss}] → an <svg> element.
 * The y axis starts at 0; x spans 0 … the last step (or the planned total while training).
 */
export function lossChart(steps, epochs, totalSteps) {
  const val = epochs.filter(e => e.validation_loss !== null && e.validation_loss !== undefined);
  const maxStep = Math.max(1, totalSteps ?? 0, ...steps.map(p => p.step), ...epochs.map(e => e.step));
  const maxLoss = Math.max(1e-6, ...steps.map(p => p.loss), ...val.map(e => e.validation_loss));
  const yTicks = ticks(maxLoss, 5);
  const yMax = yTicks[yTicks.length - 1];
  const xTicks = ticks(maxStep, 8).filter(v => v <= maxStep);
  const iw = W - M.left - M.right, ih = H - M.top - M.bottom;
  const x = v => M.left + (v / maxStep) * iw;
  const y = v => M.top + ih - (v / yMax) * ih;

  const svg = s('svg', {
    class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', id: 'loss-chart',
    'aria-label': t('job.chart.summary', { steps: steps.length, loss: steps.length ? label(steps[steps.length - 1].loss) : '—', epochs: val.length }),
  });
  const grid = s('g', { class: 'grid' });
  for (const v of yTicks) {
    grid.append(s('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
    grid.append(s('text', { x: M.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, label(v)));
  }
  for (const v of xTicks) {
    grid.append(s('line', { x1: x(v), x2: x(v), y1: M.top + ih, y2: M.top + ih + 5, class: 'tick-mark' }));
    grid.append(s('text', { x: x(v), y: M.top + ih + 18, 'text-anchor': 'middle', class: 'tick' }, label(v)));
  }
  svg.append(grid);
  if (epochs.length && epochs.length <= 20) {
    const marks = s('g', { class: 'epoch-marks' });
    for (const e of epochs) {
      marks.append(s('line', { x1: x(e.step), x2: x(e.step), y1: M.top, y2: M.top + ih }));
      marks.append(s('text', { x: x(e.step) - 3, y: M.top + 10, 'text-anchor': 'end', class: 'tick small' }, `E${e.epoch}`));
    }
    svg.append(marks);
  }
  svg.append(s('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: M.top + ih, y2: M.top + ih }));
  svg.append(s('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: M.top + ih }));
  svg.append(s('text', { class: 'axis-label', x: M.left + iw / 2, y: H - 6, 'text-anchor': 'middle' }, t('job.chart.step')));
  svg.append(s('text', { class: 'axis-label', x: 14, y: M.top + ih / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${M.top + ih / 2})` }, t('job.chart.loss')));

  if (steps.length) {
    svg.append(s('polyline', { class: 'line-train', points: steps.map(p => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ') }));
    const points = s('g', { class: 'points-train' });
    for (const p of steps)
      points.append(s('circle', { class: 'pt-train', cx: x(p.step).toFixed(1), cy: y(p.loss).toFixed(1), r: 2.6, dataset: { step: p.step, loss: p.loss } },
        s('title', {}, `${t('job.step', { step: p.step })}: ${t('job.loss', { loss: label(p.loss) })}`)));
    svg.append(points);
  }
  if (val.length) {
    svg.append(s('polyline', { class: 'line-val', points: val.map(e => `${x(e.step).toFixed(1)},${y(e.validation_loss).toFixed(1)}`).join(' ') }));
    const points = s('g', { class: 'points-val' });
    for (const e of val)
      points.append(s('circle', { class: 'pt-val', cx: x(e.step).toFixed(1), cy: y(e.validation_loss).toFixed(1), r: 4.5, dataset: { epoch: e.epoch, loss: e.validation_loss } },
        s('title', {}, `E${e.epoch} · ${t('job.step', { step: e.step })}: ${t('job.chart.val')} ${label(e.validation_loss)}`)));
    svg.append(points);
  }
  return svg;
}

/** The legend under the chart's title: a swatch per series shown. */
export function chartLegend(withValidation) {
  return h('ul', { class: 'chart-legend' },
    h('li', {}, h('span', { class: 'swatch swatch-train', 'aria-hidden': 'true' }), t('job.chart.train')),
    withValidation ? h('li', {}, h('span', { class: 'swatch swatch-val', 'aria-hidden': 'true' }), t('job.chart.val')) : null);
}
