/**
 * The live task list for terminals. The engine reports events through the
 * Reporter interface; this board turns them into a listr2 task list laid out
 * from the compiled graph: preflight, gate, steps (concurrent), window,
 * verify, rollback. Prompts run inside the task that asks.
 */
import { Listr, type ListrTaskWrapper, type DefaultRenderer, type SimpleRenderer } from 'listr2';
import { TaskState, type Reporter, type Sample } from '../engine/types.js';
import type { TaskGraph } from '../plan/graph.js';
import { formatDuration } from '../runbook/duration.js';
import type { Vars } from '../runbook/vars.js';

type Wrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

class Deferred<T = void> {
  resolve!: (v: T) => void;
  readonly promise = new Promise<T>((r) => { this.resolve = r; });
}

interface Slot {
  id: string;
  title: string;
  phase: number;
  state: TaskState;
  detail?: string;
  lines: string[];
  latest: Map<string, string>;
  done: Deferred;
  wrapper: Deferred<Wrapper>;
  finished: boolean;
  group: boolean;
}

export interface Layout { id: string; title: string; children?: Layout[] }

/** The slots of one stage run, in display order. */
export function stageLayout(g: TaskGraph): Layout[] {
  const steps = g.nodes.filter((n) => n.type === 'step').map((n) => ({ id: n.id, title: n.label }));
  const out: Layout[] = [];
  for (const n of g.nodes) {
    if (n.type === 'step') {
      if (!out.some((l) => l.id === 'steps')) out.push({ id: 'steps', title: `steps (${steps.length})`, children: steps });
    } else out.push({ id: n.id, title: n.type === 'gate' ? `gate: ${n.label}` : n.label });
  }
  out.push({ id: `rollback:${g.stage.id}`, title: `rollback stage ${g.stage.id}` });
  return out;
}

export class ListrBoard implements Reporter {
  private slots = new Map<string, Slot>();
  private order: Slot[] = [];
  private running: Promise<unknown> | null = null;
  private lastActive: Slot | null = null;

  constructor(private readonly vars: Vars) {}

  async beginStage(graph: TaskGraph): Promise<void> {
    await this.finish();
    this.start(stageLayout(graph), `${graph.runbook} · stage ${graph.stage.id}: ${graph.stage.name} (risk ${graph.risk.effective})`);
  }

  async beginRollback(stages: number[], emergency: boolean): Promise<void> {
    await this.finish();
    this.start(stages.map((n) => ({ id: `rollback:${n}`, title: `rollback stage ${n}` })), emergency ? 'EMERGENCY ROLLBACK' : 'rollback');
  }

  private start(layout: Layout[], title?: string): void {
    this.slots.clear();
    this.order = [];
    const make = (l: Layout, phase: number): Slot => {
      const s: Slot = { id: l.id, title: this.vars.mask(l.title), phase, state: TaskState.Pending, lines: [], latest: new Map(), done: new Deferred(), wrapper: new Deferred<Wrapper>(), finished: false, group: Boolean(l.children) };
      this.slots.set(l.id, s);
      this.order.push(s);
      return s;
    };
    const taskFor = (l: Layout, phase: number): any => {
      if (l.children) {
        const kids = l.children.map((c) => taskFor(c, phase));
        const group = make(l, phase);
        return {
          title: group.title,
          task: (_: unknown, t: Wrapper) => {
            group.wrapper.resolve(t);
            return t.newListr(kids, { concurrent: true, exitOnError: false });
          },
        };
      }
      const s = make(l, phase);
      return {
        title: s.title,
        rendererOptions: { outputBar: l.id.startsWith('rollback:') ? Infinity : 1, persistentOutput: l.id.startsWith('rollback:') },
        task: async (_: unknown, t: Wrapper) => {
          s.wrapper.resolve(t);
          await s.done.promise;
          if (s.state === TaskState.Skipped || s.state === TaskState.Pending) return t.skip(`${s.title}: ${s.detail ?? 'not run'}`);
          t.title = s.detail ? `${s.title} ${this.dim(s.detail)}` : s.title;
          if (s.state === TaskState.Failed) throw new Error(`${s.title}: ${s.detail ?? 'failed'}`);
        },
      };
    };
    const tasks = layout.map((l, i) => taskFor(l, i));
    const list = new Listr(title ? [{ title, task: (_: unknown, t: Wrapper) => t.newListr(tasks, { concurrent: false, exitOnError: false }) }] : tasks, {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { collapseSubtasks: false, collapseSkips: true, showErrorMessage: true },
    });
    this.running = list.run().catch(() => undefined);
  }

  /** Mark everything not reached as not run, and wait for the renderer to settle. */
  async finish(): Promise<void> {
    if (!this.running) return;
    for (const s of this.order) {
      const rollback = s.id.startsWith('rollback:');
      if (rollback && s.lines.length) this.settle(s, s.state === TaskState.Failed ? TaskState.Failed : TaskState.Succeeded, s.state === TaskState.Failed ? 'a rollback step failed' : undefined);
      else this.settle(s, TaskState.Skipped, s.state === TaskState.Running ? 'stopped' : rollback ? 'not needed' : 'not run');
    }
    await this.running;
    this.running = null;
  }

  private dim(s: string): string {
    return `\x1b[2m${s}\x1b[22m`;
  }

  private slotFor(id: string): Slot | undefined {
    if (this.slots.has(id)) return this.slots.get(id);
    if (id.startsWith('rollback:')) return this.slots.get(id.split(':').slice(0, 2).join(':'));
    if (id === 'baseline') return this.slots.get('monitor');
    return undefined;
  }

  private settle(s: Slot, state: TaskState, detail?: string): void {
    if (s.finished) return;
    s.finished = true;
    s.state = state;
    if (detail !== undefined) s.detail = detail;
    s.done.resolve();
  }

  /** Reaching a later phase means earlier ones that never finished were not run. */
  private reach(s: Slot): void {
    for (const o of this.order) if (o.phase < s.phase && !o.group) this.settle(o, TaskState.Skipped, 'not run');
    this.lastActive = s;
  }

  task(id: string, title: string, state: TaskState, detail?: string): void {
    const s = this.slotFor(id);
    if (!s) return;
    if (s.id.startsWith('rollback:') && s.id !== id) {
      // Rollback actions are lines inside the stage's rollback task.
      this.reach(s);
      const icon = state === TaskState.Succeeded ? '✓' : state === TaskState.Failed ? '✗' : state === TaskState.Skipped ? '↷' : '▶';
      if (state !== TaskState.Running) this.output(s.id, `${icon} ${title}${detail ? `: ${detail}` : ''}`);
      if (state === TaskState.Failed) s.state = TaskState.Failed;
      return;
    }
    this.reach(s);
    if (state === TaskState.Running || state === TaskState.Waiting) {
      s.state = state;
      void s.wrapper.promise.then((t) => { t.title = detail ? `${s.title} ${this.dim(detail)}` : s.title; });
    } else this.settle(s, state, detail);
  }

  output(id: string, line: string): void {
    const s = this.slotFor(id) ?? this.lastActive;
    if (!s) return;
    s.lines.push(this.vars.mask(line));
    if (s.lines.length > 5) s.lines.shift();
    void s.wrapper.promise.then((t) => { t.output = s.lines.join('\n'); });
  }

  sample(window: string, sample: Sample, counts: { consecutiveFailed: number; consecutiveErrors: number }): void {
    const s = this.slotFor(window);
    if (!s) return;
    const mark = sample.result === 'passed' ? '✓' : sample.result === 'error' ? '!' : '✗';
    s.latest.set(sample.check, `${mark} ${this.vars.mask(sample.message)}${counts.consecutiveFailed || counts.consecutiveErrors ? ` (${counts.consecutiveFailed} failed, ${counts.consecutiveErrors} errors in a row)` : ''}`);
    void s.wrapper.promise.then((t) => { t.output = [...s.latest.values()].join('\n'); });
  }

  countdown(window: string, leftMs: number, samples: number): void {
    const s = this.slotFor(window);
    if (!s) return;
    void s.wrapper.promise.then((t) => { t.title = `${s.title} ${this.dim(`${formatDuration(leftMs)} left · ${samples} sample round(s)`)}`; });
  }

  message(text: string): void {
    const s = this.lastActive;
    if (s) this.output(s.id, `» ${text}`);
  }

  /** The task to prompt in: one waiting for the operator (a gate), else the one running. */
  async promptIn(): Promise<Wrapper | null> {
    const s = this.order.find((o) => o.state === TaskState.Waiting && !o.finished) ?? this.lastActive;
    if (!s || !this.running) return null;
    return s.wrapper.promise;
  }
}
