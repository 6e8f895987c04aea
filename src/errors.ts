/** Base class of every error this service raises on purpose; anything else is a bug. */
export class GateError extends Error {
  override readonly name: string = 'GateError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One or more configuration problems; the process must not start. */
export class ConfigError extends GateError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super('config_invalid', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A call to Authgear failed (network, timeout, unexpected status or body). */
export class UpstreamError extends GateError {
  override readonly name = 'UpstreamError';
  constructor(
    readonly upstream: 'discovery' | 'jwks' | 'resolver',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('upstream_failed', message, options);
  }
}
