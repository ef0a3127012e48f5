// A ranking question: the participant's side (order the items, or pick a top k in order: by
// dragging an item's handle with a finger or a mouse, or with its ↑ ↓ buttons, each move said in
// a live region) and the results on every screen (the room's order by mean rank with its 95% CI,
// Borda score and how often each item was put at each place; for the catalog's principles the
// nation's order beside it, lines joining each item's two places, and the item whose places
// differ most in words).
import { el, groupPlural, integer } from "./common.js";

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** A copy of `items` in a random order: the first item shown is not always the one put first. */
function shuffled(items) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Six dots, the usual "drag me" sign. */
const GRIP = [4, 10, 16]
  .flatMap((y) => [7, 13].map((x) => `M${x - 1.8},${y}a1.8,1.8 0 1,0 3.6,0a1.8,1.8 0 1,0 -3.6,0`))
  .join("");

/** How far from a window's edge a dragged item scrolls the page. */
const EDGE = 56;

/**
 * The participant's ranking: `{ content, answer, describedBy }` as the other kinds' inputs.
 * Ranking all the items: one list, in a random order, that the participant reorders (their order
 * counts once they have moved an item or said the order shown is theirs). A top k: the items as
 * toggle buttons, pressed in order of preference; the chosen ones form "Your ranking", reordered
 * in the same ways. Every change bubbles as a `change` event (the form then counts it).
 */
export function rankingInput(question) {
  const items = question.responses.map((r) => ({ index: r.index, label: r.response }));
  const k = Math.min(question.top_k ?? items.length, items.length);
  const all = k >= items.length;
  const offered = shuffled(items);
  let ranked = all ? [...offered] : [];
  // Ranking all: the order shown counts only once the participant made it (or kept it) theirs.
  let confirmed = !all;
  const id = (part) => `${question.var_name}-${part}`;
  const live = el("p", { class: "visually-hidden", role: "status", id: id("said") });
  const hint = el(
    "p",
    { class: "hint", id: id("hint") },
    all
      ? `Put the ${items.length} items in your order, your first choice at the top: drag an item by its handle (the six dots), or move it with its ↑ ↓ buttons.`
      : `Choose your top ${k} of ${items.length} in order: tap your first choice among the items, then your second${k > 2 ? ", and so on" : ""} (tap a chosen one again to take it out). Reorder “Your ranking” by dragging or with ↑ ↓.`,
  );
  const list = el("ol", { class: "rank-list", id: id("list"), "aria-label": all ? "Your ranking" : `Your top ${k}` });
  const keep = all
    ? el(
        "button",
        {
          type: "button",
          class: "secondary small rank-keep",
          onclick: () => {
            confirmed = true;
            say("This order is your ranking.");
            changed();
            list.querySelector("button:not(:disabled)")?.focus();
          },
        },
        "Keep this order",
      )
    : null;
  const pool = all ? null : el("ul", { class: "rank-pool", "aria-label": `Items: choose ${k}` });
  const root = el(
    "div",
    { class: "ranking-input" },
    hint,
    all ? null : el("p", { class: "rank-heading", "aria-hidden": "true" }, "Your ranking"),
    list,
    keep,
    all ? null : el("p", { class: "rank-heading", "aria-hidden": "true" }, `The ${items.length} items`),
    pool,
    live,
  );

  const say = (text) => {
    // The same words twice are heard twice: clear first.
    live.textContent = "";
    requestAnimationFrame(() => {
      live.textContent = text;
    });
  };
  const placeText = (item) => {
    const place = ranked.indexOf(item) + 1;
    return all
      ? `${item.label}: now ${ordinal(place)} of ${items.length}.`
      : `${item.label}: ${ordinal(place)} of your top ${k}.`;
  };
  const changed = () => {
    render();
    root.dispatchEvent(new Event("change", { bubbles: true }));
  };
  /** Focuses the first of `moves` (up, down) of the item's buttons that is enabled. */
  const focusIn = (item, moves) => {
    const row = list.querySelector(`[data-item="${item.index}"]`);
    const target = moves.map((m) => row?.querySelector(`button[data-move="${m}"]`)).find((b) => b && !b.disabled);
    target?.focus();
  };
  const move = (item, by, button) => {
    const from = ranked.indexOf(item);
    const to = from + by;
    if (to < 0 || to >= ranked.length) return;
    ranked.splice(from, 1);
    ranked.splice(to, 0, item);
    confirmed = true;
    changed();
    say(placeText(item));
    // The same button keeps the focus, unless the item reached an end (then its other arrow).
    focusIn(item, [button, button === "up" ? "down" : "up"]);
  };
  const toggle = (item) => {
    const place = ranked.indexOf(item);
    if (place >= 0) {
      ranked.splice(place, 1);
      say(`${item.label} removed from your ranking. ${ranked.length} of ${k} chosen.`);
    } else if (ranked.length < k) {
      ranked.push(item);
      say(
        `${placeText(item)}${ranked.length === k ? " Your ranking is complete." : ` Now choose your ${ordinal(ranked.length + 1)}.`}`,
      );
    }
    changed();
  };

  const row = (item, place) => {
    const moveButton = (direction, label, by) =>
      el(
        "button",
        {
          type: "button",
          class: "rank-move",
          "data-move": direction,
          "aria-label": `Move ${item.label} ${direction}`,
          "aria-describedby": id(`place-${item.index}`),
          disabled: place + by < 0 || place + by >= ranked.length,
          onclick: () => move(item, by, direction),
        },
        label,
      );
    const handle = el(
      "span",
      { class: "rank-handle", "aria-hidden": "true", title: "Drag to reorder" },
      el("svg", { viewBox: "0 0 20 20", "aria-hidden": "true" }, el("path", { d: GRIP })),
    );
    const node = el(
      "li",
      { class: "rank-item", dataset: { item: String(item.index) } },
      handle,
      el("span", { class: "rank-place", id: id(`place-${item.index}`) }, String(place + 1)),
      el("span", { class: "rank-text" }, item.label),
      el("span", { class: "rank-moves" }, moveButton("up", "↑", -1), moveButton("down", "↓", 1)),
    );
    handle.addEventListener("pointerdown", (event) => drag(event, node, item));
    return node;
  };

  /** Drags a row by its handle (pointer events: a finger, a pen or a mouse); the list reorders
   *  under it as it passes the middle of another row, and the order counts when it is let go.
   *  The row moves in the document as it goes, which ends any pointer capture: the document
   *  hears the pointer instead. */
  const drag = (event, node, item) => {
    if (event.button !== 0 || ranked.length < 2) return;
    event.preventDefault();
    const pointer = event.pointerId;
    const startY = event.pageY;
    const startTop = node.offsetTop;
    node.classList.add("dragging");
    list.classList.add("sorting");
    const follow = (moveEvent) => {
      if (moveEvent.pointerId !== pointer) return;
      moveEvent.preventDefault();
      const rows = [...list.querySelectorAll(".rank-item")].filter((r) => r !== node);
      const at = rows.findIndex((r) => {
        const box = r.getBoundingClientRect();
        return moveEvent.clientY < box.top + box.height / 2;
      });
      const before = at < 0 ? (rows.at(-1)?.nextElementSibling ?? null) : rows[at];
      if (node.nextElementSibling !== before && before !== node) list.insertBefore(node, before);
      node.style.transform = `translateY(${startTop + (moveEvent.pageY - startY) - node.offsetTop}px)`;
      // Near the window's top or bottom, the page scrolls so that any place can be reached.
      if (moveEvent.clientY < EDGE) window.scrollBy(0, -12);
      else if (moveEvent.clientY > innerHeight - EDGE) window.scrollBy(0, 12);
    };
    const end = (endEvent) => {
      if (endEvent.pointerId !== pointer) return;
      document.removeEventListener("pointermove", follow);
      document.removeEventListener("pointerup", end);
      document.removeEventListener("pointercancel", end);
      node.classList.remove("dragging");
      list.classList.remove("sorting");
      node.style.transform = "";
      const order = [...list.querySelectorAll(".rank-item")].map((r) => Number(r.dataset.item));
      const next = order.map((index) => ranked.find((r) => r.index === index));
      const moved = next.some((r, i) => r !== ranked[i]);
      if (endEvent.type === "pointercancel" || !moved) {
        render(); // back where it was
        return;
      }
      ranked = next;
      confirmed = true;
      changed();
      say(placeText(item));
    };
    document.addEventListener("pointermove", follow);
    document.addEventListener("pointerup", end);
    document.addEventListener("pointercancel", end);
  };

  const render = () => {
    const rows = ranked.map(row);
    const slots = Array.from({ length: all ? 0 : k - ranked.length }, (_, i) =>
      el(
        "li",
        { class: "rank-slot" },
        el("span", { class: "rank-place" }, String(ranked.length + i + 1)),
        el("span", { class: "rank-text" }, i === 0 ? "Tap an item below" : "—"),
      ),
    );
    list.replaceChildren(...rows, ...slots);
    list.classList.toggle("confirmed", confirmed);
    if (keep) keep.hidden = confirmed;
    if (!pool) return;
    const full = ranked.length >= k;
    pool.replaceChildren(
      ...offered.map((item) => {
        const place = ranked.indexOf(item);
        return el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "rank-add",
              "data-item": String(item.index),
              "aria-pressed": String(place >= 0),
              disabled: full && place < 0,
              onclick: () => {
                toggle(item);
                // The pool is drawn anew: the focus stays on this item's button.
                pool.querySelector(`button[data-item="${item.index}"]`)?.focus();
              },
            },
            el("span", { class: "rank-mark", "aria-hidden": "true" }, place >= 0 ? ordinal(place + 1) : "+"),
            el("span", { class: "rank-text" }, item.label),
          ),
        );
      }),
    );
  };

  render();

  return {
    content: [root],
    describedBy: id("hint"),
    answer: () =>
      confirmed && ranked.length === k ? { var_name: question.var_name, ranking: ranked.map((r) => r.index) } : null,
  };
}

/** "1.8 (1.5–2.1)": a mean rank with its interval. */
const meanRankText = (m) =>
  m == null
    ? "–"
    : m.ci_low == null
      ? m.mean.toFixed(1)
      : `${m.mean.toFixed(1)} (${m.ci_low.toFixed(1)}–${m.ci_high.toFixed(1)})`;
/** "78% (75–81)": a share (0–1) with its interval, whole percents as the charts show them. */
const shareText = (s) =>
  s == null
    ? "–"
    : s.ci_low == null
      ? `${Math.round(s.p * 100)}%`
      : `${Math.round(s.p * 100)}% (${Math.round(s.ci_low * 100)}–${Math.round(s.ci_high * 100)})`;
const share1 = (s) =>
  s == null
    ? "–"
    : `${(s.p * 100).toFixed(1)}%${s.ci_low == null ? "" : ` (95% CI ${(s.ci_low * 100).toFixed(1)}–${(s.ci_high * 100).toFixed(1)})`}`;
const quoted = (labels) => labels.map((l) => `“${l}”`).join(" or ");

/** Where a room row's cells go in the narrow layout: place, item and value on a line, the mean's
 *  track under them, then the places and the Borda score. */
const NARROW_ORDER = { place: 0, label: 1, value: 2, track: 3, dist: 4, borda: 5 };

/** The sentence naming the item whose places differ most, or null. */
export function differsSentence(question) {
  const nation = question.nation;
  if (!nation || nation.differs_most == null) return null;
  const item = nation.items.find((i) => i.index === nation.differs_most);
  if (!item) return null;
  const label = question.items.find((i) => i.index === item.index)?.label ?? "";
  if (item.room_place === item.nation_place) return "The room orders the items as the nation does.";
  return `The room puts “${label}” ${ordinal(item.room_place)}; the nation ${ordinal(item.nation_place)}.`;
}

/**
 * A ranking's results, kept up to date: the chart (its cells are made once per item and moved
 * as the order changes, so bars glide), the differs-most sentence, and the same numbers in a
 * table for screen readers. `node` is the card's body; `legend` its line of who answered; `extra`
 * what goes under it (the table, and the groups' mean ranks when `showGroups`).
 */
export class RankingResults {
  constructor(question, { showGroups = false } = {}) {
    this.showGroups = showGroups;
    this.count = el("span", { class: "count" });
    const n = question.responses.length;
    const k = question.top_k ?? n;
    this.hasNation = Boolean(question.nation);
    const nation = question.nation;
    this.legend = [
      this.count,
      ` · ${k >= n ? `each ranked all ${n}` : `each ranked their top ${k} of ${n}`} · mean rank (1 = first) with its 95% CI`,
    ];
    this.chart = el("div", {
      class: `rank-chart${this.hasNation ? " with-nation" : ""}`,
      "aria-hidden": "true",
      style: `--items: ${n}; --places: ${k}`,
    });
    this.sentence = el("p", { class: "rank-sentence" });
    this.node = el("div", { class: "result-body rank-body" }, this.chart, this.sentence);
    this.table = el("table", {});
    this.groupBox = showGroups ? el("div", { class: "group-results rank-groups" }) : null;
    this.extra = [el("div", { class: "visually-hidden" }, this.table), this.groupBox];
    const cell = (kind, text = "", attributes = {}) => el("div", { class: `rk ${kind}`, ...attributes }, text);
    const heads = [
      cell("rk-head rk-h-room", "This room", { style: "--o: 0" }),
      cell("rk-head rk-h-mean", "Mean rank (95% CI)", { style: "--o: 0" }),
      cell("rk-head rk-h-borda", "Borda", { style: "--o: 0" }),
      cell("rk-head rk-h-dist", "Places", { style: "--o: 0" }),
    ];
    if (this.hasNation)
      heads.push(
        cell(
          "rk-head rk-h-nation",
          `US adults, BLW wave ${nation.wave}: weighted share ${quoted(nation.responses)} (95% CI)`,
          { style: "--o: 5000" },
        ),
      );
    // The lines' box is a cell of its own; the drawing inside it takes no part in the grid's sizing.
    this.lines = this.hasNation ? el("svg", { "aria-hidden": "true" }) : null;
    this.slope = this.hasNation ? el("div", { class: "rk-slope" }, this.lines) : null;
    // One set of cells per item: the room's row, and the nation's when it is there.
    this.rows = question.responses.map((response) => {
      const ci = el("div", { class: "mean-ci" });
      const mark = el("div", { class: "mean-mark" });
      const bars = Array.from({ length: k }, () => el("span", { class: "rk-dist-bar" }));
      const room = {
        place: cell("rk-place"),
        label: cell("rk-label", response.response),
        track: el("div", { class: "rk rk-track mean-track" }, ci, mark),
        value: cell("rk-value"),
        borda: cell("rk-borda"),
        dist: el("div", { class: "rk rk-dist" }, bars),
      };
      const national = this.hasNation
        ? { place: cell("rk-nplace"), label: cell("rk-nlabel", response.response), value: cell("rk-nvalue") }
        : null;
      const line = this.lines ? el("path", { class: "rk-line" }) : null;
      if (line) this.lines.append(line);
      return { index: response.index, room, national, ci, mark, bars, line };
    });
    this.chart.replaceChildren(
      ...heads,
      ...this.rows.flatMap((r) => [...Object.values(r.room), ...(r.national ? Object.values(r.national) : [])]),
      ...(this.slope ? [this.slope] : []),
    );
    // The lines join each item's two rows, wherever the layout put them.
    this.resize = new ResizeObserver(() => this.drawLines());
    if (this.slope) this.resize.observe(this.chart);
  }

  dispose() {
    this.resize.disconnect();
  }

  update(question) {
    const n = question.responses.length;
    const k = question.top_k ?? n;
    const items = new Map(question.items.map((item) => [item.index, item]));
    const roomPlace = new Map(question.room_order.map((index, i) => [index, i + 1]));
    const nation = question.nation;
    const nationItems = new Map((nation?.items ?? []).map((item) => [item.index, item]));
    const at = (x) => `${(((x - 1) / Math.max(1, n - 1)) * 100).toFixed(2)}%`;
    const highlight = nation?.differs_most;
    for (const row of this.rows) {
      const item = items.get(row.index);
      const place = roomPlace.get(row.index) ?? n;
      const mean = item?.mean_rank;
      // --r: the row in the wide grid; --o: the order in the narrow one (cells of a row together).
      for (const [part, node] of Object.entries(row.room)) {
        node.style.setProperty("--r", String(place + 1));
        node.style.setProperty("--o", String(place * 10 + NARROW_ORDER[part]));
        node.classList.toggle("rk-differs", row.index === highlight);
      }
      row.room.place.textContent = String(place);
      row.room.value.textContent = meanRankText(mean);
      row.room.borda.textContent = `${integer(item?.borda ?? 0)} pts`;
      row.mark.hidden = !mean;
      row.ci.hidden = mean?.ci_low == null;
      if (mean) {
        row.mark.style.left = at(mean.mean);
        if (mean.ci_low != null) {
          row.ci.style.left = at(Math.max(1, mean.ci_low));
          row.ci.style.right = `calc(100% - ${at(Math.min(n, mean.ci_high))})`;
        }
      }
      const distribution = item?.distribution ?? [];
      const tallest = Math.max(1, ...distribution);
      row.bars.forEach((bar, i) => {
        bar.style.transform = `scaleY(${((distribution[i] ?? 0) / tallest).toFixed(4)})`;
      });
      row.room.dist.title = distribution.map((c, i) => `${ordinal(i + 1)}: ${integer(c)}`).join(", ");
      if (row.national) {
        const national = nationItems.get(row.index);
        const nationPlace = national?.nation_place ?? n;
        for (const [i, node] of Object.values(row.national).entries()) {
          node.style.setProperty("--r", String(nationPlace + 1));
          node.style.setProperty("--o", String(5000 + nationPlace * 10 + i));
          node.classList.toggle("rk-differs", row.index === highlight);
        }
        row.national.place.textContent = String(nationPlace);
        row.national.value.textContent = shareText(national?.share);
        row.line.classList.toggle("rk-differs", row.index === highlight);
        // --rr: the room's row, where the nation's cells go when the slide is too full for lines.
        for (const node of Object.values(row.national)) node.style.setProperty("--rr", String(place + 1));
      }
    }
    this.count.textContent = `${integer(question.respondents)} ${question.respondents === 1 ? "person" : "people"} ranked`;
    const sentence = differsSentence(question);
    this.sentence.textContent = sentence ?? "";
    this.sentence.hidden = !sentence;
    this.table.replaceChildren(...rankingTable(question, k));
    if (this.groupBox) this.groupBox.replaceChildren(...(question.groups?.length ? [groupRanksTable(question)] : []));
    this.drawLines();
  }

  /** Each item's line from its place in the room to its place in the nation. */
  drawLines() {
    if (!this.slope?.isConnected) return;
    const box = this.slope.getBoundingClientRect();
    if (!box.width || !box.height) return;
    this.lines.setAttribute("viewBox", `0 0 ${box.width.toFixed(1)} ${box.height.toFixed(1)}`);
    const middle = (node) => {
      const r = node.getBoundingClientRect();
      return r.top + r.height / 2 - box.top;
    };
    for (const row of this.rows) {
      if (!row.line) continue;
      const [y1, y2] = [middle(row.room.label), middle(row.national.label)];
      row.line.setAttribute("d", `M2,${y1.toFixed(1)}L${(box.width - 2).toFixed(1)},${y2.toFixed(1)}`);
    }
  }
}

/** The room's order and (if shown) the nation's, as rows of a table. */
function rankingTable(question, k) {
  const nation = question.nation;
  const nationItems = new Map((nation?.items ?? []).map((item) => [item.index, item]));
  const items = new Map(question.items.map((item) => [item.index, item]));
  const places = Array.from({ length: k }, (_, i) => ordinal(i + 1));
  const unranked = k < question.responses.length;
  return [
    el(
      "caption",
      {},
      `The room's order by mean rank (1 = first)${nation ? `, and US adults’ order by the weighted share answering ${quoted(nation.responses)} (BLW wave ${nation.wave})` : ""}`,
    ),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, "Room place"),
        el("th", { scope: "col" }, "Item"),
        el("th", { scope: "col" }, "Mean rank (95% CI)"),
        el("th", { scope: "col" }, "Borda score"),
        places.map((p) => el("th", { scope: "col" }, `Put ${p}`)),
        unranked ? el("th", { scope: "col" }, "Not in the top") : null,
        nation ? [el("th", { scope: "col" }, "US place"), el("th", { scope: "col" }, "US share (95% CI)")] : null,
      ),
    ),
    el(
      "tbody",
      {},
      question.room_order.map((index, i) => {
        const item = items.get(index);
        const national = nationItems.get(index);
        return el(
          "tr",
          {},
          el("td", {}, ordinal(i + 1)),
          el("th", { scope: "row" }, item?.label ?? ""),
          el("td", {}, meanRankText(item?.mean_rank)),
          el("td", {}, integer(item?.borda ?? 0)),
          places.map((_, p) => el("td", {}, integer(item?.distribution[p] ?? 0))),
          unranked ? el("td", {}, integer(item?.unranked ?? 0)) : null,
          nation
            ? [el("td", {}, national ? ordinal(national.nation_place) : "–"), el("td", {}, share1(national?.share))]
            : null,
        );
      }),
    ),
  ];
}

/** The groups' mean ranks (staff screens), items in the room's order. */
function groupRanksTable(question) {
  const items = new Map(question.items.map((item) => [item.index, item]));
  return el(
    "table",
    {},
    el("caption", {}, "Mean rank by group (1 = first; 95% CI)"),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, "Item"),
        question.groups.map((g) =>
          el("th", { scope: "col", class: "num" }, `${groupPlural(g.group)} (n = ${integer(g.n)})`),
        ),
      ),
    ),
    el(
      "tbody",
      {},
      question.room_order.map((index) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, items.get(index)?.label ?? ""),
          question.groups.map((g) => el("td", { class: "num" }, meanRankText(g.mean_ranks[index]))),
        ),
      ),
    ),
  );
}
