// New job: a data file (drag and drop or pick; a *.job.json dropped with it fills the form), base model, preset
// (each showing its values), hyperparameter overrides checked against the trainer's ranges before submit, prompt
// settings, eval set, general-data mixing and deployment; submitted as POST /api/jobs (multipart: the file and a
// `manifest` field), as any client does.
import { t } from '../i18n.js';
import { h, field, setFieldError, section, fmtBytes, fmtNumber, navigate } from '../dom.js';
import { getJson, request, post, ApiError } from '../api.js';

const DATA = ['.jsonl', '.json'], DOCS = ['.pdf', '.txt', '.md', '.docx'];
const MANIFEST = '.job.json';
const ext = name => { const i = name.lastIndexOf('.'); return i < 0 ? '' : name.slice(i).toLowerCase(); };
export const kindOf = name => name.toLowerCase().endsWith(MANIFEST) ? 'manifest' : DATA.includes(ext(name)) ? 'data' : DOCS.includes(ext(name)) ? 'documents' : null;

export function render(main) {
  let stopped = false;
  let presets = null, baseModels = [], datasets = [];
  let dataFile = null;
  const hp = {};              // name → input/select

  const form = h('form', { id: 'new-job', novalidate: true, class: 'stack' });
  const errors = h('div', { id: 'form-errors', role: 'alert', class: 'form-errors', hidden: true });
  const result = h('div', { id: 'submit-result', 'aria-live': 'polite' });
  main.append(h('h1', {}, t('new.title')), form);
  form.append(h('p', { class: 'muted' }, t('common.loading')));

  Promise.all([
    getJson('/api/presets'),
    getJson('/api/base-models').catch(() => []),
    getJson('/api/datasets').catch(() => []),
  ]).then(([p, m, d]) => {
    if (stopped) return;
    presets = p; baseModels = m; datasets = d;
    build();
  }).catch(e => {
    if (!stopped) form.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('common.error', { message: e.message })));
  });

  // ---- controls ----
  const fileInput = h('input', { type: 'file', id: 'files', multiple: true, accept: [...DATA, ...DOCS].join(','), class: 'file-input' });
  const fileSummary = h('div', { id: 'file-summary', class: 'muted' }, t('new.noFile'));
  const fileCheck = h('div', { id: 'file-check', 'aria-live': 'polite' });
  const modelSelect = h('select', { id: 'base-model' });
  const modelOther = h('input', { type: 'text', id: 'base-model-other', autocomplete: 'off', spellcheck: 'false' });
  const presetRadios = {};
  const systemPrompt = h('textarea', { id: 'system-prompt', rows: 2 });
  const triggerWord = h('input', { type: 'text', id: 'trigger-word' });
  const evalSet = h('select', { id: 'eval-set' });
  const evalUpload = h('input', { type: 'file', id: 'eval-upload', accept: '.jsonl,.json' });
  const evalStatus = h('div', { class: 'small', 'aria-live': 'polite' });
  const validationFraction = h('input', { type: 'number', id: 'validation-fraction', step: 'any', min: 0, max: 0.99, placeholder: '0.1' });
  const generalData = h('select', { id: 'general-data' });
  const generalFraction = h('input', { type: 'number', id: 'general-fraction', step: 'any', min: 0, max: 1, placeholder: '0.2' });
  const deploymentName = h('input', { type: 'text', id: 'deployment-name', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9._\\-]+' });
  const requireApproval = h('input', { type: 'checkbox', id: 'require-approval' });
  const minImprovement = h('input', { type: 'number', id: 'min-improvement', step: 'any', min: -1, max: 1, placeholder: '0' });
  const onGateFail = h('select', { id: 'on-gate-fail' }, ['wait', 'fail', 'deploy'].map(v => h('option', { value: v }, t('new.onGateFail.' + v))));
  const invalidLines = h('select', { id: 'invalid-lines' }, ['fail', 'drop'].map(v => h('option', { value: v }, t('new.invalidLines.' + v))));
  const submit = h('button', { type: 'submit', class: 'primary big', id: 'submit' }, t('new.submit'));

  function build() {
    // data
    const drop = h('label', { class: 'drop', for: 'files', id: 'drop-zone' },
      h('span', {}, t('new.drop'), ' '), h('span', { class: 'link-like' }, t('new.pick')), fileInput);
    for (const type of ['dragenter', 'dragover']) drop.addEventListener(type, e => { e.preventDefault(); drop.classList.add('over'); });
    for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
    drop.addEventListener('drop', e => { e.preventDefault(); takeFiles([...e.dataTransfer.files]); });
    fileInput.addEventListener('change', () => takeFiles([...fileInput.files]));

    // model
    modelSelect.replaceChildren(
      ...baseModels.map(m => h('option', { value: m.baseModel }, m.served ? `${m.name} (${t('new.served')})` : `${m.name} (${t('models.inStorage')})`)),
      h('option', { value: '' }, t('new.modelOther')));
    const otherField = field(t('new.modelPath'), modelOther);
    const syncOther = () => { otherField.hidden = modelSelect.value !== ''; };
    modelSelect.addEventListener('change', syncOther);
    syncOther();

    const presetCards = h('div', { class: 'presets' }, presets.presets.map(p => {
      const radio = h('input', { type: 'radio', name: 'preset', value: p.name, id: 'preset-' + p.name, checked: p.name === presets.default });
      radio.addEventListener('change', updatePlaceholders);
      presetRadios[p.name] = radio;
      const shown = ['learning_rate', 'epochs', 'batch_size', 'lora_rank', 'lora_alpha', 'lora_dropout'];
      return h('label', { class: 'preset', for: 'preset-' + p.name },
        radio, h('span', { class: 'preset-name' }, t('new.preset.' + p.name)),
        h('dl', { class: 'preset-values' }, shown.filter(k => k in p.values).map(k => h('div', {}, h('dt', {}, k), h('dd', {}, String(p.values[k]))))));
    }));

    // hyperparameters: every range the trainer checks, plus the scheduler
    const grid = h('div', { class: 'grid' });
    for (const r of presets.ranges) {
      const input = h('input', { type: 'number', id: 'hp-' + r.name, name: r.name, step: r.integer ? 1 : 'any', min: r.min, max: r.max, inputmode: r.integer ? 'numeric' : 'decimal' });
      input.addEventListener('input', () => setFieldError(input, checkRange(r, input.value)));
      hp[r.name] = input;
      grid.append(field(r.name, input, r.minExclusive ? t('new.rangeOpen', { min: r.min, max: r.max }) : t('new.range', { min: r.min, max: r.max })));
    }
    const scheduler = h('select', { id: 'hp-scheduler', name: 'scheduler' }, h('option', { value: '' }, ''), presets.schedulers.map(s => h('option', { value: s }, s)));
    hp.scheduler = scheduler;
    grid.append(field('scheduler', scheduler));

    // datasets
    fillDatasets();
    evalUpload.addEventListener('change', uploadEvalSet);
    const syncEval = () => { validationFraction.closest('.field').hidden = evalSet.value !== ''; };
    evalSet.addEventListener('change', syncEval);

    form.replaceChildren(
      section(t('new.file'), drop, fileSummary, fileCheck),
      section(t('new.model'),
        field(t('new.model'), modelSelect), otherField,
        h('fieldset', { class: 'preset-set' }, h('legend', {}, t('new.preset')), presetCards)),
      section(t('new.hyper'), h('p', { class: 'muted small' }, t('new.hyperHelp')), grid),
      section(t('new.data'),
        field(t('new.systemPrompt'), systemPrompt, t('new.systemPromptHelp')),
        field(t('new.triggerWord'), triggerWord, t('new.triggerWordHelp')),
        h('div', { class: 'grid' },
          field(t('new.evalSet'), evalSet),
          field(t('new.evalUpload'), evalUpload),
          field(t('new.validationFraction'), validationFraction)),
        evalStatus,
        h('div', { class: 'grid' },
          field(t('new.generalData'), generalData),
          field(t('new.generalFraction'), generalFraction))),
      section(t('new.deploy'),
        h('div', { class: 'grid' },
          field(t('new.deploymentName'), deploymentName, t('new.deploymentHelp')),
          field(t('new.minImprovement'), minImprovement),
          field(t('new.onGateFail'), onGateFail),
          field(t('new.invalidLines'), invalidLines)),
        h('div', { class: 'check' }, requireApproval, h('label', { for: 'require-approval' }, t('new.requireApproval')))),
      errors,
      h('div', { class: 'row' }, submit),
      result);
    syncEval();
    updatePlaceholders();
  }

  function fillDatasets() {
    const keep = [evalSet.value, generalData.value];
    evalSet.replaceChildren(h('option', { value: '' }, t('new.evalNone')), datasets.map(d => h('option', { value: d.name }, `${d.name} (${fmtBytes(d.bytes)})`)));
    generalData.replaceChildren(h('option', { value: '' }, t('new.generalNone')), datasets.map(d => h('option', { value: d.name }, d.name)));
    [evalSet.value, generalData.value] = keep.map((v, i) => [...[evalSet, generalData][i].options].some(o => o.value === v) ? v : '');
  }

  function selectedPreset() {
    return Object.values(presetRadios).find(r => r.checked)?.value ?? presets.default;
  }

  function updatePlaceholders() {
    const values = presets.presets.find(p => p.name === selectedPreset())?.values ?? {};
    for (const [name, input] of Object.entries(hp)) {
      if (input.tagName === 'SELECT') input.options[0].textContent = `${values[name] ?? ''} (${t('job.fromPreset')})`;
      else input.placeholder = values[name] === undefined ? '' : String(values[name]);
    }
  }

  // ---- files ----

  function takeFiles(files) {
    const manifests = files.filter(f => kindOf(f.name) === 'manifest');
    const data = files.filter(f => kindOf(f.name) === 'data' || kindOf(f.name) === 'documents');
    const other = files.filter(f => !kindOf(f.name));
    fileCheck.replaceChildren();
    if (other.length) {
      fileSummary.replaceChildren(h('span', { class: 'error' }, t('new.notInput', { name: other.map(f => f.name).join(', ') })));
      return;
    }
    if (data.length > 1) {
      fileSummary.replaceChildren(h('span', { class: 'error' }, t('new.tooMany', { names: data.map(f => f.name).join(', ') })));
      return;
    }
    if (data.length === 1) dataFile = data[0];
    const lines = [];
    if (dataFile) lines.push(h('div', { id: 'chosen-file' }, h('strong', {}, dataFile.name), ` · ${fmtBytes(dataFile.size)} · ${kindOf(dataFile.name) === 'documents' ? t('job.kind.documents') : t('job.kind.data')}`));
    else lines.push(h('div', {}, t('new.noFile')));
    fileSummary.replaceChildren(...lines);
    if (manifests.length) loadManifest(manifests[0]);
    if (dataFile && data.length) quickCheck(dataFile);
  }

  async function quickCheck(file) {
    if (kindOf(file.name) === 'documents') {
      fileCheck.replaceChildren(h('p', { class: 'muted' }, t('new.document')));
      return;
    }
    fileCheck.replaceChildren(h('p', { class: 'muted' }, t('new.checking')));
    try {
      const r = await post(`/api/validate?name=${encodeURIComponent(file.name)}`, file, { 'Content-Type': 'application/octet-stream' });
      if (dataFile !== file) return;
      const first = (r.problems ?? []).filter(p => String(p.severity).toLowerCase() === 'error').slice(0, 3);
      fileCheck.replaceChildren(r.usable
        ? h('p', { class: 'ok' }, '✓ ', t('new.checkOk', { valid: fmtNumber(r.validExamples), records: fmtNumber(r.records) }))
        : h('div', { class: 'error' }, h('p', {}, '✗ ', t('new.checkBad', { errors: fmtNumber(r.errors), records: fmtNumber(r.records) })),
          h('ul', {}, first.map(p => h('li', {}, `${t('report.line')} ${p.line}: ${p.code} — ${p.message}`)))));
    } catch (e) {
      fileCheck.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  }

  async function loadManifest(file) {
    try {
      const m = JSON.parse(await file.text());
      if (m.baseModel) {
        const known = [...modelSelect.options].find(o => o.value === m.baseModel || (o.value && o.value.replace(/\/+$/, '').split('/').pop() === String(m.baseModel).replace(/\/+$/, '').split('/').pop()));
        if (known) modelSelect.value = known.value; else { modelSelect.value = ''; modelOther.value = m.baseModel; }
        modelSelect.dispatchEvent(new Event('change'));
      }
      if (m.preset && presetRadios[m.preset]) presetRadios[m.preset].checked = true;
      for (const [k, v] of Object.entries(m.hyperparameters ?? {})) {
        const name = k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
        if (hp[name]) { hp[name].value = String(v); hp[name].dispatchEvent(new Event('input')); }
      }
      systemPrompt.value = m.systemPrompt ?? '';
      triggerWord.value = m.triggerWord ?? '';
      if (m.evalSet) { ensureOption(evalSet, m.evalSet); evalSet.value = m.evalSet; evalSet.dispatchEvent(new Event('change')); }
      if (m.validationFraction !== undefined) validationFraction.value = m.validationFraction;
      if (m.generalData) { ensureOption(generalData, m.generalData.dataset); generalData.value = m.generalData.dataset; generalFraction.value = m.generalData.fraction; }
      deploymentName.value = m.deploymentName ?? '';
      requireApproval.checked = !!m.requireApproval;
      if (m.minImprovement !== undefined) minImprovement.value = m.minImprovement;
      if (m.onGateFail) onGateFail.value = m.onGateFail;
      if (m.invalidLines) invalidLines.value = m.invalidLines;
      updatePlaceholders();
      fileSummary.append(h('div', { class: 'ok', id: 'manifest-loaded' }, t('new.manifestLoaded', { name: file.name })));
    } catch (e) {
      fileSummary.append(h('div', { class: 'error' }, `${file.name}: ${e.message}`));
    }
  }

  function ensureOption(select, value) {
    if (![...select.options].some(o => o.value === value)) select.append(h('option', { value }, value));
  }

  async function uploadEvalSet() {
    const file = evalUpload.files[0];
    if (!file) return;
    evalStatus.replaceChildren(h('span', { class: 'muted' }, t('new.uploading', { name: file.name })));
    try {
      const r = await post(`/api/datasets?name=${encodeURIComponent(file.name)}`, file, { 'Content-Type': 'application/octet-stream' });
      datasets = await getJson('/api/datasets');
      fillDatasets();
      evalSet.value = r.name;
      evalSet.dispatchEvent(new Event('change'));
      evalStatus.replaceChildren(h('span', { class: 'ok' }, t('new.uploaded', { name: r.name })));
    } catch (e) {
      evalStatus.replaceChildren(h('span', { class: 'error' }, e.message));
    }
  }

  // ---- checks and submit ----

  function checkRange(r, text) {
    if (text === '' || text === undefined) return null;
    const v = Number(text);
    if (!Number.isFinite(v)) return t('new.notNumber', { name: r.name });
    if (r.integer && !Number.isInteger(v)) return t('new.notInteger', { name: r.name });
    const low = r.minExclusive ? v > r.min : v >= r.min;
    if (!low || v > r.max) return r.minExclusive ? t('new.outOfRangeOpen', { name: r.name, min: r.min, max: r.max }) : t('new.outOfRange', { name: r.name, min: r.min, max: r.max });
    return null;
  }

  function collect() {
    const problems = [];
    const fail = (control, message) => { problems.push({ control, message }); setFieldError(control, message); };
    for (const c of [modelOther, validationFraction, generalFraction, minImprovement, deploymentName]) setFieldError(c, null);
    if (!dataFile) problems.push({ control: fileInput, message: t('new.needFile') });
    const hyperparameters = {};
    for (const r of presets.ranges) {
      const input = hp[r.name];
      const message = checkRange(r, input.value.trim());
      setFieldError(input, message);
      if (message) problems.push({ control: input, message });
      else if (input.value.trim() !== '') hyperparameters[r.name] = Number(input.value);
    }
    if (hp.scheduler.value) hyperparameters.scheduler = hp.scheduler.value;
    const baseModel = modelSelect.value || modelOther.value.trim();
    if (!baseModel) fail(modelOther, t('new.modelPath'));
    const manifest = { baseModel, preset: selectedPreset() };
    if (Object.keys(hyperparameters).length) manifest.hyperparameters = hyperparameters;
    if (systemPrompt.value.trim()) manifest.systemPrompt = systemPrompt.value;
    if (triggerWord.value.trim()) manifest.triggerWord = triggerWord.value.trim();
    if (evalSet.value) manifest.evalSet = evalSet.value;
    else if (validationFraction.value !== '') {
      const v = Number(validationFraction.value);
      if (!(v >= 0 && v < 1)) fail(validationFraction, t('new.validationFractionBad'));
      else manifest.validationFraction = v;
    }
    if (generalData.value) {
      const f = Number(generalFraction.value || generalFraction.placeholder);
      if (!(f > 0 && f <= 1)) fail(generalFraction, t('new.fractionBad', { name: 'generalData.fraction' }));
      else manifest.generalData = { dataset: generalData.value, fraction: f };
    }
    if (deploymentName.value.trim()) {
      if (!/^[A-Za-z0-9._-]+$/.test(deploymentName.value.trim())) fail(deploymentName, t('new.deploymentBad'));
      else manifest.deploymentName = deploymentName.value.trim();
    }
    if (requireApproval.checked) manifest.requireApproval = true;
    if (minImprovement.value !== '') {
      const v = Number(minImprovement.value);
      if (!(v >= -1 && v <= 1)) fail(minImprovement, t('new.minImprovementBad'));
      else manifest.minImprovement = v;
    }
    manifest.onGateFail = onGateFail.value;
    manifest.invalidLines = invalidLines.value;
    return { manifest, problems };
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (!presets) return;
    const { manifest, problems } = collect();
    result.replaceChildren();
    if (problems.length) {
      errors.hidden = false;
      errors.replaceChildren(h('p', {}, t('new.fix')), h('ul', {}, problems.map(p => h('li', {},
        h('a', { href: '#' + p.control.id, onclick: ev => { ev.preventDefault(); p.control.focus(); } }, p.message)))));
      errors.focus?.();
      return;
    }
    errors.hidden = true;
    submit.disabled = true;
    submit.textContent = t('new.submitting');
    try {
      const body = new FormData();
      body.append('files', dataFile, dataFile.name);
      body.append('manifest', JSON.stringify(manifest));
      const response = await request('/api/jobs', { method: 'POST', body });
      if (!response.ok) throw await ApiError.from(response);
      const started = await response.json();
      navigate(`/jobs/${started.id}`);
    } catch (err) {
      result.replaceChildren(h('p', { class: 'error', role: 'alert', id: 'submit-error' }, t('new.rejected', { detail: err.message })));
      submit.disabled = false;
      submit.textContent = t('new.submit');
    }
  });

  return () => { stopped = true; };
}
