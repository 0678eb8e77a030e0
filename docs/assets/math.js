// Render formulas with the vendored KaTeX: each .arithmatex element holds \( … \) or \[ … \]
// (written by pymdownx.arithmatex, and by docs/hooks/reader.py for the planner's formulas).
(function () {
  function render() {
    if (typeof katex === "undefined") return;
    document.querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.querySelector(".katex")) return;
      var text = el.textContent.trim();
      var display = text.startsWith("\\[");
      if (!(display || text.startsWith("\\("))) return;
      katex.render(text.slice(2, -2), el, { displayMode: display, throwOnError: false });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(render);
  } else {
    document.addEventListener("DOMContentLoaded", render);
  }
})();
