// What the console derives from a job's status object: its shown status, the stage timeline and durations.
import { t } from './i18n.js';

export const STAGES = ['validate', 'synthesize', 'prepare', 'train', 'evaluate', 'gate', 'deploy'];
export const TERMINAL = new Set(['Completed', 'Failed', 'Terminated']);

export const isTerminal = job => TERMINAL.has(job?.runtimeStatus);
export const isWaiting = job => !isTerminal(job) && !!job?.customStatus?.waitingFor;

/** The status to show: Running jobs that wait for approve/reject show as waiting. */
export function shownStatus(job) {
  return isWaiting(job) ? 'Waiting' : job.runtimeStatus;
}

export function statusBadgeClass(status) {
  return 'badge badge-' + status.toLowerCase();
}

/** The stage shown for a job: the gate while Deploy waits for a decision. */
export function shownStage(job) {
  const stage = job.customStatus?.stage ?? job.output?.stage ?? null;
  if (isWaiting(job)) return 'gate';
  return stage;
}

export function stageLabel(stage) {
  return stage ? t('stage.' + stage) : t('common.none');
}

/** Elapsed time: to the last update once finished, to now while running. */
export function durationMs(job, now = Date.now()) {
  const start = Date.parse(job.createdTime);
  const end = isTerminal(job) ? Date.parse(job.lastUpdatedTime) : now;
  return end - start;
}

/**
 * Overall progress 0..1: stages done plus the current stage's own progress (customStatus.progress), over the stages
 * the job runs (documents add Synthesize).
 */
export function overallProgress(job) {
  if (job.runtimeStatus === 'Completed') return 1;
  const stages = STAGES.filter(s => s !== 'gate' && (s !== 'synthesize' || job.input?.kind === 'documents'));
  const stage = job.customStatus?.stage ?? job.output?.stage;
  const index = Math.max(0, stages.indexOf(stage));
  const inStage = Math.max(0, Math.min(1, Number(job.customStatus?.progress) || 0));
  return Math.min(1, (index + (isWaiting(job) ? 1 : inStage)) / stages.length);
}

/**
 * Each stage's state and times from the history: { state: done|active|waiting|failed|skipped|pending, start, end }.
 * A stage spans its events (StageStarted … StageCompleted); the gate is the part of Deploy from its start to the
 * approve/reject event (or to its end when no decision was needed); Deploy proper follows the gate.
 */
export function timeline(job) {
  const events = job.historyEvents ?? [];
  const byStage = {};
  for (const e of events) {
    if (!e.stage) continue;
    const at = Date.parse(e.timestamp);
    const s = byStage[e.stage] ??= { start: at, end: at, started: false, completed: false, failed: false, waited: null, decided: null };
    s.start = Math.min(s.start, at);
    s.end = Math.max(s.end, at);
    if (e.eventType === 'StageStarted') s.started = true;
    if (e.eventType === 'StageCompleted' || e.eventType === 'ExecutionCompleted') s.completed = true;
    if (e.eventType === 'ExecutionFailed' || e.eventType === 'ExecutionTerminated') s.failed = true;
    if (e.eventType === 'WaitingForEvent') s.waited ??= at;
    if (e.eventType === 'EventRaised') s.decided = { at, name: e.detail };
  }
  const current = job.customStatus?.stage ?? job.output?.stage;
  const terminal = isTerminal(job);
  const documents = job.input?.kind === 'documents';
  const result = {};
  for (const stage of STAGES) {
    if (stage === 'gate' || stage === 'deploy') continue;
    const s = byStage[stage];
    let state = 'pending';
    if (stage === 'synthesize' && !documents) state = 'skipped';
    else if (s?.failed || (terminal && job.runtimeStatus !== 'Completed' && current === stage)) state = 'failed';
    else if (s?.completed) state = 'done';
    else if (s || current === stage) state = terminal ? 'failed' : 'active';
    result[stage] = { state, start: s?.start ?? null, end: s?.completed || s?.failed ? s.end : null };
  }
  const d = byStage.deploy;
  const gateEnd = d?.decided?.at ?? (d?.completed || d?.failed ? d.end : null);
  let gateState = 'pending';
  if (d) {
    if (isWaiting(job)) gateState = 'waiting';
    else if (d.failed && !d.decided && job.output?.gate === 'Fail') gateState = 'failed';
    else if (gateEnd) gateState = 'done';
    else gateState = terminal ? 'failed' : 'active';
  }
  result.gate = { state: gateState, start: d?.start ?? null, end: gateEnd };
  let deployState = 'pending';
  if (d?.completed) deployState = job.output?.deployed === false ? 'skipped' : 'done';
  else if (d?.failed) deployState = gateState === 'failed' ? 'skipped' : 'failed';
  else if (d && gateState === 'done') deployState = 'active';
  result.deploy = { state: deployState, start: gateEnd, end: d?.completed || d?.failed ? d.end : null };
  return result;
}
