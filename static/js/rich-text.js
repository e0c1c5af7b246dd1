// Rich text where a form has `<textarea data-rich-text>`: the textarea gives way to a Trix editor that
// writes the same field (a hidden input of the same name). Without JavaScript the textarea stays, taking
// HTML. Either way the server sanitises what arrives (nh3), so this is comfort, not a defence.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Trix) return;
  window.Trix.config.blockAttributes.heading1.tagName = "h2"; // the page has its own h1
  document.addEventListener("trix-file-accept", (event) => event.preventDefault()); // files go through uploads
  document.querySelectorAll("textarea[data-rich-text]").forEach((area, n) => {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = area.name;
    input.id = `${area.id || "rich-text"}-${n}-value`;
    input.value = area.value;
    const editor = document.createElement("trix-editor");
    editor.setAttribute("input", input.id);
    const label = area.labels && area.labels[0] ? area.labels[0].firstChild.textContent.trim() : "";
    editor.setAttribute("aria-label", label || "Text");
    editor.classList.add("rich-text");
    area.replaceWith(input, editor);
  });
});
