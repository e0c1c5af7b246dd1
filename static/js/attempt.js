// The attempt page: every answer is saved as it is given, kept in the page (localStorage) while the
// connection is down and sent when it returns; the timer is the server's (each save brings its time left) and
// submits at zero. Without this script the form still works: "Submit answers" posts every answer on the page.
// The server reads a question's fields the same way for a save and for the submit (response_from_form).
(function () {
  "use strict";

  const TYPING_PAUSE_MS = 700;
  const RETRY_MS = 5000;

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("attempt-form");
    if (!form) return;
    const storeKey = `tessera-attempt-${form.dataset.attempt}`;
    const answerUrl = form.dataset.answerUrl;
    const csrf = form.querySelector("input[name=csrf_token]").value;
    const status = document.getElementById("save-state");
    const offlineNote = document.getElementById("offline-note");
    const submitButton = document.getElementById("submit-attempt");
    const sending = new Set();
    const again = new Set();
    const typing = new Map();
    let pending = load();
    let closed = false;
    let submitWhenOnline = false;
    let submitting = false;

    function load() {
      try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
    }
    function keep() {
      try {
        if (Object.keys(pending).length) localStorage.setItem(storeKey, JSON.stringify(pending));
        else localStorage.removeItem(storeKey);
      } catch (e) { /* private mode: the page still holds the answers */ }
    }
    function say(text) { status.textContent = text; }
    function mark(position, text) {
      const line = form.querySelector(`[data-state-for="${position}"]`);
      if (line) line.textContent = text;
    }
    function summarise() {
      const waiting = Object.keys(pending).length;
      if (closed || submitting) return;
      if (submitWhenOnline) say("You are offline: your answers will be submitted when the connection returns.");
      else if (!navigator.onLine && waiting) say(`Offline: ${waiting} ${waiting === 1 ? "answer" : "answers"} kept on this device`);
      else if (waiting || sending.size) say("Saving…");
      else say("All answers saved");
    }
    function entriesOf(fieldset) {
      const entries = [];
      for (const element of fieldset.elements) {
        if (!element.name || element.name === "q") continue;
        if ((element.type === "radio" || element.type === "checkbox") && !element.checked) continue;
        entries.push([element.name, element.value]);
      }
      return entries;
    }
    function restore(fieldset, entries) {
      const values = new Map();
      for (const [name, value] of entries) values.set(name, [...(values.get(name) || []), value]);
      for (const element of fieldset.elements) {
        if (!element.name || element.name === "q") continue;
        const given = values.get(element.name) || [];
        if (element.type === "radio" || element.type === "checkbox") element.checked = given.includes(element.value);
        else element.value = given[0] || "";
      }
    }
    function showOffline(offline) {
      offlineNote.hidden = !offline;
      summarise();
    }

    function record(fieldset) {
      if (closed) return;
      const position = fieldset.dataset.position;
      clearTimeout(typing.get(position));
      typing.delete(position);
      pending[position] = entriesOf(fieldset);
      keep();
      mark(position, navigator.onLine ? "Saving…" : "Kept on this device");
      send(position);
    }

    async function send(position) {
      if (sending.has(position)) { again.add(position); return; }
      const entries = pending[position];
      if (!entries || closed) return;
      if (!navigator.onLine) { showOffline(true); return; }
      sending.add(position);
      summarise();
      const body = new FormData();
      body.append("csrf_token", csrf);
      for (const [name, value] of entries) body.append(name, value);
      try {
        const response = await fetch(answerUrl + position, {
          method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
        });
        const data = await response.json().catch(() => ({}));
        if (response.ok) {
          if (JSON.stringify(pending[position]) === JSON.stringify(entries)) delete pending[position];
          mark(position, "Saved");
          if (typeof data.seconds_left === "number") timer.sync(data.seconds_left);
        } else if (response.status === 409 || response.status === 403) {  // closed, or no longer enrolled
          closed = true;
          pending = {};
          mark(position, "Not saved");
          say(data.message || "This attempt is closed.");
        } else if (response.status === 422) {
          delete pending[position];
          mark(position, `Not saved: ${data.message || "this answer does not fit the question"}`);
        } else {
          mark(position, "Not saved yet: trying again…");
          setTimeout(() => send(position), RETRY_MS);
        }
      } catch (error) {
        mark(position, "Kept on this device");
        showOffline(!navigator.onLine);
        if (navigator.onLine) setTimeout(() => send(position), RETRY_MS);
      } finally {
        keep();
        sending.delete(position);
        if (again.has(position)) { again.delete(position); send(position); }
        summarise();
      }
    }

    async function flush() {
      for (const [position, timeout] of typing) { clearTimeout(timeout); typing.delete(position); }
      for (const fieldset of form.querySelectorAll("fieldset.question")) {
        pending[fieldset.dataset.position] = entriesOf(fieldset);
      }
      keep();
      await Promise.all(Object.keys(pending).map((position) => send(position)));
      while (sending.size) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    async function submitNow() {
      if (submitting) return;
      submitting = true;
      submitButton.disabled = true;
      say("Submitting…");
      await flush();
      localStorage.removeItem(storeKey);
      form.submit();
    }

    form.addEventListener("change", (event) => {
      const fieldset = event.target.closest("fieldset.question");
      if (fieldset) record(fieldset);
    });
    form.addEventListener("input", (event) => {
      const fieldset = event.target.closest("fieldset.question");
      if (!fieldset || !event.target.matches("input[type=text], textarea")) return;
      const position = fieldset.dataset.position;
      clearTimeout(typing.get(position));
      typing.set(position, setTimeout(() => { typing.delete(position); record(fieldset); }, TYPING_PAUSE_MS));
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!navigator.onLine) {
        submitWhenOnline = true;
        showOffline(true);
        return;
      }
      submitNow();
    });
    window.addEventListener("offline", () => showOffline(true));
    window.addEventListener("online", () => {
      showOffline(false);
      for (const position of Object.keys(pending)) send(position);
      if (submitWhenOnline) submitNow();
    });

    const timer = (() => {
      const box = document.getElementById("attempt-timer");
      const shown = document.getElementById("attempt-time-left");
      if (!box) return { sync() {} };
      let deadline = Date.now() + Number(box.dataset.secondsLeft) * 1000;
      const announced = new Set();
      const tick = () => {
        const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        shown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
        box.classList.toggle("attempt-timer-low", left <= 60);
        for (const mark of [300, 60]) {
          if (left <= mark && left > 0 && !announced.has(mark)) {
            announced.add(mark);
            say(`${mark / 60} ${mark === 60 ? "minute" : "minutes"} left`);
          }
        }
        if (left === 0 && !submitting) {
          if (navigator.onLine) submitNow();
          else say("Time is up: what was saved is submitted for you.");
          clearInterval(interval);
        }
      };
      const interval = setInterval(tick, 1000);
      tick();
      return { sync(seconds) { deadline = Date.now() + seconds * 1000; } };
    })();

    // Answers kept while offline (before a reload, or on another page of this attempt): back in their fields,
    // then sent.
    for (const position of Object.keys(pending)) {
      const fieldset = form.querySelector(`fieldset.question[data-position="${position}"]`);
      if (fieldset) restore(fieldset, pending[position]);
      send(position);
    }
    showOffline(!navigator.onLine);
  });
})();
