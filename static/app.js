// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Forms and buttons marked data-confirm ask before a destructive action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Buttons marked data-copy copy the text of the element they point to.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var done = button.getAttribute("data-copied");
      if (done) {
        var original = button.textContent;
        button.textContent = done;
        setTimeout(function () { button.textContent = original; }, 2000);
      }
    });
  });
  // Filter forms marked data-autosubmit apply a choice as soon as it changes (their button
  // stays, for browsers without scripts and for the search text).
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.form;
    if (!form || !form.hasAttribute("data-autosubmit")) return;
    if (field.tagName === "SELECT" || field.type === "checkbox" || field.type === "radio" || field.type === "date") {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });
  // On a phone, a search form shows its first field and folds its other filters behind a
  // button, unless one of them is in use, so that the results come first.
  var phone = window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
  var moreLabel = document.body.getAttribute("data-more-filters");
  if (phone && moreLabel) {
    document.querySelectorAll("form.filters[role=search]").forEach(function (form) {
      var fields = Array.prototype.slice.call(form.querySelectorAll(".field")).slice(1);
      if (fields.length < 2) return;
      var inUse = fields.some(function (field) {
        return Array.prototype.some.call(field.querySelectorAll("input, select"), function (i) {
          if (i.type === "checkbox" || i.type === "radio") return i.checked;
          if (i.tagName === "SELECT") return i.selectedIndex > 0;
          return i.value !== "";
        });
      });
      if (inUse) return;
      fields.forEach(function (field) { field.hidden = true; });
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-link more-filters";
      button.textContent = moreLabel;
      button.addEventListener("click", function () {
        fields.forEach(function (field) { field.hidden = false; });
        button.remove();
        fields[0].querySelector("input, select").focus();
      });
      fields[0].parentNode.insertBefore(button, fields[0]);
    });
  }
  // On a phone, the main menu folds behind its button.
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("main-nav");
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // A submitted form cannot be sent twice by a double click.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    var buttons = event.target.querySelectorAll("button[type=submit]");
    setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();
// An order being provisioned refreshes itself until it is done.
(function () {
  "use strict";
  var status = document.querySelector("[data-reload-while='yes']");
  if (status) {
    setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
// A select marked data-relabels="id …" gives each element named its chosen option's
// data-{id} text (the label of the field `id`, or the element `id`): the customer form's tax id
// name, Mexico's "Colonia" and the postal code example follow the country.
(function () {
  "use strict";
  document.querySelectorAll("select[data-relabels]").forEach(function (select) {
    var ids = select.getAttribute("data-relabels").split(" ");
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option) return;
      ids.forEach(function (id) {
        var text = option.getAttribute("data-" + id);
        var target = document.querySelector('label[for="' + id + '"]') || document.getElementById(id);
        if (text === null || !target) return;
        target.textContent = text;
        target.hidden = text === "";
      });
    });
  });
})();

// A select marked data-shows="value:id" shows the element `id` while `value` is chosen (the
// new ticket's public id, shown at once for "request the reseller public id").
(function () {
  "use strict";
  document.querySelectorAll("select[data-shows]").forEach(function (select) {
    var parts = select.getAttribute("data-shows").split(":");
    var target = document.getElementById(parts[1]);
    if (!target) return;
    var update = function () { target.hidden = select.value !== parts[0]; };
    select.addEventListener("change", update);
    update();
  });
})();
