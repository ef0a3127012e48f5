// The post-talk report at talk scale (issue 35): a 20-question poll of every kind answered by
// 10,000 participants, then the report ZIP (handout PDF, 20 slides, CSV) downloaded as a
// presenter would, each time on a new connection. Seeds through the public ballot route (each
// ballot a new connection from one of 64 loopback addresses, as phones), 32 in flight.
// Env: BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, RESPONDENTS (10000), RUNS (5).
// Prints JSON: the seeding's figures and each download's seconds and bytes.
import http from "node:http";

const base = new URL(process.env.BASE_URL ?? "http://127.0.0.1:18097");
const respondents = Number(process.env.RESPONDENTS ?? 10_000);
const runs = Number(process.env.RUNS ?? 5);

/** One request on a new connection; resolves to { status, headers, body: Buffer }. */
function request(path, { method = "GET", body, cookie, from } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method,
        agent: false,
        localAddress: from,
        headers: {
          ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
          ...(cookie ? { cookie } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const json = (response) => JSON.parse(response.body.toString("utf8"));

const login = await request("/api/auth/login", {
  method: "POST",
  body: { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD },
});
if (login.status !== 200) throw new Error(`login: ${login.status} ${login.body}`);
const cookie = login.headers["set-cookie"][0].split(";")[0];

const catalog = ["perf_judicial_ind", "imp_judicial_ind", "imp_free_speech", "imp_equal_rights", "perf_free_speech"];
const questions = [
  { var_name: "pid3" },
  ...catalog.map((var_name) => ({ var_name })),
  { kind: "choice", text: "Where are you joining from?", options: ["Here", "Online", "Elsewhere"] },
  { kind: "choice", text: "Which worry you most?", options: ["Trust", "Violence", "Fraud", "Apathy"], max_choices: 2 },
  { kind: "choice", text: "Would you serve on a jury?", options: ["Yes", "No", "Not sure"] },
  { kind: "scale", text: "How hopeful are you?", min: 0, max: 10, min_label: "Not at all", max_label: "Very" },
  { kind: "scale", text: "How much do you trust the courts?", min: 1, max: 7, min_label: "None", max_label: "Fully" },
  { kind: "words", text: "One word for democracy today?" },
  { kind: "words", text: "One word for the courts?" },
  { kind: "open", text: "What should we fix first?" },
  { kind: "open", text: "What did you learn today?" },
  {
    kind: "ranking",
    text: "Which matter most?",
    item_var_names: ["imp_judicial_ind", "imp_free_speech", "imp_equal_rights"],
  },
  { kind: "ranking", text: "Top two fixes?", options: ["Courts", "Press", "Votes", "Speech", "Maps"], top_k: 2 },
  { kind: "predict", var_name: "imp_judicial_ind", response_indices: [3] },
  { kind: "predict", var_name: "imp_free_speech", response_indices: [2, 3], group: "Republican" },
  { kind: "choice", text: "Kept hidden", options: ["Yes", "No"], results_hidden: true },
];
const created = await request("/api/admin/polls", {
  method: "POST",
  cookie,
  body: { title: "Report at talk scale", split_by: "pid3", questions },
});
if (created.status !== 201) throw new Error(`create: ${created.status} ${created.body}`);
const poll = json(created);
const open = await request(`/api/admin/polls/${poll.id}`, { method: "PATCH", cookie, body: { is_open: true } });
if (open.status !== 200) throw new Error(`open: ${open.status} ${open.body}`);
const view = json(await request(`/api/polls/${poll.slug}`));

// A deterministic stream of choices, so that every run draws the same poll.
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const vocabulary = Array.from({ length: 300 }, (_, i) => `word${i.toString(36)}`);

function answer(question, i) {
  const indices = question.responses.map((r) => r.index);
  const key = { var_name: question.var_name };
  switch (question.kind) {
    case "catalog":
      return { ...key, response_index: pick(indices) };
    case "choice":
      return (question.max_choices ?? 1) > 1
        ? { ...key, response_indices: [...new Set([pick(indices), pick(indices)])] }
        : { ...key, response_index: pick(indices) };
    case "scale":
      return { ...key, value: pick(indices) };
    case "words":
      return { ...key, words: [pick(vocabulary), pick(vocabulary)].filter((w, k, all) => all.indexOf(w) === k) };
    case "open":
      return { ...key, text: `Participant ${i} says: ${pick(vocabulary)} ${pick(vocabulary)}` };
    case "ranking": {
      const order = [...indices].sort(() => random() - 0.5);
      return { ...key, ranking: order.slice(0, question.top_k ?? order.length) };
    }
    case "predict":
      return { ...key, percent: Math.round(20 + random() * 60) };
    default:
      throw new Error(`kind ${question.kind}`);
  }
}

const seedingStarted = performance.now();
let next = 0;
let refused = 0;
async function phone() {
  while (next < respondents) {
    const i = next++;
    const answers = view.questions.map((q) => answer(q, i));
    const from = `127.0.0.${2 + (i % 64)}`;
    const reply = await request(`/api/polls/${poll.slug}/responses`, {
      method: "POST",
      from,
      body: { client_token: `report-bench-${i.toString().padStart(8, "0")}`, answers },
    });
    if (reply.status !== 201) {
      refused++;
      if (refused < 5) console.error(`ballot ${i}: ${reply.status} ${reply.body}`);
    }
  }
}
await Promise.all(Array.from({ length: 32 }, phone));
const seedingSeconds = (performance.now() - seedingStarted) / 1000;
await request(`/api/admin/polls/${poll.id}`, { method: "PATCH", cookie, body: { is_open: false } });

const timed = async (path) => {
  const started = performance.now();
  const reply = await request(path, { cookie });
  const seconds = (performance.now() - started) / 1000;
  if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${reply.body}`);
  return { seconds, bytes: reply.body.length };
};
const report = [];
const handout = [];
const csv = [];
for (let run = 0; run < runs; run++) {
  report.push(await timed(`/api/admin/polls/${poll.id}/report`));
  handout.push(await timed(`/api/admin/polls/${poll.id}/report/handout`));
  csv.push(await timed(`/api/admin/polls/${poll.id}/responses.csv`));
}
const results = json(await request(`/api/admin/polls/${poll.id}/results`, { cookie }));
console.log(
  JSON.stringify({
    questions: view.questions.length,
    respondents: results.respondents,
    refused,
    seedingSeconds,
    report,
    handout,
    csv,
  }),
);
