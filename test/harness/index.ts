/**
 * The engine in-process: the real stage/run code with a scripted process
 * runner, a scripted prompter, an in-memory journal and lock, and virtual
 * time. A 24 h window runs in milliseconds; nothing waits on real sleeps.
 *
 *   const h = await engine(yaml, { answers: [true] });
 *   h.runner.on('curl', { stdout: '0.2' });
 *   const r = await h.stage(1);   // { code, error }
 */
import { runRollbackCommand, runStageCommand } from '../../src/engine/run.js';
import { WaitClock } from '../../src/engine/clock.js';
import type { RunContext } from '../../src/engine/context.js';
import { ExitCode, MigrateError } from '../../src/errors.js';
import type { FlagState, FlagStore, FlagValue } from '../../src/flags/store.js';
import type { EventName, JournalEvent } from '../../src/journal/events.js';
import type { RollbackOptions } from '../../src/plan/readiness.js';
import { validateSource } from '../../src/runbook/validate.js';
import { resolveVars } from '../../src/runbook/vars.js';
import { VirtualClock } from './clock.js';
import { MemoryJournal, MemoryLock } from './journal.js';
import { ScriptedPrompter } from './prompter.js';
import { RecordingReporter } from './reporter.js';
import { FakeRunner } from './runner.js';

export { VirtualClock, MemoryJournal, MemoryLock, ScriptedPrompter, RecordingReporter, FakeRunner };

export interface HarnessOptions {
  /** Answers to gates and prompts, in order; none means non-interactive (CI). */
  answers?: (boolean | string)[];
  /** --yes */
  yes?: boolean;
  set?: Record<string, string>;
}

export interface RunResult {
  code: ExitCode;
  error?: MigrateError;
}

class MemoryFlags implements FlagStore {
  readonly describe = 'memory';
  readonly flags = new Map<string, FlagValue>();
  async get(name: string): Promise<FlagState> {
    return this.flags.has(name) ? { exists: true, value: this.flags.get(name)! } : { exists: false };
  }
  async set(name: string, value: FlagValue): Promise<void> {
    this.flags.set(name, value);
  }
  async remove(name: string): Promise<void> {
    this.flags.delete(name);
  }
  async list(): Promise<Record<string, FlagValue>> {
    return Object.fromEntries(this.flags);
  }
  async close(): Promise<void> {}
}

export async function engine(yaml: string, opts: HarnessOptions = {}) {
  const v = await validateSource('/harness/migrate.yaml', yaml);
  if (!v.ok)
    throw new Error(
      `harness runbook is invalid: ${v.errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`,
    );
  const { runbook, digest } = v.value;
  const clock = new VirtualClock();
  const runner = new FakeRunner(clock);
  const journal = new MemoryJournal();
  const lock = new MemoryLock();
  const flags = new MemoryFlags();
  const vars = resolveVars(runbook, { env: {}, set: opts.set, builtins: { runbook: runbook.name } });
  let prompter = new ScriptedPrompter(opts.answers ?? [], (opts.answers?.length ?? 0) > 0, opts.yes ?? false);
  let reporter = new RecordingReporter();
  let runs = 0;

  /** A fresh run context, as the CLI makes one per command. */
  const context = (signal = new AbortController().signal): RunContext => ({
    runbook,
    file: '/harness/migrate.yaml',
    digest,
    vars,
    cwd: '/harness',
    shell: 'bash',
    journal,
    lock,
    runner,
    reporter,
    prompter,
    operator: 'tester@harness',
    host: 'harness',
    runId: `run-${++runs}`,
    signal,
    waited: new WaitClock(clock),
    clock,
    flags: async () => flags,
  });

  const settle = async (p: Promise<unknown>): Promise<RunResult> => {
    try {
      await p;
      return { code: ExitCode.Ok };
    } catch (e) {
      if (e instanceof MigrateError) return { code: e.exitCode, error: e };
      throw e;
    }
  };

  return {
    runbook,
    clock,
    runner,
    journal,
    lock,
    flags,
    get prompter() {
      return prompter;
    },
    get reporter() {
      return reporter;
    },
    /** Answers for the next prompts (a new run, as a person at the terminal). */
    answer(answers: (boolean | string)[], yes = false) {
      prompter = new ScriptedPrompter(answers, answers.length > 0 || yes, yes);
    },
    context,
    /** The journaled events of one name, typed by it. */
    events<N extends `${EventName}`>(name: N): Extract<JournalEvent, { event: N }>[] {
      return journal.events.filter((e): e is Extract<JournalEvent, { event: N }> => e.event === name);
    },
    project: () => journal.project(runbook.name),
    stage(n: number, o: { resume?: boolean; autoRollback?: boolean; signal?: AbortSignal } = {}): Promise<RunResult> {
      reporter = new RecordingReporter();
      return settle(
        runStageCommand(context(o.signal), n, { resume: o.resume ?? false, autoRollback: o.autoRollback ?? true }),
      );
    },
    rollback(o: Partial<RollbackOptions> = {}): Promise<RunResult> {
      reporter = new RecordingReporter();
      return settle(runRollbackCommand(context(), { emergency: false, reason: 'test', ...o } as RollbackOptions));
    },
  };
}

export type Harness = Awaited<ReturnType<typeof engine>>;
