// The part of js-yaml 4 that src/runbook/yaml.ts uses (the package ships no types).
declare module 'js-yaml' {
  export interface Type {
    readonly tag: string;
  }
  export class Schema {
    extend(types: { implicit?: Type[]; explicit?: Type[] }): Schema;
  }
  export const CORE_SCHEMA: Schema;
  export const types: { merge: Type };
  /** What the listener sees as a node opens and closes (js-yaml's loader state). */
  export interface ListenerState {
    position: number;
    kind: 'scalar' | 'sequence' | 'mapping' | null;
    result: unknown;
    anchor: string | null;
  }
  export interface LoadOptions {
    schema?: Schema;
    maxDepth?: number;
    listener?: (event: 'open' | 'close', state: ListenerState) => void;
  }
  export function load(source: string, options?: LoadOptions): unknown;
  export class YAMLException extends Error {
    reason?: string;
    mark?: { position: number; line: number; column: number };
  }
}
