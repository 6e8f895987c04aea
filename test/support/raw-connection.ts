import net from 'node:net';

/** An HTTP answer as it came off the wire. */
export interface RawAnswer {
  status: number;
  /** Every header line of the answer, in order, names in lower case. */
  headers: Array<[string, string]>;
  header(name: string): string | undefined;
}

function parseAnswer(head: string): RawAnswer {
  const [statusLine = '', ...fields] = head.split('\r\n');
  const headers = fields.map((field): [string, string] => [field.slice(0, field.indexOf(':')).toLowerCase(), field.slice(field.indexOf(':') + 1).trim()]);
  return { status: Number(statusLine.split(' ')[1]), headers, header: (name) => headers.find(([each]) => each === name)?.[1] };
}

/**
 * One connection to a sidecar port, written byte for byte and kept alive between requests as
 * a gateway's connection pool keeps it. Answers are read by Content-Length, which every
 * answer of the sidecar has.
 */
export class RawConnection {
  readonly socket: net.Socket;
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiting: ((answer: RawAnswer) => void) | undefined;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.deliver();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => { this.closed = true; });
  }

  private deliver() {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1 || !this.waiting) return;
    const answer = parseAnswer(this.buffer.subarray(0, end).toString('latin1'));
    const length = Number(answer.header('content-length') ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    this.buffer = this.buffer.subarray(end + 4 + length);
    const done = this.waiting;
    this.waiting = undefined;
    done(answer);
  }

  send(bytes: Buffer): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.socket.once('close', () => reject(new Error('connection closed before an answer')));
      this.socket.write(bytes);
      this.deliver();
    });
  }

  /** Resolves once the server has closed the connection (or after `ms`, with false). */
  whenClosed(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => { clearTimeout(timer); resolve(true); });
    });
  }

  close() {
    this.socket.destroy();
  }
}
