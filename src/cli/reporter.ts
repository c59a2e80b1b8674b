/**
 * Progress for people and machines: a line per event (CI, pipes, --verbose),
 * or NDJSON events with --json. Secrets are masked before anything prints.
 */
import { TaskState, type Reporter } from '../engine/types.js';
import { formatDuration } from '../runbook/duration.js';
import { printableMessage } from '../runbook/diagnostics.js';
import type { Vars } from '../runbook/vars.js';
import type { GlobalOptions } from './context.js';
import { chalk } from './output.js';

/** Time left as an operator reads it: whole seconds, rounded up (never "0s" while time is left). */
export const wholeSeconds = (ms: number) => formatDuration(Math.max(1, Math.ceil(ms / 1000)) * 1000);

const ICONS: Record<TaskState, string> = {
  [TaskState.Pending]: '·',
  [TaskState.Running]: '▶',
  [TaskState.Succeeded]: '✓',
  [TaskState.Failed]: '✗',
  [TaskState.Skipped]: '↷',
  [TaskState.Waiting]: '?',
};
const COLOURS: Record<TaskState, (s: string) => string> = {
  [TaskState.Pending]: chalk.dim,
  [TaskState.Running]: chalk.cyan,
  [TaskState.Succeeded]: chalk.green,
  [TaskState.Failed]: chalk.red,
  [TaskState.Skipped]: chalk.dim,
  [TaskState.Waiting]: chalk.yellow,
};

/** The live task list for a person at a terminal; a line per event everywhere else. */
export function wantsBoard(opts: GlobalOptions): boolean {
  return !opts.json && !opts.verbose && Boolean(process.stdout.isTTY) && !process.env.CI;
}

/** Rollback actions are reported as `rollback:<stage>:<source>`: name the stage, since several may be undone in one run. */
function stageOf(id: string): string {
  const m = /^rollback:(\d+):/.exec(id);
  return m ? `stage ${m[1]}: ` : '';
}

/** A line per event: for CI, pipes, --verbose, and a live display that failed. */
export function lineReporter(vars: Vars): Reporter {
  const write = (s: string) => void process.stdout.write(`${vars.mask(s)}\n`);
  return {
    beginStage: (g) =>
      write(chalk.bold(`── ${g.runbook} · stage ${g.stage.id}: ${g.stage.name} (risk ${g.risk.effective})`)),
    beginRollback: (stages, emergency) =>
      write(
        chalk.bold(
          `── ${emergency ? 'EMERGENCY ROLLBACK' : 'rollback'} of stage${stages.length > 1 ? 's' : ''} ${stages.join(', ')}`,
        ),
      ),
    task: (id, title, state, detail) =>
      write(
        `${COLOURS[state](ICONS[state])} ${chalk.bold(`${stageOf(id)}${title}`)}${detail ? `  ${chalk.dim(detail)}` : ''}`,
      ),
    output: (_id, line) => write(`  ${chalk.dim('│')} ${line}`),
    sample: (_w, s, c) => {
      const mark = s.result === 'passed' ? chalk.green('✓') : s.result === 'error' ? chalk.red('!') : chalk.yellow('✗');
      write(
        `  ${mark} ${s.message}${s.result !== 'passed' ? chalk.dim(` [${s.result}; ${c.consecutiveFailed} failed, ${c.consecutiveErrors} errors in a row]`) : ''}`,
      );
    },
    countdown: (w, left, n) => write(chalk.dim(`  ◷ ${w}: ${wholeSeconds(left)} left, ${n} sample round(s)`)),
    message: (text) => write(chalk.yellow(`» ${text}`)),
  };
}

/** NDJSON events for --json. */
function jsonReporter(vars: Vars): Reporter {
  // Masked as data before it is JSON, so a numeric secret becomes "***" and the line stays valid JSON.
  const emit = (o: Record<string, unknown>) =>
    void process.stdout.write(`${vars.mask(JSON.stringify(vars.maskDeep({ ts: new Date().toISOString(), ...o })))}\n`);
  return {
    beginStage: (g) =>
      emit({ type: 'stage', runbook: g.runbook, stage: g.stage.id, name: g.stage.name, risk: g.risk.effective }),
    beginRollback: (stages, emergency) => emit({ type: 'rollback', stages, emergency }),
    task: (id, title, state, detail) => emit({ type: 'task', id, title, state, detail }),
    output: (id, line) => emit({ type: 'output', id, line }),
    sample: (window, s, counts) => emit({ type: 'sample', window, ...s, ...counts }),
    countdown: (window, leftMs, samples) => emit({ type: 'countdown', window, left_ms: leftMs, samples }),
    message: (text) => emit({ type: 'message', text }),
  };
}

export function createReporter(opts: GlobalOptions, vars: Vars): Reporter {
  return printableReporter(opts.json ? jsonReporter(vars) : lineReporter(vars));
}

/**
 * Everything shown, with control and bidi characters escaped: a hostile name,
 * a remote reply in a check's message or a step's output must not rewrite the
 * screen (or fake a line). A step's colours show as \x1b[...m: the price.
 */
export function printableReporter(r: Reporter): Reporter {
  const p = (t: string | undefined) => (t === undefined ? t : printableMessage(t));
  return {
    beginStage: (g) =>
      r.beginStage({
        ...g,
        runbook: p(g.runbook)!,
        stage: { ...g.stage, name: p(g.stage.name)! },
        nodes: g.nodes.map((n) => ({ ...n, label: p(n.label)! })),
      }),
    beginRollback: (stages, emergency) => r.beginRollback(stages, emergency),
    task: (id, title, state, detail) => r.task(id, p(title)!, state, p(detail)),
    output: (id, line) => r.output(id, p(line)!),
    sample: (w, s, c) => r.sample(p(w)!, { ...s, message: p(s.message)! }, c),
    countdown: (w, left, n) => r.countdown(p(w)!, left, n),
    message: (text) => r.message(p(text)!),
  };
}
