import { describe, expect, it } from 'vitest';
import { createCheckResponder } from '../../src/gateways/ext-authz-grpc/check-response.js';
import { checkRequestHeaders } from '../../src/gateways/ext-authz-grpc/check-request.js';
import { REASON_HEADER } from '../support/answers.js';

const respond = createCheckResponder({ trustedHeaders: ['x-authgear-user-id', 'x-authgear-user-roles', 'x-tenant'], removedOnAllow: ['x-authgear-id-token', 'x-forwarded-host'] });

describe('CheckResponse of an answer', () => {
  it('keeps every copy of a repeated denial header: the first replaces, the others are added', () => {
    const response = respond({ status: 401, headers: [['set-cookie', 'a=; Max-Age=0'], ['set-cookie', 'b=; Max-Age=0'], [REASON_HEADER, 'session_invalid']] });
    expect(response.denied_response!.headers).toEqual([
      { header: { key: 'set-cookie', value: 'a=; Max-Age=0' }, append: { value: false }, append_action: 2 },
      { header: { key: 'set-cookie', value: 'b=; Max-Age=0' } },
      { header: { key: REASON_HEADER, value: 'session_invalid' }, append: { value: false }, append_action: 2 },
    ]);
    expect(response.status).toEqual({ code: 16, message: 'session_invalid' });
    expect(response.ok_response).toBeUndefined();
  });

  it.each([[401, 16], [302, 16], [403, 7], [400, 7], [503, 14]])('maps HTTP %i to google.rpc code %i, as a denial', (status, code) => {
    const response = respond({ status, headers: [] });
    expect(response.status.code).toBe(code);
    expect(response.denied_response!.status.code).toBe(status);
  });

  it('removes the trusted headers the allow does not set, and the ones always removed, never another client header', () => {
    const response = respond({ status: 200, headers: [['x-authgear-user-id', 'u1']] });
    expect(response.ok_response!.headers_to_remove.sort()).toEqual(['x-authgear-id-token', 'x-authgear-user-roles', 'x-forwarded-host', 'x-tenant']);
  });
});

describe('headers of a CheckRequest', () => {
  it('joins repeated raw headers as HTTP does, cookies with "; ", and keeps no prototype key', () => {
    const headers = checkRequestHeaders({ header_map: { headers: [
      { key: 'Cookie', raw_value: Buffer.from('a=1') }, { key: 'cookie', value: 'b=2' },
      { key: 'authorization', value: 'Bearer x' }, { key: 'authorization', value: 'Bearer y' }, { key: '__proto__', value: 'polluted' },
    ] } });
    expect([...headers]).toEqual([['cookie', 'a=1; b=2'], ['authorization', 'Bearer x, Bearer y'], ['__proto__', 'polluted']]);
    expect(headers.get('constructor')).toBeUndefined();
  });
});
