// 排队叫号: the ticket's 打印 button (the CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((el) => {
    el.addEventListener("click", () => window.print());
  });
});
