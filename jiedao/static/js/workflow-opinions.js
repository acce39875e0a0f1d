// 常用意见 and 批量审批.
// The "填入意见" button next to a phrase list adds the chosen phrase to the end of its opinion box and clears
// the choice, so the form sends the box alone. Without scripts the button stays hidden and the chosen phrase
// is sent, used when the box is empty.
function showPhraseButtons(root) {
  root.querySelectorAll("[data-phrase-insert][hidden]").forEach((button) => {
    button.hidden = false;
  });
}
document.addEventListener("DOMContentLoaded", () => showPhraseButtons(document));
document.addEventListener("htmx:load", (event) => showPhraseButtons(event.detail.elt));

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-phrase-insert]");
  if (!button) return;
  const select = document.getElementById(button.dataset.phraseInsert);
  const box = select && document.getElementById(select.dataset.opinionBox);
  if (!box) return;
  if (!select.value) {
    select.focus();
    return;
  }
  const room = (box.maxLength > 0 ? box.maxLength : Infinity) - box.value.length;
  box.value += select.value.slice(0, Math.max(room, 0));
  select.value = "";
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
});

// The inbox refreshes itself every 30 s by replacing its list: while a row is ticked for 批量审批 or an
// opinion is typed there, the refresh waits, so neither is lost.
document.addEventListener("htmx:beforeRequest", (event) => {
  const part = event.detail.elt;
  if (!(part instanceof Element) || !part.matches("[data-refresh-waits-for-focus]")) return;
  const holding = [...part.querySelectorAll("[data-holds-refresh]")].some((el) =>
    el.type === "checkbox" ? el.checked : el.value.trim() !== "",
  );
  if (holding) event.preventDefault();
});
