// Loaded before every test file (vitest setupFiles). After each test the worker
// gives its event loop one turn. A run of synchronous tests (each spawning the
// CLI with spawnSync) otherwise keeps the loop from reading vitest's own RPC
// replies; past 60 s the timer fires first and vitest fails the whole run with
// "Timeout calling onTaskUpdate", though every test passed.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
