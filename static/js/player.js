// Course player: finishing a lesson completes it, as pressing "Mark complete" would.
// - a video watched to 90 %;
// - a long text whose end the reader scrolled to and kept in view for two seconds. A text that fits on
//   the screen is not "reached" by opening it: those keep the button.
// Loaded as a file (the CSP allows no inline script); the form is the one the page already has.
function completeWith(formId) {
  const form = document.getElementById(formId);
  if (!form || form.dataset.sent) return;
  form.dataset.sent = "1";
  if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
}

document.addEventListener("DOMContentLoaded", () => {
  const video = document.querySelector("video[data-complete-form]");
  if (video) {
    video.addEventListener("timeupdate", () => {
      if (video.duration && video.currentTime / video.duration >= 0.9) completeWith(video.dataset.completeForm);
    });
  }
  const end = document.querySelector("[data-complete-on-view]");
  if (end && "IntersectionObserver" in window) {
    let timer = null;
    let armed = null; // decided by the first observation: was the end out of sight when the page opened?
    new IntersectionObserver((entries) => {
      const visible = entries.some((entry) => entry.isIntersecting);
      if (armed === null) armed = !visible;
      if (!armed) return;
      if (visible && !timer) timer = setTimeout(() => completeWith(end.dataset.completeOnView), 2000);
      if (!visible && timer) { clearTimeout(timer); timer = null; }
    }).observe(end);
  }
});
