// A question's countdown ("0:23 left"), from the results' `voting_closes_at`. The deadline is the
// database's clock; a screen's clock is taken to be right to the second (phones and laptops keep
// network time). The server closes the voting at zero whatever a screen shows.
import { el } from "./common.js";

/** A countdown element (`node`) and `set(closesAt)`: an ISO time to count down to, or null to hide. */
export function countdown() {
  // role=timer: not read out every second; its text is there when a screen reader asks.
  const node = el("p", { class: "countdown", role: "timer", hidden: true });
  let until = null;
  let timer = 0;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    node.textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left` : "Time’s up";
    node.classList.toggle("urgent", left <= 10);
    if (left > 0) timer = setTimeout(tick, 250);
  };
  return {
    node,
    set(closesAt) {
      const next = closesAt ? Date.parse(closesAt) : null;
      if (next === until) return;
      clearTimeout(timer);
      until = next;
      node.hidden = until == null;
      if (until != null) tick();
    },
  };
}
