/**
 * The live task list for terminals. The engine reports events through the
 * Reporter interface; this board turns them into a listr2 task list laid out
 * from the compiled graph: preflight, gate, steps (concurrent), window,
 * verify, rollback. Prompts run inside the task that asks.
 *
 * Rendering must never end a run: every change to a listr2 task goes through
 * one guarded path, a task that has finished is never touched again (listr2
 * drops its output buffer then), and any rendering error switches the board
 * to plain lines for the rest of the run.
 */
import {
  DefaultRenderer,
  Listr,
  ListrTaskState,
  type ListrTask,
  type ListrTaskWrapper,
  type SimpleRenderer,
} from 'listr2';
import { TaskState, type Reporter, type Sample } from '../engine/types.js';
import type { TaskGraph } from '../plan/graph.js';
import type { Vars } from '../runbook/vars.js';
import { chalk } from './output.js';
import { lineReporter, wholeSeconds } from './reporter.js';

type Wrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;
type Task = ListrTask<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;
/** The part of listr2's renderer that holds the terminal (not in listr2's public types). */
interface Renderer {
  logger?: { process?: { release(): void } };
}

class Deferred<T = void> {
  resolve!: (v: T) => void;
  readonly promise = new Promise<T>((r) => {
    this.resolve = r;
  });
}

interface Slot {
  id: string;
  title: string;
  phase: number;
  state: TaskState;
  detail?: string;
  lines: string[];
  latest: Map<string, string>;
  /** Resolved when the slot is settled (a group: also when its first child starts). */
  done: Deferred;
  /** Resolved when the slot starts, waits for the operator, or settles. */
  begun: Deferred;
  wrapper: Deferred<Wrapper>;
  finished: boolean;
  /**
   * A prompt ran in this task: listr2's prompt adapter then turns a later
   * skip() back into a tick, so a slot that asked ends by failing instead.
   */
  asked?: boolean;
  /** A rollback action reported a result here: the rollback ran (a message or a note alone is not that). */
  ran?: boolean;
  /** The group this slot belongs to (a step inside "steps (N)"). */
  parent?: Slot;
  children?: Slot[];
}

export interface Layout {
  id: string;
  title: string;
  children?: Layout[];
}

const isRollback = (id: string) => id.startsWith('rollback:');

/** The slots of one stage run, in display order. */
export function stageLayout(g: TaskGraph): Layout[] {
  const steps = g.nodes.filter((n) => n.type === 'step').map((n) => ({ id: n.id, title: n.label }));
  const out: Layout[] = [];
  for (const n of g.nodes) {
    if (n.type === 'step') {
      if (!out.some((l) => l.id === 'steps'))
        out.push({ id: 'steps', title: `steps (${steps.length})`, children: steps });
    } else out.push({ id: n.id, title: n.type === 'gate' ? `gate: ${n.label}` : n.label });
  }
  out.push({ id: `rollback:${g.stage.id}`, title: `rollback stage ${g.stage.id}` });
  return out;
}

export class ListrBoard implements Reporter {
  private slots = new Map<string, Slot>();
  private order: Slot[] = [];
  private list: Listr<unknown, typeof DefaultRenderer, typeof SimpleRenderer> | null = null;
  private running: Promise<unknown> | null = null;
  private lastActive: Slot | null = null;
  /** A stage's rollback line kept open while the operator is asked whether to roll back. */
  private held: Slot | null = null;
  /** Plain lines, once the live display has failed. */
  private fallback: Reporter | null = null;
  /** Aborted when the live display fails: a prompt waiting inside it is asked again on a plain terminal. */
  private readonly broken = new AbortController();
  private readonly onCrash = (e: Error) => this.rendererCrashed(e);
  /** Counts a window down each second between the engine's sample rounds. */
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly vars: Vars) {}

  /** Whether the live display still runs (prompts then go through it). */
  get live(): boolean {
    return !this.fallback && this.running !== null;
  }

  async beginStage(graph: TaskGraph): Promise<void> {
    await this.finish();
    if (this.fallback) return this.fallback.beginStage(graph);
    this.start(
      stageLayout(graph),
      `${graph.runbook} · stage ${graph.stage.id}: ${graph.stage.name} (risk ${graph.risk.effective})`,
    );
  }

  async beginRollback(stages: number[], emergency: boolean): Promise<void> {
    // The answer to "roll back now?" was yes: the rollback goes into the line that asked.
    const held = this.held;
    this.held = null;
    if (held && !held.finished && !this.fallback && stages.length === 1 && held.id === `rollback:${stages[0]}`) {
      held.state = TaskState.Running;
      return;
    }
    await this.finish();
    if (this.fallback) return this.fallback.beginRollback(stages, emergency);
    this.start(
      stages.map((n) => ({ id: `rollback:${n}`, title: `rollback stage ${n}` })),
      emergency ? 'EMERGENCY ROLLBACK' : 'rollback',
    );
  }

  private start(layout: Layout[], title: string): void {
    this.slots.clear();
    this.order = [];
    const make = (l: Layout, phase: number, parent?: Slot): Slot => {
      const s: Slot = {
        id: l.id,
        title: this.vars.mask(l.title),
        phase,
        state: TaskState.Pending,
        lines: [],
        latest: new Map(),
        done: new Deferred(),
        begun: new Deferred(),
        wrapper: new Deferred<Wrapper>(),
        finished: false,
        parent,
      };
      this.slots.set(l.id, s);
      this.order.push(s);
      if (l.children) s.children = l.children.map((c) => make(c, phase, s));
      return s;
    };
    const leaf = (s: Slot): Task => ({
      title: s.title,
      rendererOptions: { outputBar: isRollback(s.id) ? Infinity : 1, persistentOutput: isRollback(s.id) },
      task: async (_: unknown, t: Wrapper) => {
        s.wrapper.resolve(t);
        // listr2 starts every step of the concurrent group at once: one still waiting
        // on its needs shows as pending (◼), not with a spinner, until it starts.
        if (s.parent && s.state === TaskState.Pending) {
          this.listrState(t, ListrTaskState.WAITING);
          await s.begun.promise;
          this.listrState(t, ListrTaskState.STARTED);
        }
        await s.done.promise;
        if (this.fallback) return;
        if (s.state === TaskState.Skipped || s.state === TaskState.Pending) {
          if (!s.asked) return t.skip(`${s.title}: ${s.detail ?? 'not run'}`);
          throw new Error(`${s.title}: ${s.detail ?? 'not run'}`);
        }
        t.title = this.titled(s, s.detail);
        if (s.state === TaskState.Failed) throw new Error(`${s.title}: ${s.detail ?? 'failed'}`);
      },
    });
    const group = (s: Slot): Task => ({
      title: s.title,
      task: async (_: unknown, t: Wrapper) => {
        s.wrapper.resolve(t);
        // A group none of whose children ran is "not run", never a green tick.
        await s.done.promise;
        if (this.fallback) return;
        if (s.state === TaskState.Skipped) return t.skip(`${s.title}: ${s.detail ?? 'not run'}`);
        return t.newListr(s.children!.map(leaf), { concurrent: true, exitOnError: false });
      },
    });
    const tasks = layout.map((l, i) => make(l, i)).map((s) => (s.children ? group(s) : leaf(s)));
    // A plain header, not a task: listr2 would tick it even when the stage failed or was stopped.
    process.stdout.write(`${chalk.bold(`── ${this.vars.mask(title)}`)}\n`);
    this.list = new Listr(tasks, {
      renderer: this.guardedRenderer(),
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { collapseSubtasks: false, collapseSkips: true, showErrorMessage: true },
    });
    process.on('uncaughtException', this.onCrash);
    this.running = this.list.run().catch((e) => this.degrade(e));
  }

  /**
   * After an interrupt: everything else ends as it stands, and the stage's
   * rollback line stays open to ask in (the next prompt goes there), so the
   * screen never calls a rollback "not run" that is about to run.
   */
  hold(stage: number): void {
    const s = this.slots.get(`rollback:${stage}`);
    if (!s || s.finished || !this.running || this.fallback) return;
    for (const o of this.order) if (o !== s) this.conclude(o);
    // A rollback interrupted halfway keeps its failure mark: declined, it ends as not finished.
    if (s.state !== TaskState.Failed) s.state = TaskState.Waiting;
    this.held = s;
    this.lastActive = s;
    this.touch(s, (t) => {
      t.title = this.titled(s, 'interrupted');
    });
  }

  /** Mark everything not reached as not run (a rollback: as `rollbackDetail` says), and wait for the renderer to settle. */
  async finish(rollbackDetail?: string): Promise<void> {
    if (!this.running) return;
    const stopped = this.order.some(
      (s) => !s.children && (s.state === TaskState.Running || s.state === TaskState.Failed),
    );
    for (const s of this.order) this.conclude(s, rollbackDetail ?? (stopped ? 'not run' : 'not needed'));
    if (!this.fallback) await this.running;
    this.running = null;
    process.off('uncaughtException', this.onCrash);
  }

  /** The end of a slot nobody settled: a rollback that printed lines ran; anything else did not. */
  private conclude(s: Slot, rollbackDetail = 'not run'): void {
    if (isRollback(s.id) && s.ran)
      this.settle(
        s,
        s.state === TaskState.Failed ? TaskState.Failed : TaskState.Succeeded,
        s.state === TaskState.Failed ? (s.detail ?? 'a rollback step failed') : undefined,
      );
    // Something that started and never finished was stopped: not a tick, not "not run".
    else if (s.state === TaskState.Running && !s.children) this.settle(s, TaskState.Failed, 'stopped');
    // A group whose steps ran (maybe before listr2 drew a frame) shows them, each with its own outcome.
    else if (s.children?.some((c) => c.state !== TaskState.Pending && c.state !== TaskState.Skipped))
      this.settle(s, TaskState.Running);
    else this.settle(s, TaskState.Skipped, isRollback(s.id) ? rollbackDetail : 'not run');
  }

  private titled(s: Slot, detail?: string): string {
    return detail ? `${s.title} ${chalk.dim(detail)}` : s.title;
  }

  /**
   * The one way to change a listr2 task: never once it has finished, and a
   * rendering error makes the board fall back to lines instead of ending the run.
   */
  private touch(s: Slot, change: (t: Wrapper) => void): void {
    void s.wrapper.promise.then((t) => {
      if (this.fallback || t.task.hasFinalized()) return;
      try {
        change(t);
      } catch (e) {
        this.degrade(e);
      }
    });
  }

  /**
   * listr2's renderer with every entry point guarded. A throw from a redraw would
   * otherwise land inside listr2's task bookkeeping (the task "fails", the list
   * never ends) or in its spinner timer, and the terminal would stay hijacked.
   */
  private guardedRenderer(): typeof DefaultRenderer {
    // A redraw or the close, once the board has fallen back, draws nothing; a throw from either makes it fall back.
    const guard = (draw: () => void) => {
      if (this.fallback) return;
      try {
        draw();
      } catch (e) {
        this.degrade(e);
      }
    };
    const degrade = (e: unknown) => this.degrade(e);
    return class GuardedRenderer extends DefaultRenderer {
      override async render(): Promise<void> {
        await super.render().catch(degrade);
      }
      override update(): void {
        guard(() => super.update());
      }
      override end(): void {
        guard(() => super.end());
      }
    };
  }

  /** An error thrown inside listr2's own render loop: the board's, not the run's. */
  private rendererCrashed(e: Error): void {
    if (/listr2|log-update|listr-board|cli-truncate|wrap-ansi/.test(e?.stack ?? '')) return this.degrade(e);
    // Not ours: let it crash as it would have without this listener.
    process.off('uncaughtException', this.onCrash);
    setImmediate(() => {
      throw e;
    });
  }

  /** Aborted once the live display has failed (a prompt it was showing must be asked again). */
  get displayLost(): AbortSignal {
    return this.broken.signal;
  }

  /** Stop the live display for good and go on with plain lines. */
  private degrade(e: unknown): void {
    if (this.fallback) return;
    this.fallback = lineReporter(this.vars);
    const renderer = (this.list as unknown as { renderer?: DefaultRenderer } | null)?.renderer;
    // Whether the list's last frame reached the screen: if not, what it had settled is said again as lines.
    let shown = false;
    try {
      if (renderer) DefaultRenderer.prototype.end.call(renderer);
      shown = Boolean(renderer);
    } catch {
      // The renderer is broken: at least give the terminal back its cursor and the output it held.
      try {
        (renderer as unknown as Renderer | undefined)?.logger?.process?.release();
      } catch {
        /* nothing more to do */
      }
    }
    this.broken.abort(e);
    // The list is abandoned, not finished: finishing it would make listr2 draw again.
    this.fallback.message(`the live display failed (${(e as Error)?.message ?? e}); continuing with plain lines`);
    const now = this.order.filter((s) => (!shown || !s.finished) && s.state !== TaskState.Pending && !s.children);
    for (const s of now) {
      this.fallback.task(s.id, s.title, s.state, s.detail);
      if (!shown) for (const line of s.lines) this.fallback.output(s.id, line);
    }
  }

  private slotFor(id: string): Slot | undefined {
    if (this.slots.has(id)) return this.slots.get(id);
    if (isRollback(id)) return this.slots.get(id.split(':').slice(0, 2).join(':'));
    if (id === 'baseline') return this.slots.get('monitor');
    return undefined;
  }

  private settle(s: Slot, state: TaskState, detail?: string): void {
    if (s.finished) return;
    this.stopTicking();
    s.finished = true;
    s.state = state;
    if (detail !== undefined) s.detail = detail;
    if (s.children) for (const c of s.children) this.conclude(c);
    s.begun.resolve();
    s.done.resolve();
  }

  /** Set a running listr2 task's own state (not in its public API): guarded like every other change. */
  private listrState(t: Wrapper, state: ListrTaskState): void {
    if (this.fallback || t.task.hasFinalized()) return;
    try {
      (t.task as unknown as { state$: ListrTaskState }).state$ = state;
    } catch (e) {
      this.degrade(e);
    }
  }

  /** Reaching a later phase means earlier ones that never finished were not run. */
  private reach(s: Slot): void {
    for (const o of this.order) if (o.phase < s.phase && !o.children) this.conclude(o);
    for (const o of this.order)
      if (o.children && o.phase < s.phase && !o.finished && o.state === TaskState.Pending) this.conclude(o);
    if (s.parent && s.parent.state === TaskState.Pending) {
      s.parent.state = TaskState.Running;
      s.parent.done.resolve();
    }
    this.lastActive = s;
  }

  task(id: string, title: string, state: TaskState, detail?: string): void {
    if (this.fallback) return this.fallback.task(id, title, state, detail);
    const s = this.slotFor(id);
    if (!s) return;
    if (isRollback(s.id) && s.id !== id) {
      // Rollback actions are lines inside the stage's rollback task.
      this.reach(s);
      const icon =
        state === TaskState.Succeeded
          ? '✓'
          : state === TaskState.Failed
            ? '✗'
            : state === TaskState.Skipped
              ? '↷'
              : '▶';
      if (state !== TaskState.Running) {
        s.ran = true;
        this.output(s.id, `${icon} ${title}${detail ? `: ${detail}` : ''}`);
      }
      if (state === TaskState.Failed) {
        s.state = TaskState.Failed;
        s.detail = detail === 'interrupted' ? 'interrupted, not finished' : 'a rollback step failed';
      }
      return;
    }
    this.reach(s);
    if (state === TaskState.Running || state === TaskState.Waiting) {
      s.state = state;
      s.begun.resolve();
      this.touch(s, (t) => {
        t.title = this.titled(s, detail);
      });
    } else this.settle(s, state, detail);
  }

  output(id: string, line: string): void {
    if (this.fallback) return this.fallback.output(id, line);
    const s = this.slotFor(id) ?? this.lastActive;
    if (!s || s.finished) return;
    const masked = this.vars.mask(line);
    s.lines.push(masked);
    if (s.lines.length > 5) s.lines.shift();
    // listr2 keeps a rollback's lines itself (all of them); elsewhere the last few show as one block.
    this.touch(s, (t) => {
      t.output = isRollback(s.id) ? masked : s.lines.join('\n');
    });
  }

  sample(window: string, sample: Sample, counts: { consecutiveFailed: number; consecutiveErrors: number }): void {
    if (this.fallback) return this.fallback.sample(window, sample, counts);
    const s = this.slotFor(window);
    if (!s) return;
    const mark = sample.result === 'passed' ? '✓' : sample.result === 'error' ? '!' : '✗';
    const streak =
      counts.consecutiveFailed || counts.consecutiveErrors
        ? ` (${counts.consecutiveFailed} failed, ${counts.consecutiveErrors} errors in a row)`
        : '';
    s.latest.set(sample.check, `${mark} ${this.vars.mask(sample.message)}${streak}`);
    this.touch(s, (t) => {
      t.output = [...s.latest.values()].join('\n');
    });
  }

  countdown(window: string, leftMs: number, samples: number): void {
    if (this.fallback) return this.fallback.countdown(window, leftMs, samples);
    const s = this.slotFor(window);
    if (!s) return;
    // The engine reports at each sample round; between rounds the board counts down itself, each second.
    const deadline = Date.now() + leftMs;
    const show = () => {
      const left = deadline - Date.now();
      if (s.finished || this.fallback || left <= 0) return this.stopTicking();
      this.touch(s, (t) => {
        t.title = this.titled(s, `${wholeSeconds(left)} left · ${samples} sample round(s)`);
      });
    };
    this.stopTicking();
    show();
    this.ticker = setInterval(show, 1000);
    this.ticker.unref();
  }

  private stopTicking(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  message(text: string): void {
    if (this.fallback) return this.fallback.message(text);
    const s = this.lastActive;
    if (s) this.output(s.id, `» ${text}`);
  }

  /** The task to prompt in: one waiting for the operator (a gate), else the one running. */
  async promptIn(): Promise<Wrapper | null> {
    const s = this.order.find((o) => o.state === TaskState.Waiting && !o.finished) ?? this.lastActive;
    if (!s || !this.live) return null;
    // The display may fail before the task starts (its first frame): then there is no task to wait for.
    let onLost = () => {};
    const failed = new Promise<null>((r) => {
      onLost = () => r(null);
      this.broken.signal.addEventListener('abort', onLost, { once: true });
    });
    const t = await Promise.race([s.wrapper.promise, failed]).finally(() =>
      this.broken.signal.removeEventListener('abort', onLost),
    );
    if (!t || !this.live || t.task.hasFinalized()) return null;
    s.asked = true;
    return t;
  }

  /** A prompt inside the task list failed for a rendering reason: lines from now on. */
  promptFailed(e: unknown): void {
    this.degrade(e);
  }
}
