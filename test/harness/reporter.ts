/** A reporter that keeps what it was told, for assertions. */
import type { Reporter, Sample, TaskState } from '../../src/engine/types.js';

export class RecordingReporter implements Reporter {
  readonly tasks: { id: string; state: TaskState; detail?: string }[] = [];
  readonly messages: string[] = [];
  readonly samples: { window: string; sample: Sample }[] = [];
  readonly lines: string[] = [];

  beginStage(): void {}
  beginRollback(): void {}
  task(id: string, _title: string, state: TaskState, detail?: string): void {
    this.tasks.push({ id, state, detail });
  }
  output(_id: string, line: string): void {
    this.lines.push(line);
  }
  sample(window: string, sample: Sample): void {
    this.samples.push({ window, sample });
  }
  countdown(): void {}
  message(text: string): void {
    this.messages.push(text);
  }
}
