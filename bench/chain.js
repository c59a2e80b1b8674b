// A one-stage runbook of `steps` chained `true` steps (declared order is the default chain).
export function chain(steps) {
  const lines = [
    'version: 1',
    'name: bench',
    'stages:',
    '  - id: 1',
    '    name: chain',
    '    irreversible: true',
    '    steps:',
  ];
  for (let i = 0; i < steps; i++) lines.push(`      - { id: s${i}, run: "true" }`);
  return `${lines.join('\n')}\n`;
}
