// The add-item form asks for what the kind needs: formatted text (the rich-text editor) for lessons,
// files' notes and assessments, one https address for videos and links. Only the shown field is sent
// (the other is disabled); without JavaScript the textarea takes either, as the server expects.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-kind-switch]").forEach((form) => {
    const kind = form.querySelector("select[name=kind]");
    const rich = form.querySelector("[data-body=rich]");
    const url = form.querySelector("[data-body=url]");
    if (!kind || !rich || !url) return;
    const sync = () => {
      const wantsUrl = kind.value === "video" || kind.value === "link";
      rich.hidden = wantsUrl;
      url.hidden = !wantsUrl;
      rich.querySelectorAll("input, textarea").forEach((field) => { field.disabled = wantsUrl; });
      url.querySelectorAll("input").forEach((field) => { field.disabled = !wantsUrl; });
    };
    kind.addEventListener("change", sync);
    sync();
  });
});
