// The tracking page looks up through the JSON API when scripts run: no page to render and send back, so
// the server answers several times as many look-ups (docs/benchmarks.md). Without scripts, or when the
// API cannot be reached, the form posts as before and the server renders the page.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-track-api]");
  if (!form) return;
  const result = document.getElementById("track-result");
  const error = document.getElementById("track-error");
  const card = document.getElementById("track-card");

  const showCard = (data) => {
    const node = card.content.cloneNode(true);
    node.querySelector('[data-field="item"]').textContent = data.item_name;
    const status = node.querySelector('[data-field="status"]');
    status.textContent = data.status_display;
    status.dataset.testid = "status"; // as on the card the server renders (the empty template has none)
    // Times come in the server's time zone (ISO 8601): its wall-clock digits are what the page shows.
    const due = node.querySelector('[data-field="due"]');
    const instant = document.getElementById("track-instant");
    if (data.instant && instant) {
      due.replaceChildren(instant.content.cloneNode(true)); // 即办件 conclude on the spot: no date to show
    } else {
      due.textContent = data.due_at ? data.due_at.slice(0, 10) : "—";
    }
    // A due date reaching a year whose holidays are not entered yet may move: marked 临时 with the same note
    // as on the page the server renders.
    const provisional = document.getElementById("track-provisional");
    if (data.due_provisional && provisional) due.append(provisional.content.cloneNode(true));
    const list = node.querySelector('[data-field="history"]');
    for (const step of data.history) {
      const item = document.createElement("li");
      item.className = "list-group-item";
      const action = document.createElement("strong");
      action.textContent = step.action;
      const when = `${step.at.slice(0, 10)} ${step.at.slice(11, 16)}`;
      item.append(action, ` · ${when}${step.status ? ` · ${step.status}` : ""}`);
      if (step.note) {
        const note = document.createElement("div");
        note.className = "small";
        note.style.whiteSpace = "pre-line";
        note.textContent = step.note;
        item.append(note);
      }
      list.append(item);
    }
    result.replaceChildren(node);
    // The button was disabled during the look-up, which took the keyboard focus away: continue at the result.
    const heading = result.querySelector("h2");
    heading.tabIndex = -1;
    heading.focus();
  };

  const button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return; // one look-up at a time: each counts against the address's limit
    button.disabled = true;
    let response;
    let data;
    try {
      response = await fetch(form.dataset.trackApi, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ code: form.elements.code.value, phone: form.elements.phone.value }),
      });
      data = await response.json();
    } catch {
      form.submit();
      return;
    } finally {
      button.disabled = false;
    }
    error.classList.add("d-none");
    if (!response.ok) {
      result.replaceChildren();
      error.textContent = data.detail;
      error.classList.remove("d-none");
      error.focus();
      return;
    }
    showCard(data);
    form.reset();
  });
});
