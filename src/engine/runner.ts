/** How the engine, probes and flag stores start processes: an interface, so tests can supply a fake. */
export interface ProcessResult {
  exitCode: number | null;
  stdout: string;
  /** The last lines of stdout and stderr, secrets masked. */
  tail: string;
  timedOut: boolean;
  aborted: boolean;
}

export interface ProcessRunner {
  run(
    cmd: { shell?: string; argv?: string[]; script?: string },
    opts: {
      cwd: string;
      env?: Record<string, string>;
      timeoutMs?: number | null;
      signal?: AbortSignal;
      onLine?: (line: string) => void;
      mask: (s: string) => string;
      /** Called once the process runs, with its pid (it leads its own process group: pgid = pid). */
      onSpawn?: (pid: number) => void;
      /** Written to the process's stdin (otherwise stdin is closed). */
      input?: string;
    },
  ): Promise<ProcessResult>;
}
