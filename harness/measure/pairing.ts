/**
 * Pairing the samples of the two arms of a paired time pass. The arms take turns one sample each,
 * so the n-th samples are normally neighbours; pairing by when they ended keeps that true if an
 * arm ever takes two samples in a row or stops early: walking both arms' samples in time order, a
 * sample is paired with the next one if that one is the other arm's; anything else (the tail of
 * the arm that ran longer, a sample whose neighbours are both its own arm's) is dropped.
 */
export interface TimedSamples {
  samplesNs: readonly number[];
  /** When each sample ended (any common clock); empty when unknown. */
  endsNs: readonly number[];
}

/** The paired samples of arms a and b, equal in number and in time order. Without end times, the n-th samples are paired. */
export function pairSamples(a: TimedSamples, b: TimedSamples): [number[], number[]] {
  if (a.endsNs.length !== a.samplesNs.length || b.endsNs.length !== b.samplesNs.length || !a.endsNs.length || !b.endsNs.length) {
    const n = Math.min(a.samplesNs.length, b.samplesNs.length);
    return [a.samplesNs.slice(0, n), b.samplesNs.slice(0, n)];
  }
  const events = [
    ...a.endsNs.map((t, i) => ({ t, arm: 0, x: a.samplesNs[i]! })),
    ...b.endsNs.map((t, i) => ({ t, arm: 1, x: b.samplesNs[i]! })),
  ].sort((p, q) => p.t - q.t);
  const out: [number[], number[]] = [[], []];
  for (let i = 0; i + 1 < events.length; i++) {
    const e = events[i]!, f = events[i + 1]!;
    if (e.arm === f.arm) continue;
    out[e.arm]!.push(e.x);
    out[f.arm]!.push(f.x);
    i++;
  }
  return out;
}
