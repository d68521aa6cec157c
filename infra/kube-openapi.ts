/**
 * Validates Kubernetes manifests against the Kubernetes OpenAPI (v2) schema, without a cluster.
 * The schema is `api/openapi-spec/swagger.json` of the `k8s.io/kubernetes` module at the pinned
 * version, fetched once from the Go module proxy (`go mod download`) into the cache.
 *
 * Strict like kubeconform's -strict: every object that declares its properties rejects unknown
 * ones (a misspelt `readinesProbe` is an error, not silently dropped), required fields are
 * enforced, and IntOrString / Quantity accept what the API server accepts (a number or a string).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { HomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { runToCompletion } from './process';
import { step } from './step';
import { requireTool } from './toolchain';
import { VERSIONS } from './versions';

type Schema = Record<string, unknown>;

export function kubeOpenApiFile(): string {
  return path.join(cacheDir(), `kubernetes-openapi-${VERSIONS.kubernetesOpenApi}`, 'swagger.json');
}

/** The swagger.json of the pinned Kubernetes version (fetched once, then from the cache). */
export async function ensureKubeOpenApi(): Promise<string> {
  const file = kubeOpenApiFile();
  if (fs.existsSync(file)) return file;
  await withCacheLock(cacheDir(), `kubernetes-openapi-${VERSIONS.kubernetesOpenApi}`, async () => {
    if (fs.existsSync(file)) return;
    const go = requireTool('go');
    await step(`Kubernetes ${VERSIONS.kubernetesOpenApi} OpenAPI schema: go mod download k8s.io/kubernetes`, async () => {
      const out = await runToCompletion('go mod download', go, ['mod', 'download', '-json', `k8s.io/kubernetes@v${VERSIONS.kubernetesOpenApi}`], {
        cwd: os.tmpdir(),
        env: { ...process.env, GOFLAGS: '-mod=mod' },
      });
      const dir = (JSON.parse(out) as { Dir?: string }).Dir;
      if (!dir) throw new HomeostatError('HS_PROVISION_FAILED', 'go mod download named no directory for k8s.io/kubernetes.');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.copyFileSync(path.join(dir, 'api', 'openapi-spec', 'swagger.json'), tmp);
      fs.renameSync(tmp, file);
    });
  });
  return file;
}

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** Swagger definitions made strict, with $refs pointing into one JSON Schema document. */
function strictDefinitions(swagger: { definitions: Record<string, Schema> }): Record<string, Schema> {
  const fix = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fix);
    if (!node || typeof node !== 'object') return node;
    const out: Schema = {};
    for (const [k, v] of Object.entries(node as Schema)) {
      if (k.startsWith('x-')) continue;
      out[k] = fix(v);
    }
    if (out.properties && out.additionalProperties === undefined && !(node as Schema)['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
    return out;
  };
  const defs: Record<string, Schema> = {};
  for (const [name, def] of Object.entries(swagger.definitions)) defs[name] = fix(def) as Schema;
  defs[INT_OR_STRING] = { oneOf: [{ type: 'integer' }, { type: 'string' }] };
  defs[QUANTITY] = { oneOf: [{ type: 'number' }, { type: 'string' }] };
  return defs;
}

export interface ManifestProblem {
  kind: string;
  name: string;
  /** JSON pointer of the offending field and what is wrong with it. */
  errors: string[];
}

export class KubeSchemaValidator {
  private readonly byGvk = new Map<string, string>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly ajv: Ajv;
  private readonly definitions: Record<string, Schema>;

  constructor(swaggerJson: string) {
    const swagger = JSON.parse(swaggerJson) as { definitions: Record<string, Schema> };
    for (const [name, def] of Object.entries(swagger.definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined;
      for (const g of gvks ?? []) this.byGvk.set(`${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}`, name);
    }
    this.definitions = strictDefinitions(swagger);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema({ $id: 'k8s', definitions: this.definitions });
  }

  static async load(): Promise<KubeSchemaValidator> {
    return new KubeSchemaValidator(fs.readFileSync(await ensureKubeOpenApi(), 'utf8'));
  }

  /** The problems of one manifest; empty when it validates. */
  validate(manifest: unknown): string[] {
    if (!manifest || typeof manifest !== 'object') return ['not an object'];
    const m = manifest as { apiVersion?: unknown; kind?: unknown };
    if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string') return ['apiVersion and kind are required'];
    const definition = this.byGvk.get(`${m.apiVersion}/${m.kind}`);
    if (!definition) return [`${m.apiVersion} ${m.kind} is not a kind of Kubernetes ${VERSIONS.kubernetesOpenApi}`];
    let validate = this.compiled.get(definition);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `k8s#/definitions/${definition}` });
      this.compiled.set(definition, validate);
    }
    if (validate(manifest)) return [];
    return (validate.errors ?? []).filter(relevant).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? `: ${String((e.params as { additionalProperty?: string }).additionalProperty)}` : ''}`);
  }
}

/** oneOf branches' own failures repeat what the oneOf error says: keep the error, not each branch. */
function relevant(e: ErrorObject): boolean {
  return !(e.keyword === 'type' && /oneOf/.test(e.schemaPath));
}
