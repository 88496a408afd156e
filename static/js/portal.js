/* Candor's small enhancements; every page works without them (CSP: scripts from this site only). */
"use strict";

/* Sign-up: preselect the time zone the browser reports, while the field still shows the default,
   so interview times show in the candidate's own zone without them hunting through the list. */
function preselectTimeZone() {
  const select = document.querySelector("select[data-detect-timezone]");
  if (!select || select.value !== select.dataset.detectTimezone) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (zone && Array.from(select.options).some((option) => option.value === zone)) {
    select.value = zone;
  }
}

document.addEventListener("DOMContentLoaded", preselectTimeZone);
