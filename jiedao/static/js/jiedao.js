// Small behaviours that would otherwise need inline scripts (the CSP forbids those).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("submit", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
  // A form sent back with errors (public or staff): keyboard and screen-reader users start at the first thing
  // to correct, the form's own message or the first field (which reads its message through aria-describedby).
  const first = document.querySelector(
    'main .alert-danger[role="alert"][tabindex="-1"]:not(.d-none), main [aria-invalid="true"]',
  );
  if (first) first.focus();
});

// A part of a page replaced in place (a registry list after a search, a filter or "下一页"; a person's numbers
// shown in full). The element named by the new part's data-announce-into (role=status) says what changed in
// a few words (the total, the page) where an aria-live table would be read out whole at every key. The control
// pressed often went with the old part (next page, 显示完整号码): the keyboard goes on from the new part
// (its [data-focus-after-swap] element), not from the top of the page. (A control drawn again with the same id,
// the inbox's tab just chosen, keeps the keyboard without help: htmx focuses it again.)
document.addEventListener("htmx:afterSettle", (event) => {
  const swapped = event.target;
  if (!(swapped instanceof Element)) return;
  const status = document.getElementById(swapped.dataset.announceInto || "");
  if (status) {
    const text = [...swapped.querySelectorAll("[data-announce]")].map((el) => el.textContent.trim()).join("，");
    if (status.textContent !== text) status.textContent = text;
  }
  if (!document.activeElement || document.activeElement === document.body) {
    const next = swapped.matches("[data-focus-after-swap]") ? swapped : swapped.querySelector("[data-focus-after-swap]");
    if (next) next.focus();
  }
});

// A part that refreshes itself (the inbox every 30 s) skips a refresh while the keyboard is in it: the link a
// clerk is on would go with the old part and the focus back to the top of the page. Only the part's own
// request is held (its tabs, pages and filter are requests of other elements).
document.addEventListener("htmx:beforeRequest", (event) => {
  const part = event.detail.elt;
  if (part instanceof Element && part.matches("[data-refresh-waits-for-focus]") && part.contains(document.activeElement)) {
    event.preventDefault();
  }
});

document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// A second click on a button while the form is already on its way sends it twice (two applications, an
// approval recorded twice): once a POST form is sent, its buttons wait for the answer. Forms that scripts or
// htmx send themselves cancel the browser's submission and are left alone; the buttons come back when the
// page is shown again from the back-forward cache, or after 10 s (a download leaves the page in place).
const WAITING = "jiedaoWaiting";
function releaseForm(form) {
  delete form.dataset[WAITING];
  form.querySelectorAll("[data-jiedao-held]").forEach((button) => {
    button.disabled = false;
    button.removeAttribute("data-jiedao-held");
  });
}
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.method !== "post" || form.target === "_blank") return;
  if (form.dataset[WAITING]) {
    event.preventDefault();
    return;
  }
  form.dataset[WAITING] = "1";
  const buttons = form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]');
  // After the browser has read the form: a disabled button's name and value would not be sent.
  setTimeout(() => {
    buttons.forEach((button) => {
      if (button.disabled) return;
      button.disabled = true;
      button.setAttribute("data-jiedao-held", "");
    });
  }, 0);
  setTimeout(() => releaseForm(form), 10000);
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) document.querySelectorAll("form[data-jiedao-waiting]").forEach(releaseForm);
});
