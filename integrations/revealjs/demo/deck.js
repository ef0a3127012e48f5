// The demo deck: reveal.js with the BLW poll plugin. The poll server and the presenter link come
// in the address (index.html?server=https://polls.example.org&secret=blwp_…): the secret is kept
// for this tab (sessionStorage) and taken off the address bar at once, so that it is neither on
// the projected screen nor in a link copied from it. A real deck may set both in its own code
// instead; never publish a deck with the secret in it. `presenter-results=speaker-view` (or `all`)
// in the address: the speaker view (or this deck) shows results still hidden from the room.
import Reveal from "../../../node_modules/reveal.js/dist/reveal.esm.js";
import RevealNotes from "../../../node_modules/reveal.js/plugin/notes/notes.esm.js";
import BlwPoll from "../blw-poll.js";

const address = new URL(location.href);
const server = address.searchParams.get("server") ?? sessionStorage.getItem("blw-demo:server") ?? location.origin;
const given = address.searchParams.get("secret");
if (given) sessionStorage.setItem("blw-demo:secret", given);
sessionStorage.setItem("blw-demo:server", server);
if (given) {
  address.searchParams.delete("secret");
  history.replaceState(null, "", address);
}

Reveal.initialize({
  hash: true,
  width: 1280,
  height: 720,
  margin: 0.02,
  plugins: [BlwPoll, RevealNotes],
  blwPoll: {
    server,
    secret: sessionStorage.getItem("blw-demo:secret"),
    presenterResults: address.searchParams.get("presenter-results") ?? "none",
  },
});
