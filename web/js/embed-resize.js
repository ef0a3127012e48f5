// For pages that embed Bright Line Watch charts: sizes each chart's iframe to its content. The
// chart page posts its height ({type: "blw-embed:height", height}); only messages from this
// script's own origin, and only to the iframe that sent them, are heeded.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const origin = new URL(script.src).origin;
  const frames = () => [...document.querySelectorAll("iframe")].filter((f) => f.src.startsWith(`${origin}/embed/`));
  window.addEventListener("message", (event) => {
    if (event.origin !== origin || event.data?.type !== "blw-embed:height") return;
    const height = Number(event.data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    for (const frame of frames()) {
      if (frame.contentWindow === event.source) frame.style.height = `${Math.ceil(height)}px`;
    }
  });
  // Charts that loaded before this script did: ask them for their height again.
  for (const frame of frames()) frame.contentWindow?.postMessage({ type: "blw-embed:measure" }, origin);
})();
