/**
 * Model faults. Concept drift changes the hidden rule that labels follow (the model is now wrong
 * through no fault of its own: retraining fixes it). An accuracy drop is a bad model deploy: a
 * version trained on corrupted labels is registered and pinned (rolling back fixes it).
 */
import { HomeostatError } from '../../common/errors';
import { accuracy, trainLogistic } from '../model';
import { MODEL_NAME } from '../processes/score';
import { done } from './process-faults';
import type { FaultContext } from './context';
import type { FaultSpec, InjectedFault } from './spec';

type Spec<K extends FaultSpec['fault']> = Extract<FaultSpec, { fault: K }>;

export async function injectConceptDrift(ctx: FaultContext, spec: Spec<'concept-drift'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('concept-drift', 'source', { severity: spec.severity }, spec.durationMs);
  return done(row.id, spec, `labels now follow a changed concept (severity ${spec.severity})`);
}

export async function injectAccuracyDrop(ctx: FaultContext, spec: Spec<'accuracy-drop'>): Promise<InjectedFault> {
  const examples = ctx.state.recentExamples(1_000);
  if (examples.length < 50) throw new HomeostatError('HS_REFUSED', `accuracy-drop needs labelled examples to build a bad model; only ${examples.length} so far`);
  // Labels flipped: the model learns the opposite of the truth, as after a label-join bug.
  const X = examples.map((e) => e.features);
  const flipped = examples.map((e) => 1 - e.label);
  const bad = trainLogistic(X, flipped);
  const { version } = await ctx.models.registerModel(MODEL_NAME, bad, { holdoutAccuracy: accuracy(bad, X, examples.map((e) => e.label)) }, { runName: 'deploy (trained on flipped labels)' });
  await ctx.models.pinModel(MODEL_NAME, version, { reason: 'model deploy (injected: trained on flipped labels)' });
  const row = ctx.state.addFault('accuracy-drop', 'score', { version });
  const where = ctx.models.kind === 'mlflow' ? `moved the MLflow alias of ${MODEL_NAME} to version ${version}` : `pinned ${MODEL_NAME}@${version}`;
  return done(row.id, spec, `${where}, trained on flipped labels`);
}
