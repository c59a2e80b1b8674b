/** Gates for people: @inquirer/prompts in a terminal; exit 5 without one and without --yes. */
import { DeclinedError } from '../errors.js';
import type { Prompter } from '../engine/types.js';
import type { GlobalOptions } from './context.js';

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY) && !process.env.CI;
}

function required(message: string): never {
  throw new DeclinedError(`confirmation required: ${message}`, 'no terminal to ask in (stdin is not a TTY, or CI is set): pass --yes to confirm');
}

export function createPrompter(opts: GlobalOptions): Prompter {
  return {
    assumeYes: Boolean(opts.yes),
    interactive: canPrompt(),
    async confirm(message) {
      if (opts.yes) return true;
      if (!canPrompt()) required(message);
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: false });
    },
    async typed(message, expected) {
      if (opts.yes) return true;
      if (!canPrompt()) required(message);
      const { input } = await import('@inquirer/prompts');
      const answer = await input({ message: `${message}\n  Type the stage name to confirm (${expected}):` });
      return answer.trim() === expected;
    },
  };
}
