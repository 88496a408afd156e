// Show booking times in the browser's own time zone, unless the candidate chose one on the page.
(function () {
  var form = document.getElementById("zone-form");
  if (!form || form.dataset.zoneChosen === "yes") return;
  var select = document.getElementById("tz");
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || zone === select.dataset.current) return;
  var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
  if (!known) return;
  var url = new URL(window.location.href);
  url.searchParams.set("tz", zone);
  window.location.replace(url.toString());
})();
