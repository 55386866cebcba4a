// The local payment provider's card fields. They run on the provider's own origin inside the app's iframe: the app's
// script cannot read them, the card number goes only to this origin (POST /tokens), and the app receives a single-use
// token by postMessage, addressed to the one app origin the provider allows.
(function () {
  "use strict";
  var parent = new URLSearchParams(location.search).get("origin") || "";
  var form = document.getElementById("card");
  var button = document.getElementById("submit");
  var problem = document.getElementById("problem");
  var fields = { number: "number", expiry: "expiry", cvc: "cvc" };

  function clear() {
    problem.hidden = true;
    problem.textContent = "";
    Object.keys(fields).forEach(function (name) {
      var input = document.getElementById(name);
      input.removeAttribute("aria-invalid");
      var old = document.getElementById(name + "-error");
      if (old) old.remove();
      input.setAttribute("aria-describedby", name === "number" ? "number-hint" : "");
    });
  }

  function refuse(field, text) {
    var message = text.charAt(0).toUpperCase() + text.slice(1);
    var input = field && document.getElementById(field);
    if (!input) {
      problem.textContent = message;
      problem.hidden = false;
      return;
    }
    var p = document.createElement("p");
    p.id = field + "-error";
    p.className = "error";
    p.textContent = message;
    input.parentNode.appendChild(p);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + p.id).trim());
    input.focus();
  }

  function expiry(text) {
    var m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
    if (!m) return null;
    var year = Number(m[2]);
    return { month: Number(m[1]), year: year < 100 ? 2000 + year : year };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clear();
    var exp = expiry(document.getElementById("expiry").value);
    if (!exp) return refuse("expiry", "Enter the expiry date as MM/YY, as printed on the card.");
    button.disabled = true;
    button.textContent = "Checking the card…";
    var body = JSON.stringify({
      number: document.getElementById("number").value, exp_month: exp.month, exp_year: exp.year,
      cvc: document.getElementById("cvc").value.trim(), origin: parent,
    });
    fetch("/tokens", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      })
      .then(function (result) {
        if (!result.ok) return refuse(result.answer.field, result.answer.message);
        window.parent.postMessage({ type: "carparker-card-token", token: result.answer.token, brand: result.answer.brand,
          last4: result.answer.last4 }, parent);
        button.textContent = "Card checked";
        return undefined;
      }, function () {
        refuse(null, "The payment provider could not be reached. Check your connection and try again; the card is kept.");
      })
      .then(function () {
        button.disabled = false;
        if (button.textContent !== "Card checked") button.textContent = "Save card";
      });
  });
})();
