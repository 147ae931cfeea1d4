// Ships with the site (no network). Records any error on the page so a browser test
// (and a reader) can see that the page rendered cleanly; highlights a trace on hover.
window.siteErrors = [];
window.addEventListener("error", function (e) {
  window.siteErrors.push(String(e.message || (e.target && e.target.src) || "error"));
  document.documentElement.setAttribute("data-errors", window.siteErrors.join(" | "));
}, true);
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("svg.plot .trace").forEach(function (g) {
    g.addEventListener("mouseenter", function () { g.setAttribute("stroke-width", "3"); });
    g.addEventListener("mouseleave", function () { g.setAttribute("stroke-width", "1.5"); });
  });
  document.documentElement.setAttribute("data-rendered", "yes");
});
