/**
 * Process groups a run leaves behind. Every step (and undo) runs in its own
 * process group; its id is journaled as soon as it starts (step.process), so
 * when migrate is killed -9 the next `rollback`, `--resume` or lock takeover
 * can stop what is still running before it acts: SIGTERM, then SIGKILL after
 * a bounded wait. Only groups journaled on this host are touched, and only
 * while their leader is the process that was journaled (start time) or gone
 * with the group still alive (Linux never reuses a pid that names a live group).
 */
import { readFileSync } from 'node:fs';
import { EventName } from '../journal/events.js';
import type { Projection } from '../journal/project.js';
import { record, type RunContext } from './context.js';

const TERM_WAIT_MS = 3_000;

/** The process's start time (clock ticks since boot) from /proc, or null where there is none. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A context whose processes journal their group id with `fields` (stage, step or rollback source). */
export function journalingGroups(
  ctx: RunContext,
  fields: { stage: number; step?: string; source?: string },
): RunContext {
  const inner = ctx.runner;
  return {
    ...ctx,
    runner: {
      run: (cmd, opts) =>
        inner.run(cmd, {
          ...opts,
          onSpawn: (pid) => {
            opts.onSpawn?.(pid);
            void record(ctx, EventName.StepProcess, {
              ...fields,
              pgid: pid,
              host: ctx.host,
              started: processStart(pid),
            }).catch(() => {});
          },
        }),
    },
  };
}

/** Stop the live process groups that runs other than this one journaled on this host; say which. */
export async function stopLeftovers(ctx: RunContext, p: Projection): Promise<void> {
  const left = (p.groups ?? []).filter(
    (g) =>
      g.run_id !== ctx.runId &&
      g.host === ctx.host &&
      groupAlive(g.pgid) &&
      (g.started === null || processStart(g.pgid) === null || processStart(g.pgid) === g.started),
  );
  if (!left.length) return;
  for (const g of left)
    try {
      process.kill(-g.pgid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
  const end = Date.now() + TERM_WAIT_MS;
  while (left.some((g) => groupAlive(g.pgid)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  for (const g of left) {
    const signal = groupAlive(g.pgid) ? 'SIGKILL' : 'SIGTERM';
    if (signal === 'SIGKILL')
      try {
        process.kill(-g.pgid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    const what = g.step ? `step ${g.step}` : `rollback action ${g.source}`;
    ctx.reporter.message(
      `stopped ${what} of stage ${g.stage} (process group ${g.pgid}, ${signal}): a run that died left it running`,
    );
    await record(ctx, EventName.ProcessStopped, {
      stage: g.stage,
      step: g.step,
      source: g.source,
      pgid: g.pgid,
      previous_run: g.run_id,
      signal,
    });
  }
}
