// The live preview: as a destination's settings change, ask the bot how its newest
// matching story would look, and show mistakes beside their field. Saving is a plain
// form post and works without this script.
"use strict";
(function () {
  function update(card) {
    var form = card.querySelector("form.settings");
    var data = {
      csrf: form.elements.csrf.value,
      chat: form.elements.chat.value,
      tags: form.elements.tags.value,
      filters: form.elements.filters.value,
      format: (form.querySelector("input[name=format]:checked") || {}).value || "full",
      silent: form.elements.silent.checked,
      publish: form.elements.publish.checked
    };
    fetch("/preview", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": data.csrf},
      body: JSON.stringify(data)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (answer) {
      if (!answer) { return; }
      card.querySelector(".preview").innerHTML = answer.html;
      ["tags", "filters"].forEach(function (name) {
        var note = card.querySelector(".error[data-for=" + name + "]");
        var message = answer.errors[name] || "";
        note.textContent = message;
        note.hidden = !message;
        form.elements[name].setAttribute("aria-invalid", message ? "true" : "false");
      });
      card.setAttribute("data-previewed", String(Date.now()));
    });
  }
  document.querySelectorAll("section.destination").forEach(function (card) {
    var timer = null;
    function soon() { clearTimeout(timer); timer = setTimeout(function () { update(card); }, 250); }
    card.querySelectorAll("form.settings input").forEach(function (input) {
      input.addEventListener(input.type === "text" ? "input" : "change", soon);
    });
  });
})();
