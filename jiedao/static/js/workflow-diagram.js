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
  canvas.zoom("fit-viewport");
});
