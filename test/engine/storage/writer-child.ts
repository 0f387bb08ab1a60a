/**
 * Child of the concurrency tests: opens the catalog at argv[2] and inserts argv[4] rows tagged with
 * writer id argv[3] into market.trades, slowly (a chunk every few ms) so that inserts of several
 * processes overlap; prints the insert's row count. With argv[3] = 'open', it only opens the
 * catalog (again and again for argv[4] ms), as a reader starting up mid-insert would.
 */
import { getDatabase, insertStream, openCatalog } from '../../../engine/storage/index.js';

const [root, who, n] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4])];
if (who === 'open') {
  const until = Date.now() + n;
  let opens = 0;
  while (Date.now() < until) {
    openCatalog({ root });
    opens++;
    await new Promise((r) => setTimeout(r, 2));
  }
  process.stdout.write(`${opens}\n`);
} else {
  const id = Number(who);
  async function* chunks() {
    for (let i = 0; i < n; i += 100) {
      let text = '';
      for (let k = i; k < Math.min(n, i + 100); k++) text += `[${id * 1_000_000 + k},1.5,"w${id}",true,${k}]\n`;
      yield text;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  const r = await insertStream(getDatabase(openCatalog({ root }), 'market'), 'trades', chunks(), { batchSize: 250 });
  process.stdout.write(`${r.rows}\n`);
}
