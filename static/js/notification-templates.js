// The notification template editor: an "Insert" button puts its variable at the cursor of the subject or the
// body (the one last focused, or chosen under "Insert variables into") instead of posting the form, and the
// preview follows (the form's htmx listens to input). Without this file the button posts the form, which comes
// back with the variable at the end of the chosen field.
(function () {
  "use strict";

  function chosenField(form) {
    const choice = form.querySelector("input[name=insert_into]:checked");
    return form.querySelector(choice && choice.value === "subject" ? "#subject" : "#body");
  }

  document.addEventListener("focusin", function (event) {
    const field = event.target;
    if (!field.matches("#template-form #subject, #template-form #body")) return;
    const radio = field.form.querySelector("input[name=insert_into][value=" + field.id + "]");
    if (radio) radio.checked = true;
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button.insert-variable");
    const form = document.getElementById("template-form");
    if (!button || !form) return;
    event.preventDefault();
    const field = chosenField(form);
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    field.setRangeText(button.value, start, end, "end");
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
