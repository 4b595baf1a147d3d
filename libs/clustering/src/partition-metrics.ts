/** Adjusted Rand index of two labelings (Hubert & Arabie): 1 = same partition, ~0 = chance. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError('labelings differ in length');
  const n = a.length;
  const pairs = (count: number) => (count * (count - 1)) / 2;
  const contingency = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}:${b[i]}`;
    contingency.set(key, (contingency.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  let index = 0;
  for (const count of contingency.values()) index += pairs(count);
  let rowSum = 0;
  for (const count of rows.values()) rowSum += pairs(count);
  let colSum = 0;
  for (const count of cols.values()) colSum += pairs(count);
  const expected = (rowSum * colSum) / pairs(n);
  const max = (rowSum + colSum) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/** Noise points (-1) each become their own singleton, as a person page would show them. */
export function noiseAsSingletons(labels: ArrayLike<number>): Int32Array {
  // A loop, not Math.max(...labels): spreading a million arguments overflows the stack.
  let next = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] >= next) next = labels[i] + 1;
  return Int32Array.from(labels, (label) => (label < 0 ? next++ : label));
}
