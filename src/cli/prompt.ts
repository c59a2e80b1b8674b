/** Gates for people: @inquirer/prompts in a terminal; exit 5 without one and without --yes. */
import { DeclinedError, InterruptedError } from '../errors.js';
import type { Prompter } from '../engine/types.js';
import type { GlobalOptions } from './context.js';
import type { ListrBoard } from './listr-board.js';

/**
 * Where a question can be seen: stdout at a terminal, else stderr at one
 * (`> out.txt`, `| tee run.log`: a Ctrl-C also kills the tee, and a question
 * written into the pipe would be a silent wait). Neither: nobody can see it.
 */
function questionOutput(): NodeJS.WriteStream | null {
  if (process.stdout.isTTY) return process.stdout;
  if (process.stderr.isTTY) return process.stderr;
  return null;
}

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY) && questionOutput() !== null && !process.env.CI;
}

function required(message: string): never {
  throw new DeclinedError(
    `confirmation required: ${message}`,
    'no terminal to ask in (stdin is not a TTY, stdout and stderr both go elsewhere, or CI is set): pass --yes to confirm',
  );
}

type Prompt<C, T> = (config: C, context?: { signal?: AbortSignal; output?: NodeJS.WritableStream }) => Promise<T>;

/** Ask inside the live task list when there is one, so the prompt does not tear the display. */
async function ask<C, T>(
  board: ListrBoard | undefined,
  pick: (p: typeof import('@inquirer/prompts')) => Prompt<C, T>,
  config: C,
  signal?: AbortSignal,
): Promise<T> {
  const prompt = pick(await import('@inquirer/prompts'));
  const task = await board?.promptIn();
  const plain = () => prompt(config, { signal, output: questionOutput() ?? process.stdout });
  if (!task) return plain();
  const { ListrInquirerPromptAdapter } = await import('@listr2/prompt-adapter-inquirer');
  // The prompt ends when the run is interrupted, or when the display it is drawn in fails.
  const ended = AbortSignal.any([board!.displayLost, ...(signal ? [signal] : [])]);
  try {
    const adapter = task.prompt(ListrInquirerPromptAdapter) as unknown as {
      run: (p: unknown, c: unknown, x: unknown) => Promise<T>;
    };
    return await adapter.run(prompt, config, { signal: ended });
  } catch (e) {
    if (isPromptEnd(e) && !board!.displayLost.aborted) throw e;
    // The live display broke while asking: ask again on a plain terminal.
    board!.promptFailed(e);
    return plain();
  }
}

/** A yes/no question in the live task list (when there is one); `signal` ends it. */
export function confirmIn(
  board: ListrBoard | undefined,
  message: string,
  fallback: boolean,
  signal?: AbortSignal,
): Promise<boolean> {
  return ask(board, (p) => p.confirm, { message, default: fallback }, signal);
}

/** The operator ended the prompt (Ctrl-C, or the run's interrupt): not a rendering failure. */
const isPromptEnd = (e: unknown) => ['ExitPromptError', 'AbortPromptError'].includes((e as Error)?.name);

/** Ctrl-C at a prompt (or just before it) is an interruption (exit 130), not a crash. */
async function interruptible<T>(ask: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw new InterruptedError('interrupted before the prompt; nothing more was changed');
  try {
    return await ask();
  } catch (e) {
    if (isPromptEnd(e)) throw new InterruptedError('interrupted at a prompt; nothing more was changed');
    throw e;
  }
}

/**
 * `interrupt` gives the run's interrupt as it is now (a follow-up rollback gets a fresh one):
 * a Ctrl-C that lands before a prompt takes the keyboard cancels it.
 */
export function createPrompter(opts: GlobalOptions, board?: ListrBoard, interrupt?: () => AbortSignal): Prompter {
  return {
    assumeYes: Boolean(opts.yes),
    interactive: canPrompt(),
    async confirm(message) {
      if (opts.yes) return true;
      if (!canPrompt()) required(message);
      const signal = interrupt?.();
      return interruptible(() => confirmIn(board, message, false, signal), signal);
    },
    preconfirmed: (name) => (opts.confirmStage ?? []).includes(name),
    async typed(message, expected) {
      if (!canPrompt()) {
        throw new DeclinedError(
          `stage "${expected}" must be confirmed by its name: ${message}`,
          `--yes does not confirm a critical stage: pass --confirm-stage "${expected}" (or run it at a terminal and type the name)`,
        );
      }
      const signal = interrupt?.();
      const question = `${message} Type the stage name to confirm (${expected}):`;
      const answer = await interruptible(() => ask(board, (p) => p.input, { message: question }, signal), signal);
      return answer.trim() === expected;
    },
  };
}
