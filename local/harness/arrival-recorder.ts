/**
 * Records when requests reach "the upstream", measured where the upstream would measure it: on a thread of
 * its own. The fake Server API runs on the test's event loop, next to dynalite and the consumers; when that
 * loop is busy, the fake's handler runs late and its clock says a request arrived later than it did. This
 * proxy, in a worker thread, stamps each request as its headers arrive and forwards it to the fake unchanged.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated in the worker: no TypeScript loader there.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const target = new URL(workerData.target);
const agent = new http.Agent({ keepAlive: true });
const arrivals = [];
const server = http.createServer((req, res) => {
  arrivals.push(performance.timeOrigin + performance.now());
  const outgoing = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode || 502, answer.headers);
      answer.pipe(res);
    },
  );
  outgoing.on('error', () => res.destroy());
  res.on('close', () => { if (!res.writableFinished) outgoing.destroy(); });
  req.pipe(outgoing);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'arrivals') parentPort.postMessage({ arrivals });
  if (message === 'close') {
    agent.destroy();
    server.closeAllConnections();
    server.close(() => parentPort.postMessage({ closed: true }));
  }
});
`;

export interface ArrivalRecorder {
  /** Use in place of the fake's `baseUrl`. */
  baseUrl: string;
  /** Arrival times so far, in epoch milliseconds (fractional). */
  arrivals(): Promise<number[]>;
  close(): Promise<void>;
}

export async function startArrivalRecorder(target: string): Promise<ArrivalRecorder> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { target } });
  const next = <T>(key: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (!(key in message)) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(message[key] as T);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const port = await next<number>('port');
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async arrivals() {
      const answer = next<number[]>('arrivals');
      worker.postMessage('arrivals');
      return answer;
    },
    async close() {
      const closed = next<boolean>('closed');
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}
