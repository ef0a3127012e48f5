// What each chart shows for a view state `{q, wave, split}`: its data (fetched from the api), the
// chart, its title, plain-language caption and source line. The dashboard shows them as cards,
// the embed pages (/embed/{chart}) one at a time.
import { ALL, api, groupPlural, integer, pct0, pText, significant } from "./common.js";
import { distributionChart, divergingChart, gapChart, principlesChart, trendChart } from "./charts.js";

export const POOLED = "all";
/** Batteries whose responses are categories, not a scale (see ../shared/design/UI.md). */
const NOMINAL_BATTERIES = new Set(["respondent_profile"]);
/** The two groups a gap compares: the ends of the split's scale ("split=none": party). */
const GAP_PAIRS = {
  party: { split: "party", a: "Democrat", b: "Republican", name: "Partisan gap" },
  none: { split: "party", a: "Democrat", b: "Republican", name: "Partisan gap" },
  ideology: { split: "ideology", a: "Liberal", b: "Conservative", name: "Ideological gap" },
};
const SPLIT_LABEL = { none: "all respondents", party: "by party", ideology: "by ideology" };
const SOURCE = "Bright Line Watch";

const requests = new Map();
/** One request per path and page: the same data feeds several charts. */
function cachedApi(path) {
  if (!requests.has(path)) {
    const request = api(path).then((r) => r.data);
    request.catch(() => requests.delete(path));
    requests.set(path, request);
  }
  return requests.get(path);
}

const questionPath = (q, what, query) => `/api/surveys/questions/${encodeURIComponent(q)}/${what}?${query}`;

/** `“Mostly meets” or “Fully meets”`: the responses a top-2 share counts. */
const top2Label = (responses) => `“${responses.slice(-2).join("” or “")}”`;

/** "12–26", or "−3 to 12" when a bound is negative: a CI in whole points. */
function ciPoints(low, high) {
  const [lo, hi] = [Math.round(low * 100), Math.round(high * 100)];
  return lo < 0 || hi < 0
    ? `${lo < 0 ? "−" : ""}${Math.abs(lo)} to ${hi < 0 ? "−" : ""}${Math.abs(hi)}`
    : `${lo}–${hi}`;
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** "Republicans rate this 19 points higher than Democrats (95% CI 12–26) …": one wave's gap. */
export function gapSentence(estimate, a, b, wave, responses) {
  const verdict = significant(estimate)
    ? `the gap is statistically significant (${pText(estimate.p_value)}).`
    : `the gap is not statistically significant (${pText(estimate.p_value)}).`;
  const shares = `${pct0(estimate.a)} of ${groupPlural(a)} and ${pct0(estimate.b)} of ${groupPlural(b)} answer ${top2Label(responses)}`;
  const size = Math.round(Math.abs(estimate.difference) * 100);
  if (size === 0)
    return `In wave ${wave}, ${groupPlural(a)} and ${groupPlural(b)} rate this about the same (difference under 1 point, 95% CI ${ciPoints(estimate.ci_low, estimate.ci_high)}): ${shares}; ${verdict}`;
  const [higher, lower, lo, hi] =
    estimate.difference > 0 ? [a, b, estimate.ci_low, estimate.ci_high] : [b, a, -estimate.ci_high, -estimate.ci_low];
  return `In wave ${wave}, ${groupPlural(higher)} rate this ${size} point${size === 1 ? "" : "s"} higher than ${groupPlural(lower)} (95% CI ${ciPoints(lo, hi)}): ${shares}; ${verdict}`;
}

/** "Among Democrats, the share answering … fell from 52% in wave 14 to 45% in wave 23 …". */
export function changeSentence(estimate, group, from, to, what) {
  const verdict = significant(estimate)
    ? `the change is statistically significant (${pText(estimate.p_value)}).`
    : `the change is not statistically significant (${pText(estimate.p_value)}).`;
  const size = Math.round(Math.abs(estimate.difference) * 100);
  const among = `Among ${groupPlural(group ?? ALL)}, the share answering ${what}`;
  if (size === 0)
    return `${among} was about the same in wave ${from} and wave ${to} (${pct0(estimate.from)} and ${pct0(estimate.to)}; 95% CI of the change ${ciPoints(estimate.ci_low, estimate.ci_high)} points); ${verdict}`;
  const [direction, lo, hi] =
    estimate.difference > 0
      ? ["rose", estimate.ci_low, estimate.ci_high]
      : ["fell", -estimate.ci_high, -estimate.ci_low];
  return `${among} ${direction} from ${pct0(estimate.from)} in wave ${from} to ${pct0(estimate.to)} in wave ${to}, ${direction === "rose" ? "up" : "down"} ${size} point${size === 1 ? "" : "s"} (95% CI ${ciPoints(lo, hi)}); ${verdict}`;
}

/** The waves with valid answers to a question, and the wave a view shows (with notes on why). */
function chooseWave(cells, wanted) {
  const asked = [...new Set(cells.filter((c) => c.wave != null).map((c) => c.wave))].sort((a, b) => a - b);
  const notes = [];
  let wave = wanted;
  if (asked.length && wave !== POOLED && (wave == null || !asked.includes(wave))) {
    if (wave != null)
      notes.push(
        `Wave ${wave} did not ask this question; showing wave ${asked[asked.length - 1]}, the latest that did.`,
      );
    wave = asked[asked.length - 1];
  }
  return { asked, wave, notes };
}

/** The changes since the wave before `wave` among the waves that `asked`, or null (first wave, pooled). */
async function changesSince(q, split, wave, asked) {
  const at = asked.indexOf(wave);
  if (wave === POOLED || at < 1) return null;
  const data = await cachedApi(questionPath(q, "changes", `split=${split}&from=${asked[at - 1]}&to=${wave}`));
  const byGroup = new Map(data.groups.map((g) => [g.group ?? ALL, g]));
  return {
    from: data.from,
    data,
    of: (group, measure) => byGroup.get(group ?? ALL)?.estimates.find((e) => e.measure === measure) ?? null,
  };
}

/** Per wave that asked the question, the gap between the split's two end groups in the top-2 share. */
async function gapSeries(q, split, asked) {
  const pair = GAP_PAIRS[split];
  const bodies = await Promise.all(
    asked.map((wave) => cachedApi(questionPath(q, "gaps", `split=${pair.split}&wave=${wave}`))),
  );
  const points = bodies.flatMap((body) => {
    const found = body.pairs.find((p) => p.a === pair.a && p.b === pair.b);
    const estimate = found?.estimates.find((e) => e.measure === "top2");
    return estimate ? [{ wave: body.wave, n_a: found.n_a, n_b: found.n_b, estimate }] : [];
  });
  return { pair, points };
}

/**
 * Every chart of a question's view: `{question, asked, wave, notes, views}`; each view is
 * `{id, title, subtitle, chart, filename, caption, source, tableOpen}`. `only`: build just that
 * chart (an embed); null: every chart the question has.
 */
export async function questionViews(question, state, width, only = null) {
  const data = await cachedApi(questionPath(question.var_name, "proportions", `split=${state.split}`));
  const { asked, wave, notes } = chooseWave(data.cells, state.wave);
  const result = { question, asked, wave, notes, views: [] };
  if (!asked.length) return result;
  const responses = data.question.responses;
  const rating = !NOMINAL_BATTERIES.has(question.battery);
  const wanted = (id) => only == null || only === id;
  const waveCells = data.cells.filter((c) => c.wave === (wave === POOLED ? null : wave));
  const everyone = waveCells.find((c) => c.group == null);
  const waveName = wave === POOLED ? `all waves pooled (${asked.join(", ")})` : `wave ${wave}`;
  const waveSlug = wave === POOLED ? "all-waves" : `wave${wave}`;
  const splitLabel = SPLIT_LABEL[state.split];
  const filename = (name) => `${question.var_name}-${name}-${state.split}`;
  const waveSource = `${SOURCE}, ${waveName}, weighted; n = ${integer(everyone?.n)}`;
  const top2 = top2Label(responses);
  const overallTop2 = (cell) =>
    `In ${waveName}, ${pct0(cell.top2.p)} of all respondents answered ${top2} (95% CI ${pct0(cell.top2.ci_low)}–${pct0(cell.top2.ci_high)}).`;
  const needsGap = rating && (wanted("gap") || wanted("diverging"));
  const [changes, gaps] = await Promise.all([
    wanted("distribution") || wanted("diverging") ? changesSince(question.var_name, state.split, wave, asked) : null,
    needsGap ? gapSeries(question.var_name, state.split, asked) : null,
  ]);
  const latestGap = gaps?.points.find((p) => p.wave === (wave === POOLED ? asked[asked.length - 1] : wave));
  const gapCaption = latestGap
    ? gapSentence(latestGap.estimate, gaps.pair.a, gaps.pair.b, latestGap.wave, responses)
    : "";
  const everyoneChange = changes?.of(null, "top2");
  const changeCaption = everyoneChange
    ? changeSentence(everyoneChange, null, changes.from, wave, top2)
    : wave === POOLED
      ? "Pooled waves: no change to compare."
      : `Wave ${wave} is the first that asked this question: no earlier wave to compare.`;

  if (rating && responses.length === 4 && wanted("diverging"))
    result.views.push({
      id: "diverging",
      title: `Lower vs upper responses, ${waveName}`,
      subtitle: `weighted %, ${splitLabel}`,
      chart: divergingChart(waveCells, responses, width),
      filename: filename(`${waveSlug}-diverging`),
      caption: [everyone ? overallTop2(everyone) : "", state.split !== "none" ? gapCaption : ""].join(" ").trim(),
      source: waveSource,
    });
  if (wanted("distribution")) {
    const groupChanges = changes
      ? waveCells
          .filter((cell) => cell.group != null)
          .flatMap((cell) => {
            const estimate = changes.of(cell.group, "top2");
            return rating && estimate && significant(estimate)
              ? [changeSentence(estimate, cell.group, changes.from, wave, top2)]
              : [];
          })
      : [];
    result.views.push({
      id: "distribution",
      title: `Responses, ${waveName}`,
      subtitle: `weighted %, ${splitLabel}`,
      chart: distributionChart(waveCells, responses, width, changes),
      filename: filename(waveSlug),
      caption: [
        rating ? [changeCaption, ...groupChanges].join(" ") : nominalChangeCaption(changes, wave, responses),
        changes ? `▲ and ▼ mark the shares that changed significantly (p < 0.05) since wave ${changes.from}.` : "",
      ]
        .join(" ")
        .trim(),
      source: waveSource,
    });
  }
  if (rating && wanted("trend")) {
    const perWave = data.cells.filter((c) => c.wave != null && c.group == null);
    const [first, last] = [perWave[0], perWave[perWave.length - 1]];
    result.views.push({
      id: "trend",
      title: "Top-2 share over waves",
      subtitle: `${top2}, ${splitLabel}`,
      chart: trendChart(data.cells, width),
      filename: filename("top2"),
      caption:
        perWave.length > 1
          ? `Among all respondents, the share answering ${top2} was ${pct0(first.top2.p)} in wave ${first.wave} and ${pct0(last.top2.p)} in wave ${last.wave}.`
          : `Only wave ${first.wave} asked this question.`,
      source: `${SOURCE}, waves ${asked.join(", ")}, weighted; n = ${integer(perWave.reduce((sum, c) => sum + c.n, 0))}`,
      tableOpen: false,
    });
  }
  if (rating && wanted("gap") && gaps.points.length) {
    const { pair } = gaps;
    result.views.push({
      id: "gap",
      title: `${pair.name} in the top-2 share over waves`,
      subtitle: `${pair.a} − ${pair.b}, percentage points, 95% CI; filled: significant (p < 0.05)`,
      chart: gapChart(gaps.points, pair, width),
      filename: `${question.var_name}-gap-${pair.split}`,
      caption: gapCaption,
      source: `${SOURCE}, waves ${asked.join(", ")}, weighted; n = ${integer(gaps.points.reduce((s, p) => s + p.n_a + p.n_b, 0))} (${groupPlural(pair.a)} and ${groupPlural(pair.b)})`,
      tableOpen: false,
    });
  }
  return result;
}

/** For a nominal question: the responses whose share changed significantly since the last wave. */
function nominalChangeCaption(changes, wave, responses) {
  if (!changes) return "";
  const moved = responses
    .map((r) => [r, changes.of(null, r)])
    .filter(([, e]) => e && significant(e))
    .map(([r, e]) => changeSentence(e, null, changes.from, wave, `“${r}”`));
  return moved.length
    ? moved.join(" ")
    : `No response's share among all respondents changed significantly since wave ${changes.from}.`;
}

/** The principles view: `{wave, notes, views: [one]}`, importance vs performance per principle. */
export async function principlesViews(state, waves, width, onPick) {
  const latest = waves[waves.length - 1];
  const wave = state.wave === POOLED || waves.includes(state.wave) ? state.wave : latest;
  const notes =
    state.wave != null && state.wave !== wave
      ? [`There is no wave ${state.wave}; showing wave ${latest}, the latest.`]
      : [];
  const waveName = wave === POOLED ? "all waves pooled" : `wave ${wave}`;
  const query = wave === POOLED ? `split=${state.split}` : `wave=${wave}&split=${state.split}`;
  const data = await cachedApi(`/api/surveys/principles?${query}`);
  const result = { wave, waveName, notes, views: [] };
  if (!data.principles.length) return result;
  const chart = principlesChart(data.principles, width, onPick);
  const everyone = data.principles.map((p) => p.groups.find((g) => g.group == null)).filter(Boolean);
  const short = everyone.filter((g) => g.performance.p < g.importance.p).length;
  const n = Math.max(...everyone.map((g) => g.importance.n));
  result.views.push({
    id: "principles",
    title: `Importance vs performance, ${waveName}`,
    subtitle: "weighted top-2 %",
    chart,
    filename: `principles-${wave === POOLED ? "all-waves" : `wave${wave}`}-${state.split}`,
    caption: `${capital(waveName)}: on ${short} of ${everyone.length} principles, fewer people say the US meets the principle than rate it important.`,
    source: `${SOURCE}, ${waveName}, weighted; n = ${integer(n)}`,
  });
  return result;
}
