import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAmbitError, type ErrorCode } from '@ambit/core';
import { avroSerde } from './avro-serde.ts';
import { createSchemaRegistryClient } from './registry-client.ts';
import { frame } from './wire.ts';

const schema = { type: 'record', name: 'R', namespace: 'ambit.test', fields: [{ name: 'a', type: 'string' }] };
const schemaJson = JSON.stringify(schema);

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let server: Server;
let url: string;
let handler: Handler;
let requests: string[];

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  requests = [];
  handler = (_req, _body, res) => json(res, 500, { message: 'no handler' });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isAmbitError(e) ? e.code : `foreign error: ${String(e)}`;
  }
}

describe('registry client error classification', () => {
  it('connection refused is SERDE_REGISTRY_UNAVAILABLE, also through deserialize', async () => {
    const registry = createSchemaRegistryClient({ url: `http://127.0.0.1:${await closedPort()}` });
    expect(await codeOf(registry.getSchema(1))).toBe('SERDE_REGISTRY_UNAVAILABLE');
    const serde = avroSerde({ registry, subject: 's', schema });
    expect(await codeOf(serde.deserialize(frame(1, Buffer.from([2, 0x61]))))).toBe('SERDE_REGISTRY_UNAVAILABLE');
  });

  it('a registry that does not answer in time is SERDE_REGISTRY_UNAVAILABLE', async () => {
    handler = () => {}; // never responds
    const registry = createSchemaRegistryClient({ url, timeoutMs: 200 });
    const err = await registry.getSchema(1).catch((e: unknown) => e);
    expect(isAmbitError(err, 'SERDE_REGISTRY_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/timed out/);
  });

  it.each([500, 502, 503, 408, 429])('HTTP %i is SERDE_REGISTRY_UNAVAILABLE', async (status) => {
    handler = (_q, _b, res) => res.writeHead(status, { 'content-type': 'text/html' }).end('<html>down</html>');
    expect(await codeOf(createSchemaRegistryClient({ url }).getSchema(7))).toBe('SERDE_REGISTRY_UNAVAILABLE');
  });

  it('404 on an id is SERDE_UNKNOWN_SCHEMA', async () => {
    handler = (_q, _b, res) => json(res, 404, { error_code: 40403, message: 'Schema 7 not found' });
    expect(await codeOf(createSchemaRegistryClient({ url }).getSchema(7))).toBe('SERDE_UNKNOWN_SCHEMA');
  });

  it('a non-Avro schema id is SERDE_UNKNOWN_SCHEMA', async () => {
    handler = (_q, _b, res) => json(res, 200, { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' });
    expect(await codeOf(createSchemaRegistryClient({ url }).getSchema(7))).toBe('SERDE_UNKNOWN_SCHEMA');
  });

  it('401 is CONFIG_INVALID, never a verdict on the record', async () => {
    handler = (_q, _b, res) => json(res, 401, { error_code: 40101, message: 'Unauthorized' });
    expect(await codeOf(createSchemaRegistryClient({ url }).getSchema(7))).toBe('CONFIG_INVALID');
  });

  it('409 on registration is SERDE_INCOMPATIBLE_SCHEMA with the registry message', async () => {
    handler = (req, _b, res) => {
      if (req.method === 'GET') return json(res, 200, [1]);
      json(res, 409, { error_code: 409, message: 'Incompatible artifact: b at /fields/1' });
    };
    const err = await createSchemaRegistryClient({ url })
      .register('s', schema)
      .catch((e: unknown) => e);
    expect(isAmbitError(err, 'SERDE_INCOMPATIBLE_SCHEMA')).toBe(true);
    expect((err as Error).message).toContain('Incompatible artifact: b at /fields/1');
  });
});

describe('registry client protocol', () => {
  it('sets BACKWARD_TRANSITIVE before the first version of a new subject, and caches the id', async () => {
    const bodies: string[] = [];
    handler = (req, body, res) => {
      bodies.push(body);
      if (req.method === 'GET') return json(res, 404, { error_code: 40401, message: 'Subject not found' });
      if (req.method === 'PUT') return json(res, 200, JSON.parse(body));
      json(res, 200, { id: 11 });
    };
    const registry = createSchemaRegistryClient({ url });
    expect(await registry.register('a b', schema)).toEqual({ id: 11 });
    expect(await registry.register('a b', schema)).toEqual({ id: 11 });
    expect(requests).toEqual([
      'GET /apis/ccompat/v7/subjects/a%20b/versions',
      'PUT /apis/ccompat/v7/config/a%20b',
      'POST /apis/ccompat/v7/subjects/a%20b/versions',
    ]);
    expect(JSON.parse(bodies[1]!)).toEqual({ compatibility: 'BACKWARD_TRANSITIVE' });
    expect(JSON.parse(bodies[2]!)).toEqual({ schema: schemaJson });
    // The registered schema serves reads of its id without another request.
    await registry.getSchema(11);
    expect(requests).toHaveLength(3);
  });

  it('leaves the rule of an existing subject alone', async () => {
    handler = (req, _b, res) => (req.method === 'GET' ? json(res, 200, [1, 2]) : json(res, 200, { id: 3 }));
    await createSchemaRegistryClient({ url }).register('s', schema, { compatibility: 'NONE' });
    expect(requests.map((r) => r.split(' ')[0])).toEqual(['GET', 'POST']);
  });

  it('fetches a schema once per id, and retries after a failure', async () => {
    let fail = true;
    handler = (_q, _b, res) => (fail ? json(res, 503, {}) : json(res, 200, { schema: schemaJson }));
    const registry = createSchemaRegistryClient({ url });
    expect(await codeOf(registry.getSchema(5))).toBe('SERDE_REGISTRY_UNAVAILABLE');
    fail = false;
    const [a, b] = await Promise.all([registry.getSchema(5), registry.getSchema(5)]);
    expect(a).toBe(b);
    await registry.getSchema(5);
    expect(requests).toEqual(['GET /apis/ccompat/v7/schemas/ids/5', 'GET /apis/ccompat/v7/schemas/ids/5']);
  });

  it('reads the effective rule, falling back to the global one', async () => {
    handler = (req, _b, res) =>
      req.url?.includes('/config/s') ? json(res, 404, { error_code: 40408 }) : json(res, 200, { compatibilityLevel: 'FULL' });
    expect(await createSchemaRegistryClient({ url }).compatibility('s')).toBe('FULL');
  });

  it('treats a missing subject as compatible, a missing version as unknown', async () => {
    handler = (_q, _b, res) => json(res, 404, { error_code: 40401 });
    expect(await createSchemaRegistryClient({ url }).checkCompatible('s', schema)).toBe(true);
    handler = (_q, _b, res) => json(res, 404, { error_code: 40402 });
    expect(await codeOf(createSchemaRegistryClient({ url }).checkCompatible('s', schema, 3))).toBe('SERDE_UNKNOWN_SCHEMA');
  });
});
