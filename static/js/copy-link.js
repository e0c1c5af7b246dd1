// "Copy link" buttons (My achievements; an integration's new secret): `data-copy` names the input whose value is
// copied, `data-copied-text` what the live region says then (default "Link copied."). The buttons are
// hidden until this script runs, so that without script nobody sees a button that does nothing. Loaded as a
// file: the CSP allows no inline script. What happened is said in a polite live region next to the button: a
// screen reader does not announce a button's changed name. The region is put there before any click, since a
// region added together with its text is often not announced.
function enableCopyButtons(root) {
  for (const button of (root || document).querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    if (button.dataset.copyReady) continue;
    button.dataset.copyReady = "1";
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    button.after(status);
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      status.textContent = "";
      try {
        await navigator.clipboard.writeText(input.value);
        button.textContent = "Copied";
        status.textContent = button.dataset.copiedText || "Link copied.";
      } catch {
        input.select();
        button.textContent = "Press Ctrl+C to copy";
        status.textContent = "The link is selected: press Ctrl+C to copy it.";
      }
    });
  }
}
document.addEventListener("DOMContentLoaded", () => enableCopyButtons());
document.addEventListener("htmx:afterSwap", (event) => enableCopyButtons(event.target.parentElement || document));
