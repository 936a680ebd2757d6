import { expect } from 'chai';
import { parsePrometheusDurationMs } from '../../common/duration.js';

describe('common/duration', () => {
  const valid: Array<[string, number]> = [
    ['0', 0],
    ['10s', 10_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['1h2m3s4ms', 3_723_004],
  ];
  for (const [text, ms] of valid) it(`parses ${text}`, () => expect(parsePrometheusDurationMs(text)).to.equal(ms));

  for (const text of ['', '10', 's', '1.5s', '-1s', '30s1m', '1s1s', '10 s', ' 10s', '1S', '1us', '9999999999999999999y']) {
    it(`rejects ${JSON.stringify(text)}`, () => expect(parsePrometheusDurationMs(text)).to.equal(undefined));
  }
});
