/**
 * Child of the S3 store tests: opens the catalog at argv[2] with the local server argv[3] and
 * bucket argv[4], and inserts into market.trades. With argv[5] a writer id, inserts argv[6] rows
 * tagged with it, slowly, so that several processes' inserts overlap; prints the row count. With
 * argv[5] = 'endless', starts an insert that never finishes (to be killed), and prints
 * 'inserting' once it is reading rows.
 */
import { getDatabase, insertStream, openCatalog } from '../../../engine/storage/index.js';

const [root, endpoint, bucket, who, n] = process.argv.slice(2) as [string, string, string, string, string];
const db = getDatabase(openCatalog({ root, s3: { bucket, endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } }), 'market');
if (who === 'endless') {
  async function* endless() {
    for (let i = 0; ; i++) {
      // Once the insert is reading rows (the table's first-use clean-up, under its lock, is over):
      // the test kills the process mid-insert from then on, not while it is still starting.
      if (i === 5) process.stdout.write('inserting\n');
      yield `[${i},1.5,"x"]\n`.repeat(500);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await insertStream(db, 'trades', endless(), { batchSize: 500 });
} else {
  const id = Number(who), rows = Number(n);
  async function* chunks() {
    for (let i = 0; i < rows; i += 100) {
      let text = '';
      for (let k = i; k < Math.min(rows, i + 100); k++) text += `[${id * 1_000_000 + k},1.5,"w${id}"]\n`;
      yield text;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  // Several inserts each, so that commits of the processes interleave.
  let total = 0;
  for (let part = 0; part < 3; part++) {
    const r = await insertStream(db, 'trades', chunks(), { batchSize: 250 });
    total += r.rows;
  }
  process.stdout.write(`${total / 3}\n`);
}
