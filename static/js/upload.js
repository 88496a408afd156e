// A progress bar for take-home uploads. Without JavaScript the form posts as usual; with it, the same
// request goes through XMLHttpRequest so its upload progress can be shown, and the page the server
// answers with (the receipt, or the form with its error) replaces this one.
(function () {
  var form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = form.querySelector("[data-upload-bar]");
  var status = form.querySelector("[data-upload-status]");
  var button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((100 * e.loaded) / e.total);
      bar.hidden = false;
      bar.value = percent;
      status.textContent = "Uploading: " + percent + "%";
    });
    request.addEventListener("load", function () {
      // The receipt after a redirect, or the form with its error: shown as if the browser had posted.
      if (request.responseURL) history.replaceState(null, "", request.responseURL);
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = "The upload did not get through. Nothing was kept; please try again.";
    });
    button.disabled = true;
    status.textContent = "Uploading...";
    request.send(new FormData(form));
  });
})();
