/**
 * yaml's `parse`, for code that loads it only when it needs it. A dynamic
 * import of this module rather than of 'yaml': the bundle wraps yaml's
 * CommonJS in a chunk whose only export is `default`, so `import('yaml')`
 * would have no `parse` there.
 */
export { parse } from 'yaml';
