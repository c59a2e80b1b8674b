/** A task graph as Mermaid or Graphviz DOT text (`migrate graph`). */
import { formatDuration } from '../runbook/duration.js';
import type { GraphNode, TaskGraph } from './graph.js';

function caption(n: GraphNode): string {
  switch (n.type) {
    case 'step':
      return `${n.label}\n${n.action.kind}: ${truncate(n.action.display)}`;
    case 'monitor':
      return `monitor ${formatDuration(n.duration_ms)}\n${n.checks.length} check(s) every ${formatDuration(n.interval_ms)}`;
    case 'canary':
      return `canary ${n.weight}%\nhold ${n.hold_ms === 'manual' ? 'manual' : formatDuration(n.hold_ms)}`;
    case 'gate':
      return `gate: ${truncate(n.label)}`;
    default:
      return n.label;
  }
}

function truncate(s: string, max = 60): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

const safeId = (id: string) => `n_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function toMermaid(g: TaskGraph): string {
  const esc = (s: string) => s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>');
  const lines = ['flowchart TD', `  %% ${g.runbook} stage ${g.stage.id}: ${g.stage.name} (risk ${g.risk.effective})`];
  for (const n of g.nodes) {
    const text = `"${esc(caption(n))}"`;
    const shape =
      n.type === 'gate'
        ? `{${text}}`
        : n.type === 'monitor' || n.type === 'canary'
          ? `([${text}])`
          : n.type === 'preflight' || n.type === 'verify'
            ? `[[${text}]]`
            : `[${text}]`;
    lines.push(`  ${safeId(n.id)}${shape}`);
  }
  for (const e of g.edges) lines.push(`  ${safeId(e.from)} --> ${safeId(e.to)}`);
  return `${lines.join('\n')}\n`;
}

export function toDot(g: TaskGraph): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const shapes: Record<GraphNode['type'], string> = {
    preflight: 'box3d',
    gate: 'diamond',
    step: 'box',
    monitor: 'ellipse',
    canary: 'ellipse',
    verify: 'box3d',
  };
  const lines = [
    `digraph "stage_${g.stage.id}" {`,
    `  label="${esc(`${g.runbook} stage ${g.stage.id}: ${g.stage.name}`)}";`,
    '  rankdir=TB;',
  ];
  for (const n of g.nodes) lines.push(`  "${esc(n.id)}" [shape=${shapes[n.type]}, label="${esc(caption(n))}"];`);
  for (const e of g.edges) lines.push(`  "${esc(e.from)}" -> "${esc(e.to)}";`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
