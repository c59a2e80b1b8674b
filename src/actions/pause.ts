/** `pause:` actions: wait a duration, or until the operator confirms. */
import { DeclinedError, InterruptedError } from '../errors.js';
import { sleep, waiting } from '../engine/context.js';
import { parseDuration } from '../runbook/duration.js';
import { renderText } from '../runbook/template.js';
import type { ActionModule } from './types.js';

export interface PauseAction {
  kind: 'pause';
  pause: string | { until: 'confirm'; message?: string };
}

export const pause: ActionModule<PauseAction> = {
  kind: 'pause',
  describe: ({ pause: p }) =>
    typeof p === 'string' ? `wait ${p}` : `wait for the operator: ${p.message ?? 'continue?'}`,
  async run({ pause: p }, ctx, { vars }) {
    if (typeof p === 'string') {
      await sleep(ctx, parseDuration(p)!);
      if (ctx.signal.aborted) throw new InterruptedError('interrupted');
      return { ok: true, message: `waited ${p}`, tail: '' };
    }
    const yes = await waiting(ctx, () =>
      ctx.prompter.confirm(renderText(p.message ?? 'Continue?', (n) => vars.display(n))),
    );
    if (!yes) throw new DeclinedError('the operator declined to continue');
    return { ok: true, message: 'operator continued', tail: '' };
  },
};
