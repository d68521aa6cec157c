/**
 * What both backends' migrations share: a numbered list applied in order, each recorded in
 * `schema_migrations`, and a refusal to open a database that a newer Homeostat has migrated
 * further than this code knows (running old code on a newer schema could write rows the newer
 * code misreads, or miss a column it relies on).
 */
import { HomeostatError } from '../common/errors';

export interface VersionedMigration {
  version: number;
  name: string;
}

/** Checks the list is 1, 2, 3… (a gap or a duplicate is a programming error, caught in tests). */
export function latestVersion(migrations: readonly VersionedMigration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new HomeostatError('HS_INTERNAL', `migration #${i + 1} is numbered ${m.version}: migrations must be numbered 1, 2, 3…`);
  });
  return migrations.length;
}

/**
 * The migrations still to apply to a database at `current`; throws HS_SCHEMA_TOO_NEW when the
 * database is ahead of the code.
 */
export function pendingMigrations<M extends VersionedMigration>(where: string, current: number, migrations: readonly M[]): M[] {
  const latest = latestVersion(migrations);
  if (current > latest) {
    throw new HomeostatError(
      'HS_SCHEMA_TOO_NEW',
      `knowledge base ${where} is at schema version ${current}, newer than this Homeostat knows (${latest}): upgrade Homeostat, or open a database made by this version.`,
      { current, latest },
    );
  }
  return migrations.filter((m) => m.version > current);
}
