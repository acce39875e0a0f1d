// Shows an instance's diagram with bpmn-js (NavigatedViewer): green for the path taken, orange for the
// current position. The XML and the element ids come from json_script.
document.addEventListener("DOMContentLoaded", async () => {
  const holder = document.getElementById("wf-diagram");
  if (!holder || !window.BpmnJS) return;
  const state = JSON.parse(document.getElementById(holder.dataset.source).textContent);
  const zh = window.JiedaoZh;
  const viewer = new window.BpmnJS({ container: holder, additionalModules: zh ? [zh.bpmnModule] : [] });
  try {
    await viewer.importXML(state.xml);
  } catch (error) {
    const text = zh ? zh.importError(error) : String(error && error.message ? error.message : error);
    const message = document.createElement("p");
    message.className = "text-muted p-3 mb-0";
    message.setAttribute("role", "status");
    message.dataset.testid = "diagram-error";
    message.textContent = text;
    holder.replaceChildren(message);
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (id, marker) => {
    if (registry.get(id)) canvas.addMarker(id, marker);
  };
  (state.completed || []).forEach((id) => mark(id, "wf-done"));
  (state.flows || []).forEach((id) => mark(id, "wf-flow-done"));
  (state.active || []).forEach((id) => mark(id, "wf-active"));
  const current = (state.active || []).map((id) => registry.get(id)).find(Boolean);
  const fit = () => {
    fitDiagram(canvas, holder);
    // Scrolled sideways, the box starts at the current step rather than at the start event.
    if (current && holder.scrollWidth > holder.clientWidth) {
      const box = canvas.viewbox();
      const middle = (current.x + current.width / 2 - box.x) * box.scale;
      holder.scrollLeft = Math.max(0, middle - holder.clientWidth / 2);
    }
  };
  fit();
  let width = holder.clientWidth;
  window.addEventListener("resize", () => {
    if (holder.clientWidth === width) return;
    width = holder.clientWidth;
    fit();
  });
});

// Draw the diagram at its width's scale, but never below a legible one: on a phone a wide process was shrunk
// to a strip of unreadable boxes over a tall blank canvas. Narrower than the diagram, the drawing keeps
// LEGIBLE and scrolls sideways in its own box (touch scrolling, the page's pinch zoom); the box is as tall as
// the drawing at that scale, at most most of the screen.
const LEGIBLE = 0.75;
const PAD = 16;
function fitDiagram(canvas, holder) {
  const drawing = canvas.viewbox().inner;
  if (!drawing || !drawing.width || !drawing.height) {
    canvas.zoom("fit-viewport");
    return;
  }
  const room = holder.clientWidth;
  const scale = Math.min(1, Math.max(LEGIBLE, (room - 2 * PAD) / drawing.width));
  const width = Math.max(room, Math.ceil(drawing.width * scale + 2 * PAD));
  const height = Math.ceil(drawing.height * scale + 2 * PAD);
  const container = holder.querySelector(".bjs-container") || holder.firstElementChild;
  container.style.width = width > room ? `${width}px` : "100%";
  container.style.height = `${height}px`;
  holder.style.height = "auto";
  canvas.resized();
  canvas.viewbox({
    x: drawing.x + drawing.width / 2 - width / scale / 2,
    y: drawing.y - PAD / scale,
    width: width / scale,
    height: height / scale,
  });
}
