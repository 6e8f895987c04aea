import type { IncomingHttpHeaders } from 'node:http';
import { REASON_HEADER } from '../../src/gateways/http-answer.js';

export { REASON_HEADER };

/** An answer as a test holds it: a Fetch Response, Node's parsed headers, or a raw answer's reader. */
type AnyAnswer = Response | { headers: IncomingHttpHeaders } | { header(name: string): string | undefined };

/** The reason code an answer names (X-Authgear-Gate-Reason); null or undefined when it names none. */
export function reasonOf(answer: AnyAnswer): string | null | undefined {
  if ('header' in answer && typeof answer.header === 'function') return answer.header(REASON_HEADER);
  if (answer instanceof Response) return answer.headers.get(REASON_HEADER);
  const value = (answer as { headers: IncomingHttpHeaders }).headers[REASON_HEADER];
  return Array.isArray(value) ? value[0] : value;
}

/** Status and reason of an answer; an allow (which names no reason) as `allowed`. */
export async function outcomeOf(answer: Response | Promise<Response>): Promise<[number, string]> {
  const response = await answer;
  return [response.status, response.headers.get(REASON_HEADER) ?? 'allowed'];
}
