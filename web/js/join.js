// /join: one input for the six-digit code a presenter shows; a right code opens the poll. Also
// where /j/{code} sends a phone back when its code leads nowhere (?code=&error=).
import { api, el } from "./common.js";

const form = document.getElementById("join-form");
const input = document.getElementById("join-code");
const status = document.getElementById("join-status");

function say(text) {
  status.replaceChildren(el("p", { class: "error", role: "alert" }, text));
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

/** The message for what went wrong, as the api or the short address told it. */
function problem(kind, code, retryAfter) {
  if (kind === "format") return "A join code is six digits, like 123 456.";
  if (kind === "throttled") return `Too many wrong codes from your network. Try again in ${retryAfter ?? 60} seconds.`;
  return `No open poll has the code ${code}. Check it with the presenter's screen.`;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = input.value.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(code)) return say(problem("format"));
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const { data } = await api(`/api/polls/join/${code}`);
    location.assign(data.url);
  } catch (error) {
    if (error.status === 429) say(problem("throttled", code, error.retryAfter));
    else if (error.status === 404) say(problem("unknown", code));
    else say(error.message);
    button.disabled = false;
  }
});
input.addEventListener("input", () => input.removeAttribute("aria-invalid"));

const params = new URLSearchParams(location.search);
if (params.get("code") && /^\d{6}$/.test(params.get("code"))) input.value = params.get("code");
if (params.get("error")) say(problem(params.get("error"), params.get("code"), params.get("retry_after")));
else input.focus();
