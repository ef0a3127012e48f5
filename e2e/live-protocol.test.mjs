// The live protocol's pure half (web/js/live-protocol.js) in node, without a browser: a delta
// frame folded into the results held gives the server's next results (the api's delta.rs has
// the same cases), what does not fit is refused, and shares follow from counts as the server
// computes them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDelta, deriveShares } from "../web/js/live-protocol.js";

/** Two questions as a poll's results carry them: a split one, and a catalog one with national shares. */
const heldResults = () => ({
  slug: "hall",
  respondents: 2,
  join_code: "123456",
  questions: [
    {
      var_name: "pid3",
      overall: { n: 2, counts: [1, 1], shares: [0.5, 0.5] },
      groups: [
        { n: 1, counts: [1, 0], shares: [1, 0] },
        { n: 1, counts: [0, 1], shares: [0, 1] },
      ],
    },
    {
      var_name: "a/b~c",
      overall: { n: 2, counts: [2, 0], shares: [1, 0] },
      national: { n: 900, shares: [0.25, 0.75] },
    },
  ],
});

test("a vote's delta gives the server's next results, shares recomputed", () => {
  const held = heldResults();
  // What the server sends for a third vote (shares left out).
  const set = {
    respondents: 3,
    questions: { 0: { overall: { n: 3, counts: [1, 2] }, groups: { 1: { n: 2, counts: [0, 2] } } } },
  };
  assert.equal(applyDelta(held, set), true);
  const next = heldResults();
  next.respondents = 3;
  next.questions[0].overall = { n: 3, counts: [1, 2], shares: [1 / 3, 2 / 3] };
  next.questions[0].groups[1] = { n: 2, counts: [0, 2], shares: [0, 1] };
  assert.deepEqual(held, next);
});

test("what a delta does not name stays as held", () => {
  const held = heldResults();
  assert.equal(applyDelta(held, { questions: { 1: { overall: { n: 3, counts: [3, 0] } } } }), true);
  assert.equal(held.respondents, 2);
  assert.deepEqual(held.questions[0], heldResults().questions[0]);
  // A national reference has shares and n but no counts: not derived, kept as the server sent it.
  assert.deepEqual(held.questions[1].national, { n: 900, shares: [0.25, 0.75] });
  assert.deepEqual(held.questions[1].overall, { n: 3, counts: [3, 0], shares: [1, 0] });
});

test("a delta sets values, it does not add to them: the same frame twice counts once", () => {
  const held = heldResults();
  const set = { respondents: 3, questions: { 0: { overall: { n: 3, counts: [2, 1] } } } };
  assert.equal(applyDelta(held, set), true);
  const once = structuredClone(held);
  assert.equal(applyDelta(held, set), true);
  assert.deepEqual(held, once);
  assert.equal(held.respondents, 3);
  assert.deepEqual(held.questions[0].overall.counts, [2, 1]);
});

test("new keys, scalars and arrays of numbers are sent whole", () => {
  const held = { a: { b: 1 }, list: [1, 2], rows: [{ x: 1 }], code: "123456" };
  const set = { a: { b: 2 }, list: [1, 2, 3], added: { c: true }, rows: [{ x: 1 }, { x: 2 }], code: null };
  assert.equal(applyDelta(held, set), true);
  assert.deepEqual(held, { a: { b: 2 }, list: [1, 2, 3], added: { c: true }, rows: [{ x: 1 }, { x: 2 }], code: null });
  // A counts array replaces the one held, even a shorter one.
  const tally = { n: 4, counts: [1, 2, 1], shares: [0.25, 0.5, 0.25] };
  assert.equal(applyDelta(tally, { counts: [4, 0] }), true);
  assert.deepEqual(tally, { n: 4, counts: [4, 0], shares: [1, 0] });
});

test("an empty delta changes nothing", () => {
  const held = heldResults();
  assert.equal(applyDelta(held, {}), true);
  assert.deepEqual(held, heldResults());
});

test("changes that do not fit the results held are refused", () => {
  // An index past the end of an array of objects: the page holds other results than the server.
  assert.equal(applyDelta({ rows: [{ x: 1 }] }, { rows: { 3: { x: 2 } } }), false);
  assert.equal(applyDelta(heldResults(), { questions: { 2: { overall: { n: 1 } } } }), false);
  // Deep inside too, and for a key that is no index at all.
  assert.equal(applyDelta(heldResults(), { questions: { 0: { groups: { 5: { n: 1 } } } } }), false);
  assert.equal(applyDelta(heldResults(), { questions: { first: { overall: { n: 1 } } } }), false);
  // The last index still fits.
  assert.equal(applyDelta(heldResults(), { questions: { 1: { overall: { n: 2, counts: [1, 1] } } } }), true);
});

test("shares are count / n, not count / the sum of counts", () => {
  // A choice question with up to 2 answers each: 2 participants, 3 answers; shares add up to 1.5.
  const tally = { n: 2, counts: [2, 1], shares: [] };
  deriveShares(tally);
  assert.deepEqual(tally.shares, [1, 0.5]);
});

test("shares are 0 when n is 0, never NaN", () => {
  const tally = { n: 0, counts: [0, 0, 0], shares: [0.5, 0.25, 0.25] };
  deriveShares(tally);
  assert.deepEqual(tally.shares, [0, 0, 0]);
});

test("shares are derived at any depth, and only where counts, n and shares all are", () => {
  const results = {
    questions: [
      {
        overall: { n: 3, counts: [1, 2], shares: [0, 0] },
        groups: [{ n: 1, counts: [1, 0], shares: [0, 0] }],
        // No shares key: the server sent none, none is added.
        words: { n: 3, counts: [3] },
        national: { n: 900, shares: [0.4, 0.6] },
      },
    ],
  };
  deriveShares(results);
  const [question] = results.questions;
  assert.deepEqual(question.overall.shares, [1 / 3, 2 / 3]);
  assert.deepEqual(question.groups[0].shares, [1, 0]);
  assert.equal("shares" in question.words, false);
  assert.deepEqual(question.national.shares, [0.4, 0.6]);
});
