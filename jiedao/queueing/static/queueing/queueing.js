// 排队叫号: the ticket's 打印 button, and the kiosk's way back to the take page (the CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((el) => {
    el.addEventListener("click", () => window.print());
  });
  // The kiosk's ticket page puts the take page in its own place in the history (location.replace), by
  // itself after a while or by 返回取号: the next visitor pressing Back does not find this one's ticket.
  document.querySelectorAll("[data-kiosk-return]").forEach((el) => {
    const seconds = Number(el.dataset.kioskReturnAfter) || 30;
    window.setTimeout(() => window.location.replace(el.dataset.kioskReturn), seconds * 1000);
  });
  document.querySelectorAll("a[data-replace-history]").forEach((el) => {
    el.addEventListener("click", (event) => {
      event.preventDefault();
      window.location.replace(el.href);
    });
  });
});
