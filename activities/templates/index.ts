/**
 * RepairAction → template. `escalate` and `log-and-wait` are the workflow's own (the lead's);
 * every other action of the taxonomy has a template here.
 */
import type { RepairAction } from '../../policies/taxonomy';
import { checkpointRestore } from './checkpoint-restore';
import type { TemplateDeps } from './deps';
import { loadShedding } from './load-shedding';
import { microreboot } from './microreboot';
import { modelRollback } from './model-rollback';
import { quarantine } from './quarantine';
import { replayFromCheckpoint } from './replay-from-checkpoint';
import { retrainValidatePromote } from './retrain-validate-promote';
import { retryWithBackoff } from './retry-with-backoff';
import { scaleOut } from './scale-out';
import { schemaRollback } from './schema-rollback';
import type { RepairTemplate } from './template';

export type { TemplateDeps } from './deps';

export const TEMPLATES: Partial<Record<RepairAction, RepairTemplate<TemplateDeps>>> = {
  microreboot,
  'scale-out': scaleOut,
  'load-shedding': loadShedding,
  'replay-from-checkpoint': replayFromCheckpoint,
  'checkpoint-restore': checkpointRestore,
  'schema-rollback': schemaRollback,
  quarantine,
  'model-rollback': modelRollback,
  'retrain-validate-promote': retrainValidatePromote,
  'retry-with-backoff': retryWithBackoff,
};

export function templateFor(action: RepairAction): RepairTemplate<TemplateDeps> | undefined {
  return TEMPLATES[action];
}
