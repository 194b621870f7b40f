/**
 * `defineAgent`: the declaration an agent module exports. The runtime reads the inputs
 * (topics and value schemas), the stores and the handlers from it.
 */
import type { AgentContext, TimerInfo } from './context.ts';

/** Encodes a store's values; JSON by default. */
export interface Codec<V> {
  encode(value: V): Uint8Array;
  decode(bytes: Uint8Array): V;
}

/** An input topic and the Avro schema its values are read with (the reader schema). */
export interface InputSpec<T> {
  /** Topic name without the namespace prefix, e.g. `content.submitted`. */
  readonly topic: string;
  /** The Avro schema (parsed `.avsc` JSON). */
  readonly schema: object;
  /** Type marker only; never set. */
  readonly __type?: T;
}

/** An output topic and the Avro schema its values are written with. */
export interface OutputSpec<T> {
  /** Topic name without the namespace prefix. */
  readonly topic: string;
  /** The Avro schema (parsed `.avsc` JSON). */
  readonly schema: object;
  /** Type marker only; never set. */
  readonly __type?: T;
}

export interface StoreSpec<V> {
  readonly codec: Codec<V>;
}

export type Handler<Stores extends Record<string, unknown>, T, Outputs extends Record<string, unknown> = Record<string, unknown>> = (
  ctx: AgentContext<Stores, Outputs>,
  value: T,
) => void | Promise<void>;

type InputValue<I> = I extends InputSpec<infer T> ? T : never;
/** The value type of each declared output, by alias. */
export type OutputValues<O> = { [K in keyof O]: O[K] extends OutputSpec<infer T> ? T : never };

export interface AgentDefinition<
  Stores extends Record<string, unknown> = Record<string, unknown>,
  Inputs extends Record<string, InputSpec<unknown>> = Record<string, InputSpec<unknown>>,
  Outputs extends Record<string, OutputSpec<unknown>> = Record<string, OutputSpec<unknown>>,
> {
  /** Agent id: names its consumer group, transactional ids and per-agent topics. `[a-z0-9-]+`. */
  readonly name: string;
  /** Recorded on every output and journal entry. */
  readonly version: string;
  readonly inputs: Inputs;
  /** Topics the agent writes with `ctx.send` (besides effects and decisions), by alias. */
  readonly outputs?: Outputs;
  readonly stores: { readonly [K in keyof Stores]: StoreSpec<Stores[K]> };
  readonly handlers: { readonly [K in keyof Inputs]: Handler<Stores, InputValue<Inputs[K]>, OutputValues<Outputs>> };
  /** Runs when one of the key's timers fires (the key's slot, like a record of that key). */
  readonly onTimer?: (ctx: AgentContext<Stores, OutputValues<Outputs>>, timer: TimerInfo) => void | Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Validates and freezes an agent declaration; bad declarations fail at import time with a clear message. */
export function defineAgent<
  Stores extends Record<string, unknown>,
  Inputs extends Record<string, InputSpec<unknown>>,
  Outputs extends Record<string, OutputSpec<unknown>> = Record<never, OutputSpec<unknown>>,
>(def: AgentDefinition<Stores, Inputs, Outputs>): AgentDefinition<Stores, Inputs, Outputs> {
  const problems: string[] = [];
  if (!NAME.test(def.name)) problems.push(`name "${def.name}" must match ${NAME}`);
  if (!def.version) problems.push('version is required');
  const inputs = Object.entries(def.inputs);
  if (inputs.length === 0) problems.push('at least one input is required');
  for (const [alias, spec] of inputs) {
    if (!spec.topic) problems.push(`input ${alias}: topic is required`);
    if (typeof (def.handlers as Record<string, unknown>)[alias] !== 'function') problems.push(`input ${alias}: no handler`);
  }
  for (const alias of Object.keys(def.handlers)) {
    if (!(alias in def.inputs)) problems.push(`handler ${alias}: no input of that name`);
  }
  for (const [alias, spec] of Object.entries((def.outputs ?? {}) as Record<string, OutputSpec<unknown>>)) {
    if (!spec || typeof spec.topic !== 'string' || !spec.topic) problems.push(`output ${alias}: topic is required`);
    else if (typeof spec.schema !== 'object' || spec.schema === null) problems.push(`output ${alias}: schema is required`);
  }
  for (const name of Object.keys(def.stores)) {
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) problems.push(`store "${name}": name must be lower-case letters, digits and dashes`);
  }
  if (problems.length > 0) throw new Error(`invalid agent definition "${def.name}": ${problems.join('; ')}`);
  return Object.freeze({ ...def });
}

/** Declares an input topic read with `schema`. */
export function input<T>(topic: string, schema: object): InputSpec<T> {
  return Object.freeze({ topic, schema });
}

/** Declares an output topic written with `schema` (`ctx.send(alias, key, value)`). */
export function output<T>(topic: string, schema: object): OutputSpec<T> {
  return Object.freeze({ topic, schema });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Node's Buffer when present: its pooled UTF-8 paths are several times cheaper than TextEncoder/TextDecoder per value. */
const NodeBuffer = (globalThis as { Buffer?: { from(s: string, enc: 'utf8'): Uint8Array; isBuffer(b: unknown): boolean } }).Buffer;

/** A store whose values are JSON. */
export function jsonStore<V>(): StoreSpec<V> {
  return Object.freeze({
    codec: NodeBuffer
      ? {
          encode: (v: V) => NodeBuffer.from(JSON.stringify(v), 'utf8'),
          decode: (b: Uint8Array) =>
            JSON.parse(
              NodeBuffer.isBuffer(b) ? (b as unknown as { toString(enc: 'utf8'): string }).toString('utf8') : decoder.decode(b),
            ) as V,
        }
      : {
          encode: (v: V) => encoder.encode(JSON.stringify(v)),
          decode: (b: Uint8Array) => JSON.parse(decoder.decode(b)) as V,
        },
  });
}

/** Any agent, whatever its stores and inputs: what hosts and drivers accept. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handler parameter types vary per agent (contravariance)
export type AnyAgentDefinition = AgentDefinition<any, any, any>;
