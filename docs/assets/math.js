// Render formulas with the vendored KaTeX: \( … \) and \[ … \] written by pymdownx.arithmatex
// (and by docs/hooks/static_site.py for the planner's formulas). Material's instant navigation
// swaps pages without a reload, so render on every page it shows.
(function () {
  function render() {
    if (typeof renderMathInElement !== "function") return;
    document.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
        throwOnError: false,
      });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(render);
  } else {
    document.addEventListener("DOMContentLoaded", render);
  }
})();
