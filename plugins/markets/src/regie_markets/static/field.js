// Markets placier pages: the logo closes a tab opened by an action, selects submit their form,
// validated forms close after the configured delay, and the trader form takes webcam photos.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-close-tab]");
    if (!link) return;
    event.preventDefault();
    window.close();
    // A tab the script did not open cannot be closed: go home instead.
    setTimeout(function () { window.location.href = link.href; }, 150);
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches("[data-autosubmit]")) {
      select.form.submit();
    } else if (select.matches("[data-autosubmit-on-change]")) {
      // Choosing metres validates the ticket form.
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "metres";
      hidden.value = select.value;
      select.disabled = true;
      select.form.appendChild(hidden);
      select.form.submit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var delay = parseInt(document.body.dataset.autoclose || "0", 10);
    if (delay > 0 && document.querySelector(".field-result")) {
      setTimeout(function () { window.close(); }, delay * 1000);
    }
    var webcam = document.querySelector("[data-webcam]");
    if (webcam) setUpWebcam(webcam);
  });

  function setUpWebcam(box) {
    var video = box.querySelector("video");
    var canvas = box.querySelector("canvas");
    var captured = box.querySelector("input[name=captured]");
    var start = box.querySelector("[data-webcam-start]");
    var shoot = box.querySelector("[data-webcam-shoot]");
    var send = box.querySelector("[data-webcam-send]");
    start.addEventListener("click", function () {
      if (!navigator.mediaDevices) { start.textContent = start.dataset.unavailable; return; }
      navigator.mediaDevices.getUserMedia({ video: true }).then(function (stream) {
        video.srcObject = stream;
        video.classList.remove("hidden");
        shoot.classList.remove("hidden");
      }).catch(function () { start.textContent = start.dataset.unavailable; });
    });
    shoot.addEventListener("click", function () {
      canvas.width = 300;
      canvas.height = 375;
      var ratio = Math.min(video.videoWidth / 300, video.videoHeight / 375) || 1;
      var width = 300 * ratio, height = 375 * ratio;
      canvas.getContext("2d").drawImage(video, (video.videoWidth - width) / 2,
        (video.videoHeight - height) / 2, width, height, 0, 0, 300, 375);
      canvas.classList.remove("hidden");
      captured.value = canvas.toDataURL("image/jpeg", 0.85);
      send.classList.remove("hidden");
    });
  }
})();
