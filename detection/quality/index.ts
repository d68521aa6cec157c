/** Data-quality checks: each returns a standardised score in [0, 1] (0.5 at the limit) and a reason. */
export * from './common';
export { schemaOf, schemaFingerprint, diffSchemas, FIELD_TYPES, type FieldType, type Schema, type SchemaDiff } from './schema';
export { nullRateCheck, isMissing, type NullRateOptions } from './null-rate';
export { rangeCheck, type RangeOptions } from './range';
export { freshnessCheck, type FreshnessInput } from './freshness';
export { volumeCheck, type VolumeOptions } from './volume';
