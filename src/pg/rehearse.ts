/**
 * `migrate rehearse <N>` (SPEC 5): practise stage N's SQL and its rollback on
 * a scratch database made from the target's schema, never touching the
 * target: copy the schema, apply, roll back, compare with the schema before,
 * apply again. The scratch database is dropped at the end, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { MigrateError } from '../errors.js';
import { rollbackActions } from '../plan/rollback.js';
import { stepId, type Action, type Stage } from '../runbook/types.js';
import type { Vars } from '../runbook/vars.js';
import { connect, databaseUrl } from './connect.js';
import { runSql } from './execute.js';
import { diffSchemas, schemaDdl, snapshotSchema } from './schema.js';

export interface RehearsalReport {
  stage: number;
  steps: string[];
  skipped: string[];
  phases: { phase: 'copy' | 'apply' | 'rollback' | 'reapply'; ok: boolean; detail: string }[];
  differences: string[];
  ok: boolean;
}

/**
 * The stage's steps in an order the engine could run them (one at a time
 * here): the compiled graph's levels, so a step without `needs` still comes
 * after the step declared before it.
 */
function ordered(stage: Stage, levels: string[][]): { id: string; step: NonNullable<Stage['steps']>[number] }[] {
  const byId = new Map((stage.steps ?? []).map((s, i) => [stepId(s, i), s]));
  return levels.flat().flatMap((id) => {
    const step = byId.get(id);
    return step ? [{ id, step }] : [];
  });
}

export async function rehearse(
  stage: Stage,
  levels: string[][],
  vars: Vars,
  log: (line: string) => void,
): Promise<RehearsalReport> {
  const target = databaseUrl(undefined, vars);
  const sqlSteps = ordered(stage, levels).filter(
    ({ step }) =>
      step.sql !== undefined && (step.database === undefined || databaseUrl(step.database, vars) === target),
  );
  const skipped = (stage.steps ?? []).map(stepId).filter((id) => !sqlSteps.some((s) => s.id === id));
  const report: RehearsalReport = {
    stage: stage.id,
    steps: sqlSteps.map((s) => s.id),
    skipped,
    phases: [],
    differences: [],
    ok: false,
  };
  if (!sqlSteps.length) throw new MigrateError(`stage ${stage.id} has no sql steps to rehearse`);

  const scratchName = `migrate_rehearse_${randomBytes(5).toString('hex')}`;
  const scratchUrl = new URL(target);
  scratchUrl.pathname = `/${scratchName}`;
  const scratchVars = vars.with({ db: scratchUrl.toString() });
  // The target is only read: its schema, through a read-only transaction.
  const source = await connect(target, 'migrate rehearse (read-only)');
  let created = false;
  try {
    await source.query('BEGIN READ ONLY');
    const original = await snapshotSchema(source);
    await source.query('COMMIT');
    await source.query(`CREATE DATABASE ${scratchName}`);
    created = true;
    log(`scratch database ${scratchName} created from the target's schema`);
    const scratch = await connect(scratchUrl.toString(), 'migrate rehearse');
    const run = async (a: Action) => runSql({ ...a, database: undefined }, scratchVars, { attempts: 1 });
    try {
      for (const stmt of schemaDdl(original)) await scratch.query(stmt);
      const before = await snapshotSchema(scratch);
      const copyDiff = diffSchemas(original, before);
      report.phases.push({
        phase: 'copy',
        ok: copyDiff.length === 0,
        detail: copyDiff.length ? `the copy differs from the target: ${copyDiff.join('; ')}` : 'schema copied',
      });

      const apply = async (phase: 'apply' | 'reapply') => {
        for (const { id, step } of sqlSteps) {
          const r = await run(step);
          if (!r.ok) {
            report.phases.push({ phase, ok: false, detail: `step ${id}: ${r.message}` });
            return false;
          }
        }
        report.phases.push({ phase, ok: true, detail: `${sqlSteps.length} sql step(s) applied` });
        return true;
      };
      if (!(await apply('apply'))) return report;
      const applied = await snapshotSchema(scratch);
      log(`applied: ${diffSchemas(before, applied).length} schema change(s)`);

      const undo = rollbackActions(
        stage,
        sqlSteps.map((s) => s.id),
      ).filter((r) => r.action.sql !== undefined);
      for (const u of undo) {
        const r = await run(u.action);
        if (!r.ok) {
          report.phases.push({ phase: 'rollback', ok: false, detail: `${u.title}: ${r.message}` });
          return report;
        }
      }
      const missing = sqlSteps
        .filter(({ step }) => step.undo_sql === undefined && step.undo === undefined)
        .map((s) => s.id);
      report.differences = diffSchemas(before, await snapshotSchema(scratch));
      report.phases.push({
        phase: 'rollback',
        ok: report.differences.length === 0,
        detail: report.differences.length
          ? `the rollback left ${report.differences.length} difference(s)${missing.length ? ` (no undo_sql: ${missing.join(', ')})` : ''}`
          : 'the schema is as it was before',
      });
      if (report.differences.length) return report;
      if (!(await apply('reapply'))) return report;
      const again = diffSchemas(applied, await snapshotSchema(scratch));
      if (again.length)
        report.phases.push({
          phase: 'reapply',
          ok: false,
          detail: `applying again gave a different schema: ${again.join('; ')}`,
        });
      report.ok = report.phases.every((p) => p.ok);
      return report;
    } finally {
      await scratch.end().catch(() => {});
    }
  } finally {
    if (created) await source.query(`DROP DATABASE IF EXISTS ${scratchName} WITH (FORCE)`).catch(() => {});
    await source.end().catch(() => {});
  }
}
