// Tests run the harness from its TypeScript sources (through tsx); a worker thread does not
// inherit tsx's module hooks for its entry point, so the paired child starts its workers here
// when it runs from source: register tsx in this thread, then load the real entry
// (`workerData.entry`). The built harness (dist/) starts its workers directly and never uses this.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
