// "Copy link" buttons (My achievements): `data-copy` names the input whose value is copied. The buttons are
// hidden until this script runs, so that without script nobody sees a button that does nothing. Loaded as a
// file: the CSP allows no inline script.
function enableCopyButtons(root) {
  for (const button of (root || document).querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    if (button.dataset.copyReady) continue;
    button.dataset.copyReady = "1";
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(input.value);
        button.textContent = "Copied";
      } catch {
        input.select();
        button.textContent = "Press Ctrl+C to copy";
      }
    });
  }
}
document.addEventListener("DOMContentLoaded", () => enableCopyButtons());
document.addEventListener("htmx:afterSwap", (event) => enableCopyButtons(event.target.parentElement || document));
