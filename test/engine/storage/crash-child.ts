/** Child of the SIGKILL test: starts a long insert into market.trades under argv[2] and never finishes it. */
import { getDatabase, insertStream, openCatalog } from '../../../engine/storage/index.js';

const db = getDatabase(openCatalog({ root: process.argv[2]! }), 'market');
async function* endless() {
  for (let i = 0; ; i++) {
    yield `[${i},1.5,"x",true,${i}]\n`.repeat(100);
    await new Promise((r) => setTimeout(r, 1));
  }
}
await insertStream(db, 'trades', endless(), { batchSize: 100 });
