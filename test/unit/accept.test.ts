import { describe, expect, it } from 'vitest';
import { prefersHtml } from '../../src/decision/refusal/accept.js';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('Accept: which requests are browsers', () => {
  it.each([
    [BROWSER, true],
    ['text/html', true],
    ['application/xhtml+xml;q=0.9, application/json;q=0.5', true],
    ['*/*', false],
    ['application/json', false],
    ['application/json, text/html', false],
    ['text/html;q=0, */*', false],
    [undefined, false],
  ])('%s -> %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});
