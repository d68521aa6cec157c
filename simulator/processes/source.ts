/**
 * The source: emits events at a steady rate, in the schema version pinned in the registry, and
 * their labels after a delay (labels arrive late, as in production). Every emitted id is written to
 * the ledger after the append: a restart resumes after the last ledgered id, and because an
 * event's content depends only on (seed, seq), re-emitting an unledgered tail is harmless for an
 * idempotent sink.
 */
import { BASE_SCHEMA, EVENT_SUBJECT, generateEvent, PROFILED_NUMERIC, schemaFingerprint, type Distortions, type SchemaDrift } from '../events';
import { profileBatch } from '../profile';
import { seededRng } from '../../common/rng';
import { runMain, sleep, type Runtime } from './runtime';

const TICK_MS = 100;

interface PendingLabel {
  id: string;
  key: string;
  label: number;
  dueAt: number;
}

function distortions(rt: Runtime, drift: SchemaDrift | undefined): Distortions {
  const d: Distortions = { drift };
  const now = Date.now();
  for (const f of rt.faults()) {
    const p = f.params;
    if (f.kind === 'null-spike') {
      d.nullRate = typeof p.rate === 'number' ? p.rate : 0.5;
      d.nullField = typeof p.field === 'string' ? p.field : 'amount';
    } else if (f.kind === 'distribution-shift') {
      const full = typeof p.shift === 'number' ? p.shift : 3;
      const ramp = typeof p.rampMs === 'number' && p.rampMs > 0 ? Math.min(1, (now - f.createdAt) / p.rampMs) : 1;
      // Shifts add up: a second shift moves the data further from where the first left it. (Taking
      // only the newest would snap a ramped shift back to 0 first: a sudden change back, then a
      // return to the level the sentinel had already learnt.)
      d.shift = (d.shift ?? 0) + full * ramp;
    } else if (f.kind === 'poison-records') d.poisonRate = typeof p.rate === 'number' ? p.rate : 0.05;
    else if (f.kind === 'concept-drift') d.conceptShift = typeof p.severity === 'number' ? p.severity : 1;
  }
  return d;
}

async function main(rt: Runtime): Promise<void> {
  const eventsTopic = rt.topic('events');
  const labelsTopic = rt.topic('labels');
  // Register the base schema once; a pipeline always starts pinned to it.
  const base = await rt.registries.registerSchema(EVENT_SUBJECT, { fields: BASE_SCHEMA.fields });
  if (!(await rt.registries.pinnedSchema(EVENT_SUBJECT))) await rt.registries.pinSchema(EVENT_SUBJECT, base.version, { reason: 'initial version' });

  const last = rt.state.db.prepare('SELECT MAX(id) AS id FROM emitted').get() as { id: string | null };
  let seq = last.id ? Number(last.id.slice(2)) + 1 : 0;
  let pinned = (await rt.registries.pinnedSchema(EVENT_SUBJECT)) ?? base;
  let pinCheckedAt = Date.now();
  const pending: PendingLabel[] = [];
  let carry = 0;
  let emittedThisSecond = 0;
  let profileRows: Record<string, unknown>[] = [];
  let secondStart = Date.now();
  let errors = 0;
  let schemaAnnouncedAt = 0;
  let announcedVersion = -1;

  while (!rt.stopping()) {
    const tickStart = Date.now();
    if (tickStart - pinCheckedAt > 1_000) {
      pinned = (await rt.registries.pinnedSchema(EVENT_SUBJECT)) ?? base;
      pinCheckedAt = tickStart;
    }
    if (pinned.version !== announcedVersion || tickStart - schemaAnnouncedAt > 10_000) {
      const fields = (pinned.definition.fields ?? {}) as Record<string, string>;
      rt.emit({ kind: 'schema', fingerprint: schemaFingerprint(fields), version: pinned.version, fields });
      announcedVersion = pinned.version;
      schemaAnnouncedAt = tickStart;
    }
    const rate = typeof rt.settings().rate === 'number' ? (rt.settings().rate as number) : rt.config.rate;
    carry += (rate * TICK_MS) / 1000;
    const n = Math.floor(carry);
    carry -= n;
    const d = distortions(rt, pinned.definition.drift as SchemaDrift | undefined);
    const events = [];
    for (let i = 0; i < n; i++, seq++) events.push(generateEvent(seededRng((rt.config.seed * 0x9e3779b1) ^ seq), seq, pinned.version, d));
    if (events.length > 0) {
      try {
        await rt.log.append(eventsTopic, events.map((e) => ({ key: e.key, value: e.bytes, headers: { id: e.id, schemaVersion: String(pinned.version) } })));
        rt.state.recordEmitted(events.map((e) => ({ id: e.id, hash: e.hash, ts: Date.now(), priority: e.priority })));
      } catch (err) {
        // Not ledgered: the same seqs are emitted again next tick.
        errors++;
        seq -= events.length;
        rt.emit({ kind: 'metric', name: 'errors', value: 1 });
        process.stderr.write(`source: append failed: ${(err as Error).message}\n`);
        await sleep(TICK_MS);
        continue;
      }
      const due = Date.now() + rt.config.labelDelayMs;
      for (const e of events) {
        pending.push({ id: e.id, key: e.key, label: e.label, dueAt: due });
        if (!e.poison) profileRows.push(JSON.parse(e.bytes) as Record<string, unknown>);
      }
      emittedThisSecond += events.length;
    }
    const now = Date.now();
    let ready = 0;
    while (ready < pending.length && pending[ready].dueAt <= now) ready++;
    if (ready > 0) {
      const labels = pending.splice(0, ready);
      await rt.log.append(labelsTopic, labels.map((l) => ({ key: l.key, value: JSON.stringify({ id: l.id, label: l.label }) }))).catch(() => undefined);
    }
    if (now - secondStart >= 1_000) {
      const secs = (now - secondStart) / 1000;
      rt.emit({ kind: 'metric', name: 'throughput', value: emittedThisSecond / secs, unit: 'records/s' });
      rt.emit({ kind: 'metric', name: 'errors', value: errors });
      rt.emit({
        kind: 'profile',
        stage: 'output',
        schemaVersion: pinned.version,
        profile: profileBatch(profileRows, Object.keys(BASE_SCHEMA.fields), PROFILED_NUMERIC),
      });
      rt.setInfo({ seq, rate, throughput: emittedThisSecond / secs, schemaVersion: pinned.version });
      emittedThisSecond = 0;
      errors = 0;
      profileRows = [];
      secondStart = now;
    }
    await sleep(Math.max(0, TICK_MS - (Date.now() - tickStart)));
  }
}

if (require.main === module) runMain('source', main);
