/** The semantic rules, in the order their findings are most useful to read. */
import type { Finding } from '../diagnostics.js';
import type { Runbook } from '../types.js';
import { stageHasRollback, stageIdsContiguous, stageNamesUnique, stageNotEmpty } from './stages.js';
import { needsAcyclic, needsExist, oneAction, oneProbe, sqlKeysOnSql, stepIdsUnique } from './steps.js';
import {
  environmentVarsDeclared,
  expressionsValid,
  notifyValid,
  secretsHaveNoDefault,
  varsDeclared,
} from './references.js';
import { checkNamesUnique, queryOffsetNeedsPrometheus } from './checks.js';
import { varsWellFormed } from '../values.js';
import { canaryShape, intervalsShorter, monitorHasChecks } from './windows.js';
import { durationsValid } from '../durations.js';
import { promqlVarsPlaced, promqlWellFormed } from './promql.js';
import { requestsSendable } from './requests.js';

export type Rule = (rb: Runbook) => Finding[];

export const rules: Record<string, Rule> = {
  stageIdsContiguous,
  stageNamesUnique,
  stepIdsUnique,
  needsExist,
  needsAcyclic,
  oneAction,
  sqlKeysOnSql,
  oneProbe,
  checkNamesUnique,
  queryOffsetNeedsPrometheus,
  varsDeclared,
  environmentVarsDeclared,
  secretsHaveNoDefault,
  varsWellFormed,
  expressionsValid,
  promqlWellFormed,
  promqlVarsPlaced,
  requestsSendable,
  notifyValid,
  durationsValid,
  intervalsShorter,
  monitorHasChecks,
  canaryShape,
  stageHasRollback,
  stageNotEmpty,
};
