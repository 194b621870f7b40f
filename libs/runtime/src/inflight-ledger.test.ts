import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InflightLedger } from './inflight-ledger.ts';

const path = () => join(mkdtempSync(join(tmpdir(), 'ledger-')), 'p0.inflight.json');

describe('InflightLedger', () => {
  it('after an unclean stop, the dispatched records at or above the resume offset are suspects', () => {
    const file = path();
    const a = new InflightLedger(file);
    a.dispatch(new Map([['in', 14]]));
    a.dispatch(new Map([['in', 9]])); // lower: ignored
    // the process dies here; a new process reads the file
    const b = new InflightLedger(file);
    expect(b.suspects(new Map([['in', 10]]))).toEqual(new Map([['in', 14]]));
    // another owner committed past them meanwhile: nothing suspect
    expect(b.suspects(new Map([['in', 15]]))).toEqual(new Map());
  });

  it('a commit clears what it covered; solo starts count up across restarts and drop once committed', () => {
    const file = path();
    const a = new InflightLedger(file);
    a.dispatch(new Map([['in', 20]]));
    a.committed(new Map([['in', 21]]));
    expect(new InflightLedger(file).suspects(new Map([['in', 0]]))).toEqual(new Map());

    a.dispatch(new Map([['in', 30]]));
    a.startSolo('in', 25); // the process dies during the run
    expect(new InflightLedger(file).crashedStarts('in', 25)).toBe(1);
    const b = new InflightLedger(file);
    b.startSolo('in', 25); // dies again
    const c = new InflightLedger(file);
    expect(c.crashedStarts('in', 25)).toBe(2);
    expect(c.crashedStarts('in', 26)).toBe(0);
    c.committed(new Map([['in', 26]]));
    expect(new InflightLedger(file).crashedStarts('in', 25)).toBe(0);
  });

  it('a solo run that returns (even failing) is not a crash; a graceful close clears everything', () => {
    const file = path();
    const a = new InflightLedger(file);
    a.dispatch(new Map([['in', 9]]));
    a.startSolo('in', 5);
    a.endSolo('in', 5); // e.g. aborted by a registry outage, retried later
    a.startSolo('in', 5);
    a.endSolo('in', 5);
    expect(new InflightLedger(file).crashedStarts('in', 5)).toBe(0);
    a.clear();
    expect(new InflightLedger(file).suspects(new Map([['in', 0]]))).toEqual(new Map());
  });

  it('rewritten in place: a shorter ledger leaves no stale tail; a big one still round-trips', () => {
    const file = path();
    const a = new InflightLedger(file);
    for (let i = 0; i < 50; i++) a.startSolo(`topic-${i}`, i); // grows the file
    a.committed(new Map(Array.from({ length: 50 }, (_, i) => [`topic-${i}`, 1_000])));
    a.dispatch(new Map([['in', 7]]));
    expect(readFileSync(file, 'utf8').trimEnd()).toBe('{"dispatched":{"in":7},"solo":{}}');
    const b = new InflightLedger(file); // a new process over the padded file
    expect(b.suspects(new Map([['in', 0]]))).toEqual(new Map([['in', 7]]));
    b.dispatch(new Map([['in', 8]]));
    expect(new InflightLedger(file).suspects(new Map([['in', 0]]))).toEqual(new Map([['in', 8]]));
    for (let i = 0; i < 300; i++) b.startSolo(`a-long-topic-name-${i}`, i); // past one page: temp file + rename
    expect(readFileSync(file).length).toBeGreaterThan(4096);
    expect(new InflightLedger(file).crashedStarts('a-long-topic-name-299', 299)).toBe(1);
  });

  it('a missing or unreadable file means no evidence of a crash', () => {
    expect(new InflightLedger(join(tmpdir(), 'does-not-exist', 'x.json')).suspects(new Map())).toEqual(new Map());
  });
});
