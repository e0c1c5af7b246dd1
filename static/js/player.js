// Course player: a video watched to 90 % completes its item, as pressing "Mark complete" would.
// Loaded as a file (the CSP allows no inline script); the form is the one the page already has.
document.addEventListener("DOMContentLoaded", () => {
  const video = document.querySelector("video[data-complete-form]");
  if (!video) return;
  const form = document.getElementById(video.dataset.completeForm);
  let sent = false;
  video.addEventListener("timeupdate", () => {
    if (sent || !form || !video.duration) return;
    if (video.currentTime / video.duration >= 0.9) {
      sent = true;
      if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
    }
  });
});
