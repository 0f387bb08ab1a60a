import test from 'ava';
import { CHUNK_ROWS, RowChunks } from '../../../engine/buffers/row-chunks.js';

test('row chunks: indices are dense from 0, rows read back across chunk boundaries, clear starts again', (t) => {
  const rows = new RowChunks();
  const n = 2 * CHUNK_ROWS + 3;
  for (let i = 0; i < n; i++) t.is(rows.push([i, `r${i}`]), i);
  t.is(rows.size, n);
  t.is(rows.chunks.length, 3);
  for (const i of [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, 2 * CHUNK_ROWS, n - 1]) t.deepEqual(rows.at(i), [i, `r${i}`]);
  rows.clear();
  t.is(rows.size, 0);
  t.is(rows.chunks.length, 0);
  t.is(rows.push(['again']), 0);
  t.deepEqual(rows.at(0), ['again']);
});
