// Course player: finishing a lesson completes it, as pressing "Mark complete" would.
// - a video watched to 90 %;
// - a long text whose end the reader scrolled to and kept in view for two seconds. A text that fits on
//   the screen is not "reached" by opening it: those keep the button.
// It also reports the time spent on the lesson: seconds while the page is in view and in use (some input in
// the last two minutes, or the video playing), every 30 s and when the page is left.
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
  const lesson = document.querySelector("[data-time-url]");
  if (lesson) trackTime(lesson, video);
});

function trackTime(lesson, video) {
  const IDLE_MS = 120000;
  const REPORT_EVERY = 30;
  let seconds = 0;
  let lastInput = Date.now();
  const touched = () => { lastInput = Date.now(); };
  for (const name of ["pointerdown", "pointermove", "keydown", "scroll", "touchstart", "wheel"]) {
    window.addEventListener(name, touched, { passive: true });
  }
  const report = () => {
    if (!seconds) return;
    const body = new FormData();
    body.append("seconds", String(seconds));
    body.append("csrf_token", lesson.dataset.csrf);
    seconds = 0;
    navigator.sendBeacon(lesson.dataset.timeUrl, body);
  };
  setInterval(() => {
    const playing = video && !video.paused && !video.ended;
    if (document.visibilityState === "visible" && (playing || Date.now() - lastInput < IDLE_MS)) seconds += 1;
    if (seconds >= REPORT_EVERY) report();
  }, 1000);
  window.addEventListener("pagehide", report);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") report(); });
}
