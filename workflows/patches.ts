/**
 * Patch ids of workflow-logic changes, oldest first. Each guards a change made after histories
 * were recorded (test/fixtures/histories): `wf.patched(id)` is true in new runs, false when a
 * history recorded before the change replays. Never remove one while such histories may replay.
 */

/** Probes that could not decide yet get one more settle window before a human is called. */
export const PATCH_REPROBE_INCONCLUSIVE = 'reprobe-inconclusive-verification';
/** A diagnosis that finds the root cause upstream hands the incident over instead of repairing here. */
export const PATCH_HAND_OVER_UPSTREAM = 'hand-over-upstream-root-cause';
/**
 * A repair that failed verification while a hard fault of another class arrived is re-diagnosed
 * from that evidence before the next rung: a crash that turns out to be a crash on a corrupt
 * checkpoint needs a checkpoint restore, not the crash ladder's next rung.
 */
export const PATCH_REDIAGNOSE_ON_NEW_HARD_FAULT = 'rediagnose-on-new-hard-fault';
/**
 * A failing escalation, learn or lease release no longer fails the incident: the outcome is
 * recorded, the failure goes into the explanation, and an escalation that could not be
 * delivered is handed to a durable redelivery workflow.
 */
export const PATCH_SURVIVE_SIDE_ACTIVITY_FAILURES = 'side-activity-failures-never-fail-the-incident';
/** A repair that throws says so in the explanation's impact, with what its compensation undid. */
export const PATCH_EXPLAIN_FAILED_EXECUTE = 'explain-failed-execute';
/**
 * Re-validation that finds the approval no longer counts (the approver lost the role meanwhile)
 * asks for a new approval on a fresh plan instead of going on to execute.
 */
export const PATCH_REAPPROVE_WHEN_APPROVAL_LAPSED = 'reapprove-when-approval-no-longer-counts';
/** An abort that arrived before a continue-as-new is carried into the next run and honoured there. */
export const PATCH_ABORT_SURVIVES_CONTINUE_AS_NEW = 'abort-survives-continue-as-new';
/**
 * The execute activity is told when the incident's first anomaly was observed, so that a retrain
 * learns only from data labelled after the drift began instead of a window that is mostly the old
 * concept.
 */
export const PATCH_EXECUTE_KNOWS_ANOMALY_ONSET = 'execute-knows-anomaly-onset';
/**
 * Verification probes as soon as the repair completes, instead of after a fixed settle window,
 * and keeps probing until the probes pass k rounds in a row (healed) or the deadline passes (fail
 * when any round failed — a flapping component fails —, else inconclusive); k and the deadline
 * come with the plan, learned per action from past verification times.
 */
export const PATCH_VERIFY_UNTIL_STABLE = 'verify-until-stable';
/**
 * Approve, reject and abort must carry a valid Ed25519 signature (workflows/decisions.ts).
 * Decided once per run, at its start: validators do not run on replay, so they must not call
 * patched() themselves.
 */
export const PATCH_SIGNED_DECISIONS = 'signed-decisions';
/** A repair that changes something never runs without the remediation lease re-validation grants. */
export const PATCH_NO_EXECUTE_WITHOUT_LEASE = 'no-execute-without-lease';
