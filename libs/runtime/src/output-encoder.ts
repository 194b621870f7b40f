/**
 * Output encoding: turns what a handler emitted (effects, decisions, records for declared
 * outputs) and what failed (dead letters) into producer records, with the headers every
 * output carries (`ambit-source`, `ambit-agent`, `ambit-agent-version`). Owns the value
 * serdes of the outputs; writes nothing itself.
 */
import { TerminalError, type StepUsage } from '@ambit/agent-api';
import { DlqHeaders, isAmbitError, Headers } from '@ambit/core';
import type { ProducerRecord } from '@ambit/kafka';
import type { Serde } from '@ambit/serde';
import type { EmittedDecision, EmittedEffect, RecordOutputs } from './processor/index.ts';

export interface OutputEncoderOptions {
  readonly agent: string;
  readonly version: string;
  readonly effectsTopic: string;
  readonly decisionsTopic: string;
  readonly dlqTopic: string;
  readonly effectSerde: Serde<unknown>;
  readonly decisionSerde: Serde<unknown>;
  /** Declared outputs by alias: topic (with namespace) and value serde. */
  readonly outputs: ReadonlyMap<string, { readonly topic: string; readonly serde: Serde<unknown> }>;
}

/** What caused an output: the key it was for, its time, its source and the task partition. */
export interface Cause {
  readonly key: string;
  readonly time: number;
  readonly source: string;
  readonly partition: number;
}

/** A record that goes to the DLQ: the original key, bytes and headers. */
export interface Original {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
}

export class OutputEncoder {
  readonly #o: OutputEncoderOptions;

  constructor(options: OutputEncoderOptions) {
    this.#o = options;
  }

  #headers(source: string): Record<string, string> {
    return { [Headers.source]: source, [Headers.agent]: this.#o.agent, [Headers.agentVersion]: this.#o.version };
  }

  /** The producer records of a completed record's outputs; synchronous once every serde knows its schema id. */
  encode(cause: Cause, outputs: RecordOutputs, usage: readonly StepUsage[]): ProducerRecord[] | Promise<ProducerRecord[]> {
    const { effects, decisions, sends } = outputs;
    if (effects.length === 0 && decisions.length === 0 && sends.length === 0) return [];
    const headers = this.#headers(cause.source);
    const out: ProducerRecord[] = [];
    const waiting: Array<Promise<void>> = [];
    for (const s of sends) {
      const target = this.#o.outputs.get(s.output)!;
      this.#put(
        out,
        waiting,
        target.serde,
        s.value,
        (value) => ({ topic: target.topic, key: s.key, value, headers: s.headers ? { ...s.headers, ...headers } : headers }),
        // A value that does not match its schema is the handler's bug, not an outage: no retry.
        (e) =>
          isAmbitError(e, 'SERDE_INVALID_VALUE') ? new TerminalError(`ctx.send(${s.output}): ${e.message}`, { code: e.code, cause: e }) : e,
      );
    }
    if (effects.length > 0 || decisions.length > 0) {
      const origin = {
        agent: this.#o.agent,
        agentVersion: this.#o.version,
        entityKey: cause.key,
        partition: cause.partition,
        cause: cause.source,
      };
      for (const e of effects) {
        this.#put(out, waiting, this.#o.effectSerde, effectValue(e, origin, cause.time), (value) => ({
          topic: this.#o.effectsTopic,
          key: e.input.tenant,
          value,
          headers,
        }));
      }
      const modelUsage = summarize(usage);
      for (const d of decisions) {
        this.#put(out, waiting, this.#o.decisionSerde, decisionValue(d, origin, cause.time, modelUsage), (value) => ({
          topic: this.#o.decisionsTopic,
          key: cause.key,
          value,
          headers,
        }));
      }
    }
    return waiting.length > 0 ? Promise.all(waiting).then(() => out) : out;
  }

  /** Puts a value's record in the next slot of `out` now, or once its serde has its schema id (the first time only). */
  #put(
    out: ProducerRecord[],
    waiting: Array<Promise<void>>,
    serde: Serde<unknown>,
    value: unknown,
    make: (bytes: Buffer) => ProducerRecord,
    wrap?: (e: unknown) => unknown,
  ): void {
    const slot = out.length;
    out.push(undefined as unknown as ProducerRecord);
    let bytes: Buffer | undefined;
    try {
      bytes = serde.serializeSync?.(value);
    } catch (e) {
      throw wrap ? wrap(e) : e;
    }
    if (bytes) {
      out[slot] = make(bytes);
      return;
    }
    waiting.push(
      serde.serialize(value).then(
        (b) => void (out[slot] = make(b)),
        (e: unknown) => {
          throw wrap ? wrap(e) : e;
        },
      ),
    );
  }

  /** Permanent failure: the original bytes and headers, plus why, to `<agent>.dlq` at the task's partition. */
  deadLetter(
    partition: number,
    original: Original,
    source: string,
    cause: unknown,
    attempts: number,
  ): { record: ProducerRecord; code: string } {
    const message = cause instanceof Error ? cause.message : String(cause);
    const code = isAmbitError(cause) ? cause.code : cause instanceof TerminalError ? cause.code : 'HANDLER_FAILED';
    return {
      code,
      record: {
        topic: this.#o.dlqTopic,
        partition,
        key: original.key,
        value: original.value,
        headers: {
          ...original.headers,
          ...this.#headers(source),
          [DlqHeaders.cause]: message.slice(0, 2_000),
          [DlqHeaders.code]: code,
          [DlqHeaders.attempts]: String(attempts),
        },
      },
    };
  }
}

type Origin = { agent: string; agentVersion: string; entityKey: string; partition: number; cause: string };

function effectValue(e: EmittedEffect, origin: Origin, time: number) {
  return {
    effectId: e.id,
    tenant: e.input.tenant,
    origin,
    effectType: e.input.effectType,
    target: e.input.target,
    payload: JSON.stringify(e.input.payload ?? null),
    estimatedCostMinor: e.input.estimatedCostMinor ?? null,
    currency: e.input.currency ?? null,
    confidenceBp: e.input.confidenceBp ?? null,
    reason: e.input.reason ?? null,
    requestedAt: time,
  };
}

function decisionValue(d: EmittedDecision, origin: Origin, time: number, usage: ReturnType<typeof summarize>) {
  return {
    decisionId: d.id,
    tenant: d.input.tenant,
    madeBy: 'AGENT',
    kind: d.input.kind,
    origin,
    effectId: d.input.effectId ?? null,
    stage: null,
    verdict: null,
    outcome: d.input.outcome ?? null,
    policySetId: null,
    policyVersion: null,
    determiningPolicies: [],
    dataClasses: [],
    confidenceBp: d.input.confidenceBp ?? null,
    costMinor: null,
    currency: null,
    reason: d.input.reason ?? null,
    detail: d.input.detail === undefined ? null : JSON.stringify(d.input.detail),
    decidedAt: time,
    usage,
  };
}

function summarize(usage: readonly StepUsage[]) {
  if (usage.length === 0) return null;
  let inputTokens = 0;
  let outputTokens = 0;
  for (const u of usage) {
    inputTokens += u.inputTokens;
    outputTokens += u.outputTokens;
  }
  return { inputTokens, outputTokens, steps: usage.length };
}
