// Keyboard shortcuts: "/" focuses patient search (UX.md, keyboard-friendly).
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const tag = (document.activeElement && document.activeElement.tagName) || "";
  if (["INPUT", "TEXTAREA", "SELECT"].includes(tag)) return;
  const box = document.getElementById("patient-search-q") || document.getElementById("global-search");
  if (box) { event.preventDefault(); box.focus(); box.select(); }
});

// Tabs switched by htmx: mark the clicked tab active (the tab bar itself is not swapped).
document.addEventListener("click", function (event) {
  const tab = event.target.closest(".nav-tabs a[hx-get]");
  if (!tab) return;
  tab.closest(".nav-tabs").querySelectorAll("a.active").forEach(function (a) { a.classList.remove("active"); });
  tab.classList.add("active");
});
