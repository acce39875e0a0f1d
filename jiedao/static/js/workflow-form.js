// Renders a form-js form (task or start page) from the schema passed with json_script, and puts the
// submitted data into the page's form as JSON. The server validates the data again. Chinese validation
// messages and placeholders come from workflow-zh.js.
document.addEventListener("DOMContentLoaded", async () => {
  const holder = document.getElementById("wf-form");
  const pageForm = document.querySelector("form[data-wf-complete]");
  let viewer = null;
  if (holder && window.FormViewer) {
    const schema = JSON.parse(document.getElementById(holder.dataset.schema).textContent);
    const initial = JSON.parse(document.getElementById(holder.dataset.initial).textContent || "{}");
    const zh = window.JiedaoZh;
    viewer = new window.FormViewer.Form({
      container: holder,
      additionalModules: zh ? [zh.formViewerModule] : [],
    });
    if (zh) zh.localizeFormViewer(holder);
    try {
      await viewer.importSchema(schema, initial || {});
      if (holder.dataset.readonly) viewer.setProperty("readOnly", true);
    } catch (error) {
      holder.textContent = String(error && error.message ? error.message : error);
      viewer = null;
    }
  }
  if (!pageForm) return;
  pageForm.addEventListener("submit", (event) => {
    const field = pageForm.querySelector("input[name=form_data]");
    if (viewer) {
      const result = viewer.submit();
      if (result.errors && Object.keys(result.errors).length) {
        event.preventDefault();
        return;
      }
      field.value = JSON.stringify(result.data || {});
      return;
    }
    const outcome = pageForm.querySelector("[data-wf-outcome]:checked");
    field.value = JSON.stringify(outcome ? { outcome: outcome.value } : {});
  });
});
