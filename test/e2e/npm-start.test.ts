import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalProcess } from './local-process.js';

/**
 * `npm start` stopped the way a process manager or a newcomer's `kill` stops it: a signal to the npm process
 * alone (not to its process group, as Ctrl+C in a terminal does). npm passes SIGINT and SIGTERM on to the
 * script's process only; a shell between npm and the server that does not pass them on, or a wrapper that
 * does not, leaves the server running with the port and the data directory.
 */

interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  command: string;
}

/** Every process on the machine, from /proc (Linux). */
function processes(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
        const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return [{ pid: Number(name), ppid: Number(ppid), state, command }];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/** The process and all its descendants. */
function tree(root: number): ProcessInfo[] {
  const all = processes();
  const found = all.filter((info) => info.pid === root);
  for (let index = 0; index < found.length; index += 1) {
    const parent = found[index]?.pid;
    found.push(...all.filter((info) => info.ppid === parent));
  }
  return found;
}

/** Gone, or a zombie waiting to be reaped (it holds neither a port nor a lock). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits for the condition, checking every 100 ms, up to a generous bound for a busy machine. */
async function eventually(condition: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('npm start, stopped by a signal to the npm process', () => {
  const dataDirs: string[] = [];
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npm alone stops every process npm started, frees the port and releases the data directory',
    async (signal) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'fp-npm-start-'));
      dataDirs.push(dataDir);
      const server = await startLocalProcess({ launcher: 'npm', env: { LOCAL_DATA_DIR: dataDir } });
      const started = tree(server.pid);
      try {
        expect(started.find((info) => info.pid === server.pid)?.command).toMatch(/npm/);
        expect(started.some((info) => info.command.includes('local/server.ts'))).toBe(true);
        expect(existsSync(path.join(dataDir, 'server.lock'))).toBe(true);
        expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
        expect(await portIsFree(server.port)).toBe(false);

        const stopped = await server.stop(signal);

        expect(stopped).toEqual({ code: 0, signal: null });
        const survivors = () => started.filter((info) => alive(info.pid));
        await eventually(() => survivors().length === 0);
        expect(survivors()).toEqual([]);
        expect(server.output()).toContain('"message":"Stopped"');
        expect(existsSync(path.join(dataDir, 'server.lock'))).toBe(false);
        expect(await portIsFree(server.port)).toBe(true);
      } finally {
        // Whatever the outcome, leave nothing running: only the processes this test started.
        for (const info of started) {
          const still = processes().find((current) => current.pid === info.pid);
          if (still?.command === info.command && alive(info.pid)) process.kill(info.pid, 'SIGKILL');
        }
      }
    },
    90_000,
  );
});
