// Live protocol v2's pure half, as the api's polls delta.rs has it: folding a `delta`
// frame's changes into the results held, and a tally's shares from its counts. No DOM and no
// network, so that node runs its tests (e2e/live-protocol.test.mjs) without a browser.

/** Applies a delta's changes to `results` as the server describes them: an object of changes
 *  goes into the object (or, keyed by index, the array) already there, anything else replaces the
 *  value; then every `shares` beside `counts` and `n` is recomputed as the server computes it.
 *  False when the changes do not fit (the page then starts again from a snapshot): `results` may
 *  then be half changed, and is to be dropped. */
export function applyDelta(results, set) {
  if (!applyInto(results, set)) return false;
  deriveShares(results);
  return true;
}

const isContainer = (value) => value !== null && typeof value === "object";

function applyInto(target, changes) {
  for (const [key, change] of Object.entries(changes)) {
    if (Array.isArray(target) && !(Number(key) < target.length)) return false;
    const slot = target[key];
    if (isContainer(slot) && isContainer(change) && !Array.isArray(change)) {
      if (!applyInto(slot, change)) return false;
    } else {
      target[key] = change;
    }
  }
  return true;
}

/** Sets, in place and at any depth of `value`, every tally's `shares` (an object with `counts`,
 *  `n` and `shares`) to `count / n`, 0 when n is 0: what the server sends, since IEEE division is
 *  the same in every language. Deltas leave shares out for this. */
export function deriveShares(value) {
  if (Array.isArray(value)) {
    for (const item of value) deriveShares(item);
  } else if (value !== null && typeof value === "object") {
    if ("counts" in value && "n" in value && "shares" in value) {
      value.shares = value.counts.map((count) => (value.n > 0 ? count / value.n : 0));
    }
    for (const item of Object.values(value)) deriveShares(item);
  }
}
