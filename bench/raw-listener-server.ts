// The transport the sidecar does not ship, measured beside the one it does: /auth answered by
// a bare Node request listener, the same gate, decision, /auth gateway, answer writer and
// answer flush behind it, without Hono's router and adapter. Row "2 raw" of the bench: row 2 (the shipped
// Hono route) against it is what Hono costs on the hot path (docs/performance.md).
import { createServer } from 'node:http';
import { loadConfig } from '../src/config/load-config.js';
import { UNDECIDED, type Outcome } from '../src/decision/question.js';
import { createGate } from '../src/gate.js';
import { createAnswerWriter } from '../src/gateways/answer-writer.js';
import { createAuthRequestGateway } from '../src/gateways/auth-request.js';
import { createAnswerFlush } from '../src/http/answer-flush.js';
import { nodeHeaderReader } from '../src/gateways/header-reader.js';
import { parseRequestTarget } from '../src/gateways/request-target.js';
import { createLogOutput } from '../src/observability/log-output.js';
import { createLogger } from '../src/observability/logging.js';

const config = loadConfig(process.env);
const gate = await createGate(config, { logger: createLogger(config.logLevel, createLogOutput(process.stdout, { onDrop: () => {} })) });
void gate.start();
const exchangeOf = createAuthRequestGateway(config.gateway);
const writeAnswer = createAnswerWriter(undefined, createAnswerFlush({ onError: () => {} }));

createServer((incoming, outgoing) => {
  const target = parseRequestTarget(incoming.url ?? '');
  if (target.path !== '/auth') {
    outgoing.writeHead(target.path === '/readyz' && gate.keyStore.isReady() ? 200 : 404, ['content-length', '0']).end();
    return;
  }
  const header = nodeHeaderReader(incoming, target.authority);
  const exchange = exchangeOf(header, target.query);
  const write = (outcome: Outcome) => writeAnswer(incoming, outgoing, header, exchange.answer(outcome), () => exchange.answer(UNDECIDED));
  const decided = gate.decide(exchange.question);
  if (decided instanceof Promise) decided.then(write, () => write(UNDECIDED));
  else write(decided);
}).listen(config.port, config.listenHost);
