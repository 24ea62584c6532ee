import { Logger, type LogLevel } from '@aws-lambda-powertools/logger';

export const SERVICE_NAME = 'fingerprint-enrichment';

/**
 * One structured JSON logger per function, created at module scope. Events hold personal data (IP,
 * location), so log ids and counts at INFO, never whole events; the Fingerprint key never reaches a logger.
 */
export function createLogger(logLevel: (typeof LogLevel)[keyof typeof LogLevel]): Logger {
  return new Logger({ serviceName: SERVICE_NAME, logLevel });
}
