// bcrypt comparisons in a worker thread. A comparison is slow on purpose (~70 ms at cost 10, four
// times that at 12) and all CPU: on the event loop it would hold up every scrape meanwhile, and
// bcryptjs's asynchronous compare only yields every 100 ms, which still adds that much to each
// scrape waiting behind it. The thread starts at the first comparison and keeps the process alive
// only while one is under way.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// CommonJS, evaluated in the thread: a separate file would need the TypeScript loader there too.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { compareSync } = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let match = false;
  try {
    match = compareSync(password, hash);
  } catch {}
  parentPort.postMessage({ id, match });
});
`;

export class BcryptWorker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (match: boolean) => void; reject: (err: Error) => void }>();

  /** Whether `password` matches the bcrypt `hash`; rejects only if the thread fails. */
  compare(password: string, hash: string): Promise<boolean> {
    const worker = this.start();
    const id = this.nextId++;
    // Held open only while a comparison is under way: an idle thread never keeps the process alive.
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, password, hash });
    });
  }

  /** Stops the thread (a later comparison starts another). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: createRequire(import.meta.url).resolve('bcryptjs') } });
    worker.on('message', ({ id, match }: { id: number; match: boolean }) => {
      this.pending.get(id)?.resolve(match);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
    });
    const failed = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    };
    worker.on('error', failed);
    worker.on('exit', () => failed(new Error('the bcrypt thread stopped')));
    this.worker = worker;
    return worker;
  }
}
