import test from 'ava';
import { createEngine, col, gt } from '../../engine/index.js';

test('a filter runs on both engines', (t) => {
  for (const k of ['materialized', 'streaming'] as const) {
    const e = createEngine(k);
    t.deepEqual(e.from(['a'], [[1], [5]]).filter(gt(col('a'), 2)).toArray(), [[5]]);
  }
});
