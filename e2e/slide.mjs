// What the room's screens show, measured in the page: every text and control a screen ever
// shows (nothing moderated may be among them), and whether a slide fits readably.
import assert from "node:assert/strict";
import { consoleLogIn } from "./harness.mjs";

/** The projector sizes every slide must fit (16:9 at two sizes, and an old 4:3). */
export const PROJECTORS = [
  [1280, 720],
  [1920, 1080],
  [1024, 768],
];

/** The presenter's screen (1440×900, logged in as `email`) on `poll`, and in a second window of
 *  the same browser the audience view at 1280×720, recording everything it shows from then on. */
export async function presenterAndAudience(suite, poll, email) {
  const presenter = await suite.page({ viewport: { width: 1440, height: 900 } });
  await consoleLogIn(presenter, suite.stack.baseURL, email);
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?screen=presenter`);
  const audience = await presenter.context().newPage();
  await audience.setViewportSize({ width: 1280, height: 720 });
  await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await recordEverything(audience);
  return { presenter, audience };
}

/** Every text node the page shows from now on, and every button or form control it ever has. */
export async function recordEverything(screen) {
  await screen.evaluate(() => {
    window.seenTexts = new Set();
    window.seenControls = [];
    const counted = new WeakSet();
    const control = (element) => {
      if (!element.matches("button, select, input, textarea") || counted.has(element)) return;
      counted.add(element);
      window.seenControls.push(element.outerHTML.slice(0, 120));
    };
    const note = (node) => {
      if (node.nodeType === Node.TEXT_NODE) window.seenTexts.add(node.textContent);
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      control(node);
      for (const element of node.querySelectorAll("*")) control(element);
      // Every text node under it, SVG text (the word cloud) included.
      const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) window.seenTexts.add(walker.currentNode.textContent);
    };
    note(document.body);
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === "characterData") window.seenTexts.add(m.target.textContent);
        for (const node of m.addedNodes) note(node);
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}
export const seen = (screen) =>
  screen.evaluate(() => ({ texts: [...window.seenTexts], controls: window.seenControls }));

/** Boxes of the text the room reads on the audience view that overlap another's, and the smallest
 *  such text's size; the page's scroll size against the viewport. */
export function measureSlide() {
  const texts = [...document.querySelectorAll(".audience-layout *")].filter(
    (e) =>
      e.getClientRects().length &&
      !e.closest(".visually-hidden, [hidden]") &&
      [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()),
  );
  const boxes = texts.map((e) => ({ text: e.textContent.trim().slice(0, 40), r: e.getBoundingClientRect() }));
  const overlaps = [];
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const [a, b] = [boxes[i].r, boxes[j].r];
      const inside = texts[i].contains(texts[j]) || texts[j].contains(texts[i]);
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (!inside && x > 1 && y > 1) overlaps.push(`${boxes[i].text} × ${boxes[j].text}`);
    }
  }
  const sizes = texts.map((e) => Number.parseFloat(getComputedStyle(e).fontSize));
  return {
    overlaps,
    smallest: Math.min(...sizes),
    scrollHeight: document.documentElement.scrollHeight,
    scrollWidth: document.documentElement.scrollWidth,
    innerHeight,
    innerWidth,
  };
}

/** The audience view fits its viewport: no scrolling either way, no text over another, and no text
 *  the room reads below the floor web/README.md states (1.15 slide units, 1% of a 16:9 slide's
 *  width each: 22 px at 1920×1080). */
export async function assertSlideFits(audience) {
  const m = await audience.evaluate(measureSlide);
  const [width, height] = [m.innerWidth, m.innerHeight];
  assert.ok(m.scrollHeight <= height && m.scrollWidth <= width, `${width}×${height} scrolls: ${JSON.stringify(m)}`);
  assert.deepEqual(m.overlaps, [], `${width}×${height}: text boxes overlap`);
  const unit = Math.min(width / 100, (height * 1.7778) / 100);
  assert.ok(m.smallest >= 1.15 * unit - 0.5, `${width}×${height}: smallest text ${m.smallest}px < ${1.15 * unit}px`);
  return m;
}
