import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { loadPolicyFile, type Policy } from '../decision/policy/policy-file.js';
import { policyWarnings } from '../decision/policy/policy-warnings.js';
import { policySettingProblems } from './policy-settings.js';
import { readAssertionKeys, type AssertionKeys } from './assertion-keys.js';
import { settingProblems } from './problem-text.js';
import { redisProblems } from './redis-settings.js';
import { deriveSettings, type Derived } from './derived.js';
import { SETTINGS, type Settings } from './settings.js';
import { tracingProblems } from './tracing-settings.js';

export type Config = Omit<Settings, 'acceptedAudiences' | 'returnToHosts'> & {
  acceptedAudiences: string[];
  returnToHosts: string[];
  /** The validated POLICY_FILE, if any. */
  policy: Policy | undefined;
  /** What the policy says that is valid but probably not meant (printed by --check-config, logged at start). */
  policyWarnings: string[];
  /** ASSERTION_KEY_FILE (and the previous key), read and checked; undefined: no assertions. */
  assertionKeys: AssertionKeys | undefined;
  /** What the settings imply for several components, worked out once. */
  derived: Derived;
};

export interface ConfigSources {
  /** How POLICY_FILE and the assertion key files are read; tests may pass another reader. */
  readFile?: (path: string) => string;
}

/** Problems no single setting can see: settings that only work together. */
function crossProblems(config: Partial<Settings>, policy: Policy | undefined): string[] {
  const problems: string[] = [];
  // Only settings that parsed are compared; one that did not is reported already.
  if (config.idTokenHeader !== undefined && config.claimHeaders?.some(({ header }) => header === config.idTokenHeader)) {
    problems.push(`CLAIM_HEADERS: ${config.idTokenHeader} is the ID token header (ID_TOKEN_HEADER)`);
  }
  if (config.clientIds === undefined) return problems;
  if (config.loginRedirectUri && config.clientIds.length === 0) problems.push('LOGIN_REDIRECT_URI: needs CLIENT_IDS (the first one is the client that logs in)');
  return problems.concat(policySettingProblems(policy, config));
}

/** Reads the whole configuration from env (and the policy file it names), reporting every problem at once. */
export function loadConfig(env: Record<string, string | undefined>, sources: ConfigSources = {}): Config {
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = env[setting.env];
    const given = raw === '' ? undefined : raw;
    const result = setting.schema.safeParse(given, { reportInput: true });
    if (result.success) parsed[key] = result.data;
    else problems.push(...settingProblems(setting.env, given, result.error.issues, setting.doc));
  }
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  let policy: Policy | undefined;
  if (typeof parsed['policyFile'] === 'string') {
    try {
      policy = loadPolicyFile(parsed['policyFile'], readFile);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  const assertions = readAssertionKeys({ keyFile: parsed['assertionKeyFile'] as string | undefined, previousKeyFile: parsed['assertionPreviousKeyFile'] as string | undefined }, readFile);
  problems.push(...assertions.problems);
  // A setting that did not parse is reported already; what it would mean together with others is not.
  const refused = new Set(problems.map((problem) => problem.slice(0, problem.indexOf(':'))));
  const together = [...crossProblems(parsed, policy), ...redisProblems(parsed as Partial<Settings>), ...tracingProblems(parsed), ...limitProblems(parsed)];
  problems.push(...together.filter((problem) => !refused.has(problem.slice(0, problem.indexOf(':')))));
  if (problems.length > 0) throw new ConfigError(problems);
  const config = parsed as Settings;
  return {
    ...config,
    acceptedAudiences: config.acceptedAudiences ?? [config.authgearEndpoint],
    returnToHosts: config.returnToHosts ?? (config.loginRedirectUri ? [new URL(config.loginRedirectUri).hostname] : []),
    policy,
    policyWarnings: policyWarnings(policy, config.authMode),
    assertionKeys: assertions.keys,
    derived: deriveSettings(config),
  };
}

/** Limits that must fit each other; only settings that parsed on their own are compared. */
function limitProblems(config: Partial<Settings>): string[] {
  const problems: string[] = [];
  const { maxHeaderBytes, maxTokenBytes, shutdownDelaySeconds, shutdownTimeoutSeconds } = config;
  if (maxHeaderBytes !== undefined && maxTokenBytes !== undefined && maxHeaderBytes <= maxTokenBytes + 1024) {
    problems.push(`MAX_HEADER_BYTES: must exceed MAX_TOKEN_BYTES by at least 1024, or a token of allowed size could never arrive`);
  }
  if (shutdownDelaySeconds !== undefined && shutdownTimeoutSeconds !== undefined && shutdownDelaySeconds >= shutdownTimeoutSeconds) {
    problems.push('SHUTDOWN_DELAY_SECONDS: must be shorter than SHUTDOWN_TIMEOUT_SECONDS, or draining never gets a chance');
  }
  return problems.concat(portProblems(config));
}

/** Each listener needs a port of its own; the first setting to claim a port keeps it. */
function portProblems(config: Partial<Settings>): string[] {
  const problems: string[] = [];
  const claimed = new Map<number, string>();
  // On EXT_AUTHZ_PORT every path is an app path: sharing it with /auth or /metrics would mix them.
  for (const key of ['port', 'metricsPort', 'extAuthzPort', 'extAuthzGrpcPort'] as const) {
    const port = config[key];
    if (port === undefined) continue;
    const owner = claimed.get(port);
    if (owner) problems.push(`${SETTINGS[key].env}: must differ from ${owner}`);
    else claimed.set(port, SETTINGS[key].env);
  }
  return problems;
}
