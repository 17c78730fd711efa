import { describe, expect, it } from 'vitest';
import { chainText, parseChain } from './FlowTestsPanel';

describe('expected approver chains', () => {
  it('reads steps separated by arrows and people of one step joined by +', () => {
    expect(parseChain('director → ceo + cfo -> east_head')).toEqual([['director'], ['ceo', 'cfo'], ['east_head']]);
    expect(parseChain(' manager1 ，east_head ')).toEqual([['manager1'], ['east_head']]);
    expect(parseChain('')).toEqual([]);
  });

  it('writes what it reads', () => {
    const chain = [['director'], ['ceo', 'cfo'], ['east_head']];
    expect(parseChain(chainText(chain))).toEqual(chain);
  });
});
