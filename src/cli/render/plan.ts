/** `migrate plan` for people. */
import type { Diagnostic } from '../../runbook/diagnostics.js';
import { formatDuration } from '../../runbook/duration.js';
import type { CheckNode, NodeOf, TaskGraph } from '../../plan/graph.js';
import { chalk, formatDiagnostic } from '../output.js';

const riskColour = { low: chalk.green, medium: chalk.yellow, high: chalk.red, critical: chalk.bgRed.white } as const;

function checkLine(c: CheckNode): string {
  const expect = c.expect ? `  ${chalk.dim('expect')} ${c.expect}` : '';
  return `      • ${c.name}${c.guard ? chalk.dim(' (guard)') : ''}${c.baseline ? chalk.dim(' (baseline)') : ''}  ${chalk.dim(c.display.replace(/\s+/g, ' '))}${expect}`;
}

function limits(n: NodeOf<'monitor'> | NodeOf<'canary'>): string {
  return `sample every ${formatDuration(n.interval_ms)}; breach after ${n.tolerate + 1} consecutive failed or ${n.error_limit} consecutive errors -> ${n.on_breach}`;
}

export function renderPlan(g: TaskGraph, warnings: Diagnostic[] = []): string {
  const lines: string[] = [];
  const label = (s: string) => chalk.bold(s.padEnd(11));
  const risk = riskColour[g.risk.effective](g.risk.effective);
  lines.push(`${chalk.bold(g.runbook)} · stage ${g.stage.id}: ${chalk.bold(g.stage.name)}`);
  if (g.stage.description) lines.push(chalk.dim(g.stage.description.trim()));
  lines.push(
    `risk: ${risk}${g.risk.effective !== g.risk.declared ? ` (declared ${g.risk.declared}; raised by ${g.risk.reasons.join('; ')})` : ''}`,
  );
  lines.push('');
  let stepsShown = false;
  let canaryShown = false;
  for (const n of g.nodes) {
    switch (n.type) {
      case 'preflight':
        lines.push(
          `  ${label('preflight')} ${n.checks.length} check(s), all must pass before anything runs`,
          ...n.checks.map(checkLine),
        );
        break;
      case 'gate':
        lines.push(
          `  ${label('gate')} ${n.label} ${chalk.dim(n.gate === 'stage-name' ? '[type the stage name]' : '[confirm]')}${n.implied ? chalk.dim(` (implied by risk ${g.risk.effective})`) : ''}`,
        );
        break;
      case 'step':
        if (!stepsShown) lines.push(...renderSteps(g));
        stepsShown = true;
        break;
      case 'monitor':
        lines.push(`  ${label('monitor')} ${formatDuration(n.duration_ms)}; ${limits(n)}`, ...n.checks.map(checkLine));
        break;
      case 'canary':
        lines.push(
          `  ${label(`canary ${n.weight}%`)} ${chalk.dim(n.set.display)}; hold ${n.hold_ms === 'manual' ? 'until the operator promotes' : formatDuration(n.hold_ms)}`,
        );
        if (!canaryShown) lines.push(`      ${chalk.dim(`at every weight: ${limits(n)}`)}`, ...n.checks.map(checkLine));
        canaryShown = true;
        break;
      case 'verify':
        lines.push(
          `  ${label('verify')} ${n.checks.length} success criteria, checked after the window`,
          ...n.checks.map(checkLine),
        );
        break;
    }
  }
  if (g.watch_ms) lines.push(`  ${label('watching')} ${formatDuration(g.watch_ms)} in total`);
  lines.push('');
  if (g.irreversible) lines.push(chalk.yellow('irreversible: this stage cannot be rolled back'));
  else if (g.rollback.length === 0) lines.push(chalk.yellow('rollback plan: nothing to undo'));
  else {
    lines.push(
      `${chalk.bold('rollback plan')} ${chalk.dim('(on failure, breach or `migrate rollback`; step undos in reverse completion order)')}`,
    );
    g.rollback.forEach((r, i) =>
      lines.push(`  ${i + 1}. ${r.label}  ${chalk.dim(`${r.action.kind}: ${r.action.display.replace(/\s+/g, ' ')}`)}`),
    );
  }
  if (g.unset_vars.length)
    lines.push('', chalk.yellow(`vars with no value yet: ${g.unset_vars.join(', ')} (a real run needs them)`));
  for (const w of warnings) lines.push(formatDiagnostic(w, false));
  return lines.join('\n');
}

function renderSteps(g: TaskGraph): string[] {
  const steps = new Map(g.nodes.filter((n): n is NodeOf<'step'> => n.type === 'step').map((n) => [n.step, n]));
  const lines = [
    `  ${chalk.bold('steps'.padEnd(11))} ${g.levels.length} level(s); a step starts as soon as its needs are done`,
  ];
  g.levels.forEach((level, i) => {
    for (const id of level) {
      const s = steps.get(id)!;
      const extras = [
        s.needs.length ? `needs ${s.needs.join(', ')}` : '',
        s.when ? `when ${s.when}` : '',
        s.retries ? `retries ${s.retries}` : '',
        s.timeout_ms ? `timeout ${formatDuration(s.timeout_ms)}` : '',
        s.continue_on_error ? 'continue on error' : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `    ${chalk.dim(`L${i + 1}`)} ${chalk.cyan(s.label)}  ${s.action.kind}: ${s.action.display.replace(/\s+/g, ' ')}${extras ? chalk.dim(`  (${extras})`) : ''}`,
      );
      if (s.undo) lines.push(`         ${chalk.dim(`undo: ${s.undo.display.replace(/\s+/g, ' ')}`)}`);
    }
  });
  return lines;
}
