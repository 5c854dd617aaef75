// Utility cashier pages: the server clock, the live total of a bill, the seed's warning when
// an amount is above the debt, and the print dialog 2 seconds after a receipt opens.
(function () {
  "use strict";

  function kopiyky(text) {
    var cleaned = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function money(amount) {
    var units = Math.floor(amount / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    return units + "," + String(amount % 100).padStart(2, "0");
  }

  function startClock(clock) {
    var server = new Date(clock.dataset.server);
    var offset = server.getTime() - Date.now();
    var minutes = function (hhmm) { var p = hhmm.split(":"); return +p[0] * 60 + +p[1]; };
    var opens = minutes(clock.dataset.opens), closes = minutes(clock.dataset.closes);
    function tick() {
      var now = new Date(Date.now() + offset);
      var pad = function (n) { return String(n).padStart(2, "0"); };
      clock.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
      var current = now.getHours() * 60 + now.getMinutes();
      clock.classList.toggle("clock-open", current >= opens && current < closes);
    }
    tick();
    window.setInterval(tick, 1000);
  }

  function startBill(form) {
    var output = form.querySelector("[data-total]");
    var warning = form.dataset.aboveDebt;
    function lineAmount(row) {
      var input = row.querySelector(".amount");
      return input ? kopiyky(input.value) : null;
    }
    function update() {
      var total = 0;
      form.querySelectorAll("[data-line]").forEach(function (row) {
        var pick = row.querySelector(".pick");
        var amount = lineAmount(row);
        if (pick.checked && amount !== null) { total += amount; }
      });
      if (output) { output.textContent = money(total) + " " + output.dataset.currency; }
    }
    form.querySelectorAll("[data-line]").forEach(function (row) {
      var pick = row.querySelector(".pick");
      var input = row.querySelector(".amount");
      pick.addEventListener("change", function () {
        var amount = lineAmount(row);
        if (pick.checked && warning && amount !== null && amount > +pick.dataset.debt) {
          window.alert(warning);
          pick.checked = false;
        }
        update();
      });
      if (input) {
        input.addEventListener("input", function () {
          if (pick.checked && input.type !== "hidden") { pick.checked = false; }
          update();
        });
      }
    });
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      var submitter = event.submitter;
      if (submitter && submitter.hasAttribute("data-pay")) { sent = true; }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var clock = document.getElementById("server-clock");
    if (clock) { startClock(clock); }
    document.querySelectorAll("form[data-bill]").forEach(startBill);
    var receipt = document.querySelector("[data-print-after]");
    if (receipt) {
      window.setTimeout(function () { window.print(); }, +receipt.dataset.printAfter);
    }
    var printNow = document.querySelector("[data-print-now]");
    if (printNow) { printNow.addEventListener("click", function () { window.print(); }); }
  });
})();
