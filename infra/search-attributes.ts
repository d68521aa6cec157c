/**
 * Registers Homeostat's search attributes (HealPipeline…, HealAwaitingApproval) on a namespace
 * through the operator service. Idempotent: attributes that already exist with the right type are
 * left alone, so it runs on every start, against the dev server or any server in TEMPORAL_ADDRESS.
 */
import { type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { HomeostatError } from '../common/errors';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/shared';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const PROTO_TYPE: Record<'Keyword' | 'Bool', temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` takes. */
export function searchAttributeFlags(): string[] {
  return Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}

/** Returns the names it had to add (empty when everything was registered already). */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<string[]> {
  const existing = await listCustom(connection, namespace);
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) {
    const current = existing.get(name);
    if (current === undefined) missing[name] = PROTO_TYPE[type];
    else if (current !== PROTO_TYPE[type]) {
      throw new HomeostatError(
        'HS_PROVISION_FAILED',
        `search attribute ${name} exists on namespace ${namespace} with another type (${IndexedValueType[current]}); Homeostat needs ${type}. Remove it or use another namespace.`,
      );
    }
  }
  const names = Object.keys(missing);
  if (names.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // Two starters racing: the other one registered them first, which is what we wanted.
    const after = await listCustom(connection, namespace);
    if (!names.every((name) => after.has(name))) {
      throw new HomeostatError(
        'HS_SERVICE_UNAVAILABLE',
        `could not register search attributes ${names.join(', ')} on namespace ${namespace}: ${(err as Error).message}`,
      );
    }
  }
  return names;
}

async function listCustom(connection: Connection, namespace: string): Promise<Map<string, temporal.api.enums.v1.IndexedValueType>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  const attributes = new Map<string, temporal.api.enums.v1.IndexedValueType>();
  for (const [name, type] of Object.entries(response.customAttributes ?? {})) attributes.set(name, type);
  return attributes;
}
