// A live countdown next to a take-home deadline. Without JavaScript the deadline stays as plain text;
// the server alone decides what is on time, this only tells the candidate how long is left. The
// browser's clock may be wrong, so the count runs from the server's time when the page was sent.
(function () {
  var deadlineEl = document.querySelector("time[data-countdown]");
  var left = document.querySelector("[data-countdown-left]");
  if (!deadlineEl || !left) return;
  var deadline = Date.parse(deadlineEl.getAttribute("datetime"));
  var serverNow = Date.parse(deadlineEl.dataset.serverNow);
  if (isNaN(deadline) || isNaN(serverNow)) return;
  var offset = serverNow - Date.now();
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function tick() {
    var ms = deadline - (Date.now() + offset);
    if (ms <= 0) { left.textContent = "The deadline has passed."; return; }
    var minutes = Math.floor(ms / 60000);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    var parts = [];
    if (days) parts.push(plural(days, "day"));
    if (days || hours) parts.push(plural(hours, "hour"));
    parts.push(plural(mins, "minute"));
    left.textContent = parts.join(", ") + " left.";
    setTimeout(tick, 1000 * 15);
  }
  tick();
})();
