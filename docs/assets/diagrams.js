// Diagrams legible where they sit, and pan/zoom controls that cover nothing.
//
// Material draws a diagram's SVG scaled down to the column; a wide one ends up with text a few
// pixels high. Each diagram is drawn at least at the width where its smallest text is MIN_PX
// (its box then scrolls sideways), and in full screen it fills the screen, centred.
// Shadow roots are open (docs/overrides/main.html), so the SVG can be measured.
(function () {
  var MIN_PX = 11;

  function svgOf(host) {
    var root = host.shadowRoot || host;
    return root.querySelector("svg");
  }

  function fit(host) {
    var svg = svgOf(host);
    if (!svg) return false;
    var vb = svg.viewBox && svg.viewBox.baseVal;
    if (!vb || !vb.width) return true;
    var sizes = Array.from(svg.querySelectorAll("text, .nodeLabel, .edgeLabel"))
      .filter(function (t) { return (t.textContent || "").trim(); })
      .map(function (t) { return parseFloat(getComputedStyle(t).fontSize); })
      .filter(function (s) { return s > 0; });
    if (!sizes.length) return true;
    var need = Math.ceil((vb.width * MIN_PX) / Math.min.apply(null, sizes));
    host.dataset.legibleWidth = String(need);
    if (svg.getBoundingClientRect().width + 0.5 < need) {
      svg.style.maxWidth = "none";
      svg.style.width = need + "px";
      svg.style.height = "auto";
      host.classList.add("diagram-wide");
    }
    return true;
  }

  function fullScreen(box, on) {
    var host = box.querySelector(".mermaid");
    var svg = host && svgOf(host);
    if (!svg) return;
    if (on) {
      svg.dataset.inline = svg.getAttribute("style") || "";
      svg.style.maxWidth = "none";
      svg.style.width = "100%";
      svg.style.height = "100%";
    } else {
      svg.setAttribute("style", svg.dataset.inline || "");
    }
  }

  function setUp() {
    var hosts = Array.from(document.querySelectorAll("div.mermaid"));
    var pending = hosts.filter(function (h) { return !h.dataset.legibleWidth && !fit(h); });
    document.querySelectorAll(".panzoom-box").forEach(function (box) {
      if (box.dataset.fullScreenHook) return;
      box.dataset.fullScreenHook = "1";
      var max = box.querySelector(".panzoom-max");
      var min = box.querySelector(".panzoom-min");
      if (max) max.addEventListener("click", function () { fullScreen(box, true); });
      if (min) min.addEventListener("click", function () { fullScreen(box, false); });
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape") fullScreen(box, false);
      });
    });
    return pending.length === 0 && hosts.length === document.querySelectorAll(".mermaid").length;
  }

  function watch() {
    var tries = 0;
    var timer = setInterval(function () {
      tries += 1;
      if (setUp() || tries > 100) clearInterval(timer);
    }, 100);
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(watch);
  } else {
    document.addEventListener("DOMContentLoaded", watch);
  }
})();
