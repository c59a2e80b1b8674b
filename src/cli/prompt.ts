/** Gates for people: @inquirer/prompts in a terminal; exit 5 without one and without --yes. */
import { DeclinedError, InterruptedError } from '../errors.js';
import type { Prompter } from '../engine/types.js';
import type { GlobalOptions } from './context.js';
import type { ListrBoard } from './listr-board.js';

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY) && !process.env.CI;
}

function required(message: string): never {
  throw new DeclinedError(`confirmation required: ${message}`, 'no terminal to ask in (stdin is not a TTY, or CI is set): pass --yes to confirm');
}

/** Ask inside the live task list when there is one, so the prompt does not tear the display. */
async function askConfirm(board: ListrBoard | undefined, message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  const task = await board?.promptIn();
  if (!task) return confirm({ message, default: false });
  const { ListrInquirerPromptAdapter } = await import('@listr2/prompt-adapter-inquirer');
  return task.prompt(ListrInquirerPromptAdapter).run(confirm, { message, default: false });
}

async function askInput(board: ListrBoard | undefined, message: string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  const task = await board?.promptIn();
  if (!task) return input({ message });
  const { ListrInquirerPromptAdapter } = await import('@listr2/prompt-adapter-inquirer');
  return task.prompt(ListrInquirerPromptAdapter).run(input, { message });
}

/** Ctrl-C at a prompt is an interruption (exit 130), not a crash. */
async function interruptible<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (e) {
    if ((e as Error)?.name === 'ExitPromptError' || (e as Error)?.name === 'AbortPromptError') throw new InterruptedError('interrupted at a prompt; nothing more was changed');
    throw e;
  }
}

export function createPrompter(opts: GlobalOptions, board?: ListrBoard): Prompter {
  return {
    assumeYes: Boolean(opts.yes),
    interactive: canPrompt(),
    async confirm(message) {
      if (opts.yes) return true;
      if (!canPrompt()) required(message);
      return interruptible(() => askConfirm(board, message));
    },
    async typed(message, expected) {
      if (opts.yes) return true;
      if (!canPrompt()) required(message);
      const answer = await interruptible(() => askInput(board, `${message} Type the stage name to confirm (${expected}):`));
      return answer.trim() === expected;
    },
  };
}
