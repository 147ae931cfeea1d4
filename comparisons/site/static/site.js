// Ships with the site (no network). Records any error on the page so a browser test
// (and a reader) can see that the page rendered cleanly; highlights a trace on hover;
// a legend entry hides or shows its trace when clicked, and `#hide=a,b` in the address
// hides the traces of those models when the page opens (a link to a narrowed plot).
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
  function toggle(entry) {
    var figure = entry.closest(".figure");
    var trace = figure.querySelector('.trace[data-trace="' + entry.dataset.trace + '"]');
    var hidden = trace.classList.toggle("hidden");
    entry.classList.toggle("off", hidden);
  }
  var hide = (location.hash.match(/^#hide=(.*)$/) || [null, ""])[1].split(",");
  document.querySelectorAll(".legend .toggle").forEach(function (entry) {
    entry.addEventListener("click", function () { toggle(entry); });
    if (hide.indexOf(decodeURIComponent(entry.dataset.backend)) >= 0) { toggle(entry); }
  });
  document.documentElement.setAttribute("data-rendered", "yes");
});
