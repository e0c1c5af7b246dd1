// Wide tables on a phone: a `.table-wrap` whose table is wider than the screen scrolls sideways. Such a
// container gets a visible hint (app.css) and keyboard access (WCAG 2.1.1: a scrollable region must be
// focusable), named after its table's caption or the heading before it. Re-checked after htmx swaps and
// when the window changes size. Loaded as a file: the CSP allows no inline script.
function markScrollableTables(root) {
  for (const wrap of (root || document).querySelectorAll(".table-wrap")) {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    wrap.classList.toggle("is-scrollable", scrolls);
    if (scrolls) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      if (!wrap.hasAttribute("aria-label")) {
        const caption = wrap.querySelector("caption");
        let heading = wrap.previousElementSibling;
        while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
        const name = (caption || heading || {}).textContent || "Table";
        wrap.setAttribute("aria-label", `${name.trim()} (scrolls sideways)`);
      }
    } else if (wrap.getAttribute("role") === "region") {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
    }
  }
}

document.addEventListener("DOMContentLoaded", () => markScrollableTables());
document.addEventListener("htmx:load", (event) => markScrollableTables(event.target.parentElement || document));
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => markScrollableTables(), 150);
});

// A link to a table inside a closed "Show the figures" (a chart's caption: "Every class is in the table below")
// opens it first: Chromium opens a closed <details> on fragment navigation, other browsers may only scroll to it.
function openDetailsAround(id) {
  const target = id && document.getElementById(id);
  for (let node = target; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
  }
}
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#"]');
  if (link) openDetailsAround(decodeURIComponent(link.getAttribute("href").slice(1)));
});
window.addEventListener("hashchange", () => openDetailsAround(decodeURIComponent(location.hash.slice(1))));
