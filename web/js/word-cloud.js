// A word cloud for a words question: d3-cloud lays the words out (horizontal only, sized by count)
// into an SVG, and a ranked table carries the same words for screen readers and for anyone who
// prefers a list. Needs the vendored d3 and d3.layout.cloud globals; without them (a page that did
// not load them) the list is all there is.
import { el, integer } from "./common.js";

/** Redrawing lays every word out again: not more often than this while answers pour in. */
const LAYOUT_EVERY_MS = 800;
/** Okabe–Ito hues with enough contrast for text on the light page and on the presenter's dark one. */
const PALETTE = {
  light: ["#0072B2", "#A84800", "#00734F", "#8E4585", "#1b1f24"],
  dark: ["#56B4E9", "#E69F00", "#F0E442", "#CC79A7", "#6FD3B0"],
};
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

let serial = 0;

/** A small seeded generator (mulberry32): the same words give the same layout on every screen. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const reducedMotion = () => window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;

/** Whether the public does not see a word (staff results mark why); an allowed word it sees. */
const keptFromPublic = (w) => w.moderation === "blocked" || w.moderation === "hidden";

/** What an admin may do to a word, by its moderation: [action, label, aria-label]. */
function moderationAction(w) {
  if (w.moderation === "hidden") return ["show", "Show", `Show “${w.word}”`];
  if (w.moderation === "blocked") return ["allow", "Allow", `Allow “${w.word}”`];
  if (w.moderation === "allowed") return ["block", "Block again", `Block “${w.word}” again`];
  return ["hide", "Hide", `Hide “${w.word}”`];
}

export class WordCloud {
  /**
   * `dark`: the presenter's palette. `listShown`: start with the ranked list on screen (the
   * console). `onModerate(word, action)`: admins hide a word from the public or show it again
   * (`hide`, `show`), let a blocked word through for this question or block it again (`allow`,
   * `block`).
   */
  constructor({ dark = false, listShown = false, onModerate = null, title = "" } = {}) {
    serial += 1;
    this.id = `word-cloud-${serial}`;
    this.dark = dark;
    this.onModerate = onModerate;
    this.words = [];
    this.hiddenHere = new Set(); // words this screen hid (public results no longer carry them)
    this.canLayOut = typeof d3 !== "undefined" && typeof d3.layout?.cloud === "function";
    this.svg = el("svg", {
      class: "word-cloud",
      role: "img",
      "aria-label": `Word cloud${title ? ` for “${title}”` : ""}`,
      "aria-describedby": `${this.id}-list`,
    });
    this.empty = el("p", { class: "cloud-empty" }, "No words yet.");
    this.cloudBox = el("div", { class: "cloud-box" }, this.svg, this.empty);
    this.tableBody = el("tbody");
    this.table = el(
      "table",
      { id: `${this.id}-list`, class: "word-table" },
      el("caption", {}, "Words, most frequent first"),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col", class: "num" }, "Rank"),
          el("th", { scope: "col" }, "Word"),
          el("th", { scope: "col", class: "num" }, "People"),
          onModerate ? el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Moderation")) : null,
        ),
      ),
      this.tableBody,
    );
    this.listBox = el(
      "div",
      {
        class: "word-list",
        id: `${this.id}-box`,
        role: "region",
        "aria-label": `Words${title ? ` for “${title}”` : ""} as a ranked list`,
      },
      this.table,
    );
    this.toggle = el(
      "button",
      {
        type: "button",
        class: "secondary small list-toggle",
        "aria-controls": `${this.id}-box`,
        onclick: () => this.showList(!this.listShown),
      },
      "Show as a list",
    );
    this.undo = el("p", { class: "word-undo" });
    this.node = el("div", { class: "words-view" }, this.cloudBox, this.listBox, this.undo);
    this.showList(listShown || !this.canLayOut);
    if (!this.canLayOut) this.toggle.hidden = true;
    // Lays out again when the box gets its size (a card shown after being hidden) or changes it.
    this.size = [0, 0];
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.cloudBox);
  }

  /** The ranked list on screen (the cloud stays for sighted readers unless space is short). */
  showList(shown) {
    this.listShown = shown;
    this.node.classList.toggle("list-shown", shown);
    this.listBox.classList.toggle("visually-hidden", !shown);
    // On screen the list may scroll (a slide of 100 words): keyboards reach it then, not before.
    if (shown) this.listBox.setAttribute("tabindex", "0");
    else this.listBox.removeAttribute("tabindex");
    this.toggle.setAttribute("aria-expanded", String(shown));
    this.toggle.textContent = shown ? "Show as a cloud" : "Show as a list";
    this.renderTable();
    this.schedule();
  }

  update(words) {
    this.words = words.slice(0, 100);
    this.renderTable();
    this.schedule();
  }

  renderTable() {
    // Moderation buttons only while the list is on screen: no invisible buttons to tab into.
    const buttons = this.onModerate && this.listShown;
    this.tableBody.replaceChildren(
      ...this.words.map((w, i) =>
        el(
          "tr",
          { class: keptFromPublic(w) ? "moderated" : null, dataset: { word: w.word } },
          el("td", { class: "num" }, String(i + 1)),
          el(
            "td",
            {},
            keptFromPublic(w) ? el("s", {}, w.word) : w.word,
            w.moderation ? el("span", { class: "moderation-note" }, ` (${w.moderation})`) : null,
          ),
          el("td", { class: "num" }, integer(w.count)),
          this.onModerate ? el("td", {}, buttons ? this.moderationButton(w) : null) : null,
        ),
      ),
    );
    // Words this screen hid that the (public) results no longer carry: a way back.
    const gone = [...this.hiddenHere].filter((word) => !this.words.some((w) => w.word === word));
    this.undo.replaceChildren(
      ...(this.onModerate && gone.length
        ? [
            "Hidden from the audience: ",
            ...gone.map((word) =>
              el(
                "button",
                {
                  type: "button",
                  class: "secondary small",
                  "data-moderate": "show",
                  "aria-label": `Show “${word}” again`,
                  onclick: () => this.moderate(word, "show"),
                },
                `${word} ↺`,
              ),
            ),
          ]
        : []),
    );
  }

  /** The button that hides, shows, allows or blocks a word again. */
  moderationButton(w) {
    const [action, label, ariaLabel] = moderationAction(w);
    return el(
      "button",
      {
        type: "button",
        class: "secondary small",
        "data-moderate": action,
        "aria-label": ariaLabel,
        onclick: () => this.moderate(w.word, action),
      },
      label,
    );
  }

  async moderate(word, action) {
    if (action === "hide") {
      this.hiddenHere.add(word);
      // Gone from this screen at once; the next results confirm it.
      this.words = this.words.filter((w) => w.word !== word || w.moderation);
      this.renderTable();
      this.schedule();
    } else if (action === "show") {
      this.hiddenHere.delete(word);
      this.renderTable();
      this.schedule();
    }
    // Allowing or blocking again shows on the next results (the word's mark changes there).
    await this.onModerate(word, action);
  }

  /** Lays out again soon: at once the first time, then at most every LAYOUT_EVERY_MS. */
  schedule() {
    if (!this.canLayOut || this.timer) return;
    const wait = Math.max(0, (this.laidOutAt ?? 0) + LAYOUT_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.layout();
    }, wait);
  }

  layout() {
    const width = Math.floor(this.cloudBox.clientWidth);
    const height = Math.floor(this.cloudBox.clientHeight);
    this.empty.hidden = this.words.length > 0;
    if (width < 40 || height < 40) return; // not on screen: the resize observer calls again
    const key = JSON.stringify([width, height, this.words]);
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    this.laidOutAt = Date.now();
    const counts = this.words.map((w) => w.count);
    const [low, high] = [Math.min(...counts), Math.max(...counts)];
    // Relative sizes by the square root of the count (areas grow with it), the rarest a third of
    // the commonest; then one scale for all, chosen so that the words' boxes cover about a third
    // of the box (what the layout packs without dropping words), the commonest no taller than a
    // third of the box and no word wider than it.
    const relative = (count) => (high === low ? 0.7 : 0.33 + 0.67 * Math.sqrt((count - low) / (high - low)));
    const boxes = this.words.map((w) => ({ chars: w.word.length, rel: relative(w.count) }));
    const inked = boxes.reduce((sum, b) => sum + 0.62 * b.chars * b.rel * 1.15 * b.rel, 0);
    const scale = Math.min(
      Math.sqrt((0.34 * width * height) / inked),
      height / 3.2,
      160,
      ...boxes.map((b) => (0.92 * width) / (0.62 * b.chars * b.rel)),
    );
    this.place(width, height, (count) => Math.max(10, relative(count) * scale), 1);
  }

  /** One layout attempt; words that did not fit make another, smaller one (up to four). */
  place(width, height, size, scale, attempt = 0) {
    const words = this.words.map((w) => ({ text: w.word, count: w.count, moderated: keptFromPublic(w) }));
    d3.layout
      .cloud()
      .size([width, height])
      .words(words)
      .padding(Math.max(2, Math.round(height / 120)))
      .rotate(0)
      .font(FONT)
      .fontWeight(700)
      .fontSize((d) => Math.round(size(d.count) * scale))
      .spiral("archimedean")
      .random(seeded(20))
      .on("end", (placed) => {
        if (placed.length < words.length && attempt < 3) {
          this.place(width, height, size, scale * 0.85, attempt + 1);
          return;
        }
        this.draw(width, height, placed);
      })
      .start();
  }

  draw(width, height, placed) {
    const palette = PALETTE[this.dark ? "dark" : "light"];
    const svg = d3.select(this.svg).attr("viewBox", `0 0 ${width} ${height}`);
    this.svg.setAttribute(
      "aria-label",
      `Word cloud: ${placed.length ? placed.map((d) => `${d.text} (${d.count})`).join(", ") : "no words yet"}`,
    );
    let layer = svg.select("g");
    if (layer.empty()) layer = svg.append("g");
    layer.attr("transform", `translate(${width / 2},${height / 2})`);
    const duration = reducedMotion() ? 0 : 400;
    layer
      .selectAll("text")
      .data(placed, (d) => d.text)
      .join(
        (enter) =>
          enter
            .append("text")
            .attr("text-anchor", "middle")
            .attr("opacity", 0)
            .attr("transform", (d) => `translate(${d.x},${d.y})`)
            .call((text) => text.transition().duration(duration).attr("opacity", 1)),
        (update) =>
          update.call((text) =>
            text
              .transition()
              .duration(duration)
              .attr("opacity", 1)
              .attr("transform", (d) => `translate(${d.x},${d.y})`),
          ),
        // A hidden word fades out rather than vanishing mid-sentence.
        (exit) => exit.call((text) => text.transition().duration(duration).attr("opacity", 0).remove()),
      )
      .attr("class", (d) => (d.moderated ? "moderated" : null))
      .attr("font-family", FONT)
      .attr("font-weight", 700)
      .attr("font-size", (d) => d.size)
      .attr("fill", (d, i) => (d.moderated ? null : palette[i % palette.length]))
      .attr("data-word", (d) => d.text)
      .text((d) => d.text);
  }
}
