/** The knowledge base: interface, SQLite backend, and the glue the incident activities call. */
export * from './types';
export { SqliteKnowledgeBase, type SqliteOptions } from './sqlite';
export { PostgresKnowledgeBase, type PostgresOptions } from './postgres';
export { defaultKnowledgeDbPath, openKnowledgeBase, openKnowledgeBaseAt } from './open';
export { decide, revalidate, recordExecutedAction, safetyContext, type Decision, type DecisionInput, type Health, type Revalidation, type RevalidationInput } from './decide';
export { learnFromIncident, type LearnArgs, type LearnResult } from './learn';
export { recordPolicy } from './policy-record';
export { minimalAnomalousUpstream, type RootCauseResult } from './lineage';
export { canonicalJson } from './canonical-json';
