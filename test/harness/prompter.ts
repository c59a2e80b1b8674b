/** A prompter that answers from a list, and records what it was asked. */
import { DeclinedError } from '../../src/errors.js';
import type { Prompter } from '../../src/engine/types.js';

export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  constructor(
    private readonly answers: (boolean | string)[] = [],
    readonly interactive = answers.length > 0,
    readonly assumeYes = false,
  ) {}

  private next(message: string): boolean | string {
    this.asked.push(message);
    if (!this.interactive) throw new DeclinedError(`confirmation required: ${message}`, 'pass --yes to answer yes');
    if (this.assumeYes) return true;
    if (!this.answers.length) throw new Error(`unexpected prompt: ${message}`);
    return this.answers.shift()!;
  }

  async confirm(message: string): Promise<boolean> {
    return this.next(message) === true;
  }

  async typed(message: string, expected: string): Promise<boolean> {
    const a = this.next(message);
    return a === expected || a === true;
  }
}
