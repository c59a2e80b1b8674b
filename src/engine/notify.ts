/**
 * Notifications (`notify:` in the runbook): a command or a webhook per
 * matching event, sent once per event. Sending never blocks the run: the
 * emergency path must not wait on a pager. Pending sends finish before exit.
 */
import type { NewEvent } from '../journal/events.js';
import { sendableUrl } from './http.js';
import { shellCommand } from '../runbook/shell.js';
import type { Notify } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import type { ProcessRunner, Reporter } from './types.js';

export class Notifier {
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly specs: Notify[],
    private readonly deps: { runner: ProcessRunner; vars: Vars; cwd: string; shell: string; reporter: Reporter },
  ) {}

  send(event: NewEvent): void {
    for (const spec of this.specs) {
      if (!spec.on.includes(event.event)) continue;
      const p = this.deliver(spec, event)
        .catch((e: Error) => {
          this.deps.reporter.message(this.deps.vars.mask(`notification for ${event.event} failed: ${e.message}`));
        })
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  private async deliver(spec: Notify, event: NewEvent): Promise<void> {
    const body = JSON.stringify(event);
    const { vars } = this.deps;
    if (spec.webhook) {
      const url = sendableUrl(spec.webhook, vars, 'webhook URL');
      // The event is the body as it is (no template), and a redirect is an answer, not a place to post it again.
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
      return;
    }
    const { cmd, env } = shellCommand(this.deps.shell, spec.run!, vars, { MIGRATE_EVENT: body });
    const r = await this.deps.runner.run(cmd, {
      cwd: this.deps.cwd,
      env,
      input: body,
      timeoutMs: 30_000,
      mask: (s) => vars.mask(s),
    });
    if (r.exitCode !== 0) throw new Error(`'${vars.mask(spec.run!)}' exited ${r.exitCode ?? 'by timeout'}`);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
