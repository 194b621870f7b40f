import { mkdtempSync } from 'node:fs';
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
    expect(a.startSolo('in', 25)).toBe(1);
    expect(new InflightLedger(file).startSolo('in', 25)).toBe(2);
    const c = new InflightLedger(file);
    expect(c.startSolo('in', 25)).toBe(3);
    c.committed(new Map([['in', 26]]));
    expect(new InflightLedger(file).startSolo('in', 25)).toBe(1);
  });

  it('a missing or unreadable file means no evidence of a crash', () => {
    expect(new InflightLedger(join(tmpdir(), 'does-not-exist', 'x.json')).suspects(new Map())).toEqual(new Map());
  });
});
