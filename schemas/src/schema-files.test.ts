import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import type { InboxMessage } from './index.ts';
import { listSchemas, loadSchema } from './schema-files.ts';

const EXPECTED = [
  'ActionReleased',
  'ContentSubmitted',
  'Decision',
  'EffectRequest',
  'EffectResult',
  'EscalationCommand',
  'EscalationEvent',
  'InboxMessage',
  'JournalEntry',
  'PolicySet',
];

type Json = Record<string, unknown>;

/** Every record field in a schema, with its record's full name. */
function fields(schema: unknown, out: { record: string; field: Json }[] = []): { record: string; field: Json }[] {
  if (Array.isArray(schema)) schema.forEach((s) => fields(s, out));
  else if (schema && typeof schema === 'object') {
    const s = schema as Json;
    if (s.type === 'record') {
      for (const f of s.fields as Json[]) {
        out.push({ record: String(s.name), field: f });
        fields(f.type, out);
      }
    } else if (s.type === 'array') fields(s.items, out);
    else if (s.type === 'map') fields(s.values, out);
    else if (typeof s.type === 'object') fields(s.type, out);
  }
  return out;
}

describe('schemas/avro', () => {
  it('holds one schema per core record', () => {
    expect(listSchemas()).toEqual(EXPECTED);
  });

  it.each(EXPECTED)('%s is valid, self-contained Avro under dev.ambit.v1', (name) => {
    const s = loadSchema(name);
    expect(s.fullName).toBe(`dev.ambit.v1.${name}`);
    expect(() => avsc.Type.forSchema(s.schema as avsc.Schema)).not.toThrow();
    expect(Object.isFrozen(s.schema)).toBe(true);
  });

  it.each(EXPECTED)('%s documents every field and keeps optional fields evolvable', (name) => {
    const s = loadSchema(name);
    expect(typeof s.schema.doc).toBe('string');
    for (const { record, field } of fields(s.schema)) {
      expect(typeof field.doc, `${record}.${String(field.name)} has a doc`).toBe('string');
      const t = field.type;
      // Optional = ["null", T] with default null: adding such a field never breaks BACKWARD_TRANSITIVE.
      if (Array.isArray(t) && t.includes('null')) {
        expect(t[0], `${record}.${String(field.name)} puts null first`).toBe('null');
        expect(field.default, `${record}.${String(field.name)} defaults to null`).toBeNull();
      }
      // Times are timestamp-millis, never bare longs named *At.
      if (String(field.name).endsWith('At')) {
        const inner = Array.isArray(t) ? t.find((x) => x !== 'null') : t;
        expect(inner, `${record}.${String(field.name)}`).toMatchObject({ type: 'long', logicalType: 'timestamp-millis' });
      }
      // Money in minor units (long), confidence in basis points (int).
      if (/Minor$/.test(String(field.name))) expect(JSON.stringify(t)).toContain('"long"');
      if (/Bp$/.test(String(field.name))) expect(JSON.stringify(t)).toContain('"int"');
    }
  });

  it('round-trips an envelope value through avsc (wrapped union payload)', () => {
    const type = avsc.Type.forSchema(loadSchema('InboxMessage').schema as avsc.Schema);
    // Typed with the generated type: tsc checks the mapping against a value avsc accepts.
    const value: InboxMessage = {
      messageId: 't1:m1',
      tenant: 't1',
      agent: 'moderator',
      entityKey: 't1:u1',
      sentAt: 1_700_000_000_000,
      payload: { 'dev.ambit.v1.SuspensionTimedOut': { escalationId: null, timerId: 'tm1', dueAt: 1_700_000_000_000 } },
    };
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });

  it('rejects unknown and malformed names with CONFIG_INVALID', () => {
    expect(() => loadSchema('Nope')).toThrow(/no schema avro\/Nope\.avsc \(known: ActionReleased/);
    expect(() => loadSchema('../x')).toThrow(/invalid schema name/);
  });
});
