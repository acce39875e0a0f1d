// The process designer: bpmn-js Modeler for the diagram, a small properties panel for the platform's
// extension attributes (see jiedao/workflow/bpmn.py), and the form-js editor for the forms. Saving and
// deploying post JSON; the server validates and answers with Chinese messages naming the elements.
// A deployed or retired version is only shown: the page loads bpmn-js's NavigatedViewer (same global
// BpmnJS, no palette or context pad) and form-js's read-only viewer instead of the editors.
(function () {
  const CAMUNDA = "http://camunda.org/schema/1.0/bpmn";
  const JIEDAO = "http://jiedao.org.cn/schema/bpmn/1.0";
  const USER_TASKS = ["bpmn:UserTask", "bpmn:ManualTask"];
  // The task time limit: one of these attributes (jiedao/workflow/bpmn.py _read_due), 1–3660.
  const DUE_ATTRS = ["dueWorkingDays", "dueDays", "dueHours"];
  let LABELS = {};


  // Forms travel inside a .bpmn file as the server exports it (jiedao/workflow/formschema.py embed_forms):
  // bpmn:process/bpmn:extensionElements/jiedao:forms/jiedao:form, one per form, key attribute, form-js JSON.
  // An imported file is read by the server (DefinitionImportView), which takes them out.
  const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";

  function parseXml(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    return doc.getElementsByTagName("parsererror").length ? null : doc;
  }

  // The diagram with `forms` inside its process, so an exported file imports with its forms.
  function embedForms(text, forms) {
    const keys = Object.keys(forms || {});
    const doc = keys.length ? parseXml(text) : null;
    const process = doc ? doc.getElementsByTagNameNS(BPMN, "process")[0] : null;
    if (!process) return text;
    const prefix = process.prefix ? process.prefix + ":" : "";
    let extension = [...process.children].find((c) => c.namespaceURI === BPMN && c.localName === "extensionElements");
    if (!extension) {
      extension = doc.createElementNS(BPMN, prefix + "extensionElements");
      const after = [...process.children].find((c) => !(c.namespaceURI === BPMN && c.localName === "documentation"));
      process.insertBefore(extension, after || null);
    }
    [...extension.getElementsByTagNameNS(JIEDAO, "forms")].forEach((old) => extension.removeChild(old));
    const holder = doc.createElementNS(JIEDAO, "jiedao:forms");
    keys.forEach((key) => {
      const form = doc.createElementNS(JIEDAO, "jiedao:form");
      form.setAttribute("key", key);
      form.textContent = JSON.stringify(forms[key]);
      holder.appendChild(form);
    });
    extension.appendChild(holder);
    return new XMLSerializer().serializeToString(doc);
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function showMessages(box, ok, lines) {
    box.replaceChildren();
    if (!lines.length) return;
    const alert = document.createElement("div");
    alert.className = "alert " + (ok ? "alert-success" : "alert-danger");
    const list = document.createElement("ul");
    list.className = "mb-0";
    lines.forEach((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    alert.appendChild(list);
    box.appendChild(alert);
  }

  function field(panel, key, value, options) {
    const wrap = document.createElement("div");
    wrap.className = "wf-prop";
    const id = "wf-prop-" + key;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = LABELS[key] || key;
    let input;
    if (options && options.choices) {
      input = document.createElement("select");
      input.className = "form-select form-select-sm";
      options.choices.forEach(([choice, text]) => {
        const option = document.createElement("option");
        option.value = choice;
        option.textContent = text;
        if (choice === (value || "")) option.selected = true;
        input.appendChild(option);
      });
    } else if (options && options.checkbox) {
      input = document.createElement("input");
      input.type = "checkbox";
      input.className = "form-check-input ms-1";
      input.checked = Boolean(value);
    } else if (options && options.multiline) {
      input = document.createElement("textarea");
      input.className = "form-control form-control-sm";
      input.rows = 3;
      input.value = value || "";
    } else {
      input = document.createElement("input");
      input.className = "form-control form-control-sm";
      input.value = value || "";
    }
    input.id = id;
    if (options && options.readonly) input.disabled = true;
    wrap.append(label, input);
    panel.appendChild(wrap);
    return input;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const root = document.getElementById("wf-designer");
    if (!root || !window.BpmnJS) return;
    const config = JSON.parse(document.getElementById(root.dataset.config).textContent);
    LABELS = config.labels || {};
    const zh = window.JiedaoZh;
    const messages = document.getElementById("wf-messages");
    const panel = document.getElementById("wf-props");
    const help = document.getElementById("wf-props-help");
    const modeler = new window.BpmnJS({
      container: "#wf-canvas",
      additionalModules: zh ? [zh.bpmnModule] : [],
    });
    root.dataset.mode = config.editable ? "edit" : "view";
    const forms = Object.assign({}, config.forms || {});
    let currentFormKey = null;
    let formEditor = null;

    const modeling = () => modeler.get("modeling");
    const moddle = () => modeler.get("moddle");

    function declareNamespaces() {
      const definitions = modeler.getDefinitions();
      if (!definitions) return;
      definitions.$attrs["xmlns:camunda"] = definitions.$attrs["xmlns:camunda"] || CAMUNDA;
      definitions.$attrs["xmlns:jiedao"] = definitions.$attrs["xmlns:jiedao"] || JIEDAO;
    }

    function attr(bo, name) {
      return (bo.$attrs && bo.$attrs[name]) || "";
    }

    function setAttr(element, bo, name, value) {
      if (value) bo.$attrs[name] = value;
      else delete bo.$attrs[name];
      modeler.get("eventBus").fire("elements.changed", { elements: [element] });
    }

    async function importXml(xml) {
      try {
        await modeler.importXML(xml);
        declareNamespaces();
        modeler.get("canvas").zoom("fit-viewport");
        showMessages(messages, true, []);
      } catch (error) {
        const text = zh ? zh.importError(error) : error.message || error;
        showMessages(messages, false, [root.dataset.textImportFailed + text]);
      }
    }

    // The time limit of a user task: the counting rule (working days, calendar days, hours) and the number.
    function dueFields(element, bo, readonly) {
      const current = DUE_ATTRS.find((name) => attr(bo, "jiedao:" + name)) || "";
      const choices = [["", LABELS.none], ...DUE_ATTRS.map((name) => [name, LABELS[name] || name])];
      const rule = field(panel, "dueRule", current, { choices, readonly });
      const limit = field(panel, "dueLimit", current ? attr(bo, "jiedao:" + current) : "", { readonly });
      limit.type = "number";
      limit.min = "1";
      limit.max = "3660";
      limit.step = "1";
      limit.inputMode = "numeric";
      limit.disabled = readonly || !current;
      const write = () => {
        const chosen = rule.value;
        const value = limit.value.trim();
        DUE_ATTRS.forEach((name) => {
          if (name !== chosen) delete bo.$attrs["jiedao:" + name];
        });
        limit.disabled = readonly || !chosen;
        setAttr(element, bo, "jiedao:" + (chosen || DUE_ATTRS[0]), chosen ? value : "");
      };
      rule.addEventListener("change", write);
      limit.addEventListener("change", write);
    }

    // The assignee picker under a user task's inputs: candidate groups are chosen as a role (by its Chinese
    // name) and where to look for its holders (jiedao/workflow/assignment.py: role:<code> the nearest level,
    // orgrole:<code>@<anchor> exactly there); the assignee input suggests initiator.
    function addToList(input, value) {
      const parts = input.value.split(",").map((part) => part.trim()).filter(Boolean);
      if (!parts.includes(value)) parts.push(value);
      input.value = parts.join(",");
      input.dispatchEvent(new Event("change"));
    }

    function groupPicker(input) {
      const roles = config.roles || [];
      if (!roles.length) return;
      const row = document.createElement("div");
      row.className = "wf-prop wf-pick d-flex flex-wrap gap-1 mt-1";
      row.dataset.testid = "group-picker";
      const role = document.createElement("select");
      role.className = "form-select form-select-sm";
      role.setAttribute("aria-label", LABELS.pickRole);
      role.appendChild(new Option(LABELS.pickRolePlaceholder, ""));
      roles.forEach((r) => role.appendChild(new Option(r.name + "（" + r.code + "）", r.code)));
      const anchor = document.createElement("select");
      anchor.className = "form-select form-select-sm";
      anchor.setAttribute("aria-label", LABELS.pickAnchor);
      (config.anchors || []).forEach((a) => anchor.appendChild(new Option(a.label, a.value)));
      const add = document.createElement("button");
      add.type = "button";
      add.className = "btn btn-sm btn-outline-primary";
      add.textContent = LABELS.pickAdd;
      add.addEventListener("click", () => {
        if (!role.value) {
          role.focus();
          return;
        }
        addToList(input, anchor.value ? "orgrole:" + role.value + "@" + anchor.value : "role:" + role.value);
      });
      row.append(role, anchor, add);
      input.closest(".wf-prop").after(row);
    }

    function assigneeSuggestions(input) {
      let list = document.getElementById("wf-assignee-options");
      if (!list) {
        list = document.createElement("datalist");
        list.id = "wf-assignee-options";
        const option = document.createElement("option");
        option.value = "initiator";
        option.label = LABELS.pickInitiator;
        list.appendChild(option);
        // Named people of this org and above (views.DesignerView "users"): the field shows 姓名（组织）.
        (config.users || []).forEach((user) => {
          const named = document.createElement("option");
          named.value = "user:" + user.username;
          named.label = user.name + "（" + user.org + "）";
          list.appendChild(named);
        });
        root.appendChild(list);
      }
      input.setAttribute("list", list.id);
    }

    function renderProps(element) {
      panel.replaceChildren();
      if (!element) {
        panel.appendChild(help.content.cloneNode(true));
        return;
      }
      const bo = element.businessObject;
      const readonly = !config.editable;
      field(panel, "id", bo.id, { readonly: true });
      if (bo.$type !== "bpmn:Process") {
        const name = field(panel, "name", bo.name, { readonly });
        name.addEventListener("change", () => modeling().updateProperties(element, { name: name.value || undefined }));
      }
      if (bo.$type === "bpmn:Process") {
        // Started only by its business record, e.g. a service-hall application (bpmn.py businessOnly).
        const businessOnly = field(panel, "businessOnly", attr(bo, "jiedao:businessOnly") === "true", {
          checkbox: true,
          readonly,
        });
        businessOnly.addEventListener("change", () =>
          setAttr(element, bo, "jiedao:businessOnly", businessOnly.checked ? "true" : ""),
        );
        // A personnel matter (请销假): instances readable only by those taking part (bpmn.py confidential).
        const confidential = field(panel, "confidential", attr(bo, "jiedao:confidential") === "true", {
          checkbox: true,
          readonly,
        });
        confidential.addEventListener("change", () =>
          setAttr(element, bo, "jiedao:confidential", confidential.checked ? "true" : ""),
        );
      }
      const formChoices = [["", LABELS.none], ...Object.keys(forms).map((k) => [k, k])];
      if (USER_TASKS.includes(bo.$type)) {
        ["assignee", "candidateGroups", "candidateUsers"].forEach((key) => {
          const input = field(panel, key, attr(bo, "camunda:" + key), { readonly });
          input.addEventListener("change", () => setAttr(element, bo, "camunda:" + key, input.value.trim()));
          if (readonly) return;
          if (key === "candidateGroups") groupPicker(input);
          if (key === "assignee") assigneeSuggestions(input);
        });
        const form = field(panel, "formKey", attr(bo, "camunda:formKey"), { choices: formChoices, readonly });
        form.addEventListener("change", () => setAttr(element, bo, "camunda:formKey", form.value));
        dueFields(element, bo, readonly);
        // An approval the applicant must not handle themselves (jiedao/workflow/bpmn.py excludeInitiator).
        const notInitiator = field(panel, "excludeInitiator", attr(bo, "jiedao:excludeInitiator") === "true", {
          checkbox: true,
          readonly,
        });
        notInitiator.addEventListener("change", () =>
          setAttr(element, bo, "jiedao:excludeInitiator", notInitiator.checked ? "true" : ""),
        );
        const isCountersign = Boolean(bo.loopCharacteristics);
        const countersign = field(panel, "countersign", isCountersign, { checkbox: true, readonly });
        countersign.addEventListener("change", () => {
          const loop = countersign.checked ? moddle().create("bpmn:MultiInstanceLoopCharacteristics") : undefined;
          modeling().updateProperties(element, { loopCharacteristics: loop });
          renderProps(element);
        });
        if (isCountersign) {
          const completion = field(panel, "completion", attr(bo, "jiedao:completion") || "all", { readonly });
          completion.addEventListener("change", () => setAttr(element, bo, "jiedao:completion", completion.value.trim()));
        }
      } else if (bo.$type === "bpmn:StartEvent") {
        const form = field(panel, "formKey", attr(bo, "camunda:formKey"), { choices: formChoices, readonly });
        form.addEventListener("change", () => setAttr(element, bo, "camunda:formKey", form.value));
      } else if (bo.$type === "bpmn:ServiceTask") {
        const choices = [["", LABELS.none], ...config.actions.map((a) => [a.name, a.label + "（" + a.name + "）"])];
        const action = field(panel, "action", attr(bo, "jiedao:action"), { choices, readonly });
        action.addEventListener("change", () => setAttr(element, bo, "jiedao:action", action.value));
        const params = field(panel, "params", attr(bo, "jiedao:params"), { multiline: true, readonly });
        params.addEventListener("change", () => setAttr(element, bo, "jiedao:params", params.value.trim()));
      } else if (bo.$type === "bpmn:SequenceFlow") {
        const source = bo.sourceRef;
        if (source && /Gateway$/.test(source.$type) && source.$type !== "bpmn:ParallelGateway") {
          const condition = field(panel, "condition", bo.conditionExpression ? bo.conditionExpression.body : "", {
            multiline: true,
            readonly,
          });
          condition.addEventListener("change", () => {
            const body = condition.value.trim();
            const expression = body ? moddle().create("bpmn:FormalExpression", { body }) : undefined;
            modeling().updateProperties(element, { conditionExpression: expression });
          });
          const isDefault = field(panel, "isDefault", source.default === bo, { checkbox: true, readonly });
          isDefault.addEventListener("change", () => {
            const gateway = modeler.get("elementRegistry").get(source.id);
            modeling().updateProperties(gateway, { default: isDefault.checked ? bo : undefined });
          });
        }
      } else if (["bpmn:BoundaryEvent", "bpmn:IntermediateCatchEvent"].includes(bo.$type)) {
        const definition = (bo.eventDefinitions || [])[0];
        if (definition && definition.$type === "bpmn:TimerEventDefinition") {
          const days = field(panel, "workingDays", attr(definition, "jiedao:workingDays"), { readonly });
          days.addEventListener("change", () => setAttr(element, definition, "jiedao:workingDays", days.value.trim()));
          const duration = field(panel, "timeDuration", definition.timeDuration ? definition.timeDuration.body : "", {
            readonly,
          });
          duration.addEventListener("change", () => {
            const body = duration.value.trim();
            definition.timeDuration = body ? moddle().create("bpmn:FormalExpression", { body }) : undefined;
            modeler.get("eventBus").fire("elements.changed", { elements: [element] });
          });
        }
      }
    }

    modeler.on("selection.changed", (event) => renderProps(event.newSelection[0] || null));
    await importXml(config.xml);
    renderProps(null);

    // --- forms ---------------------------------------------------------------------------------------
    const formSelect = document.getElementById("wf-form-key");
    const formHolder = document.getElementById("wf-form-editor");

    function keepCurrentForm() {
      if (config.editable && formEditor && currentFormKey) forms[currentFormKey] = formEditor.saveSchema();
    }

    function refreshFormList() {
      // No forms: the select, 删除表单 and the editor's box are hidden, a line says so instead.
      const none = !Object.keys(forms).length;
      formSelect.hidden = none;
      formHolder.hidden = none;
      const removeForm = document.getElementById("wf-form-remove");
      if (removeForm) removeForm.hidden = none;
      const noneNote = document.getElementById("wf-forms-none");
      if (noneNote) noneNote.hidden = !none;
      formSelect.replaceChildren();
      Object.keys(forms).forEach((key) => {
        const option = document.createElement("option");
        option.value = key;
        option.textContent = key;
        option.selected = key === currentFormKey;
        formSelect.appendChild(option);
      });
    }

    async function openForm(key) {
      keepCurrentForm();
      currentFormKey = key;
      refreshFormList();
      if (!config.editable) {
        await showForm(key);
        return;
      }
      if (!key || !window.FormEditor) {
        if (formEditor) formEditor.clear && formEditor.clear();
        return;
      }
      if (!formEditor) {
        formEditor = new window.FormEditor.FormEditor({
          container: formHolder,
          additionalModules: zh ? [zh.formEditorModule] : [],
        });
        if (zh) zh.localizeFormEditor(formHolder);
      }
      await formEditor.importSchema(forms[key]);
    }

    // A version that cannot be saved: the form as the user will see it, read-only.
    let formViewer = null;
    async function showForm(key) {
      if (!key || !window.FormViewer) {
        if (formViewer) formViewer.clear && formViewer.clear();
        return;
      }
      if (!formViewer) {
        formViewer = new window.FormViewer.Form({
          container: formHolder,
          additionalModules: zh ? [zh.formViewerModule] : [],
        });
        if (zh) zh.localizeFormViewer(formHolder);
      }
      await formViewer.importSchema(forms[key], {});
      formViewer.setProperty("readOnly", true);
    }

    formSelect.addEventListener("change", () => openForm(formSelect.value));
    const addButton = document.getElementById("wf-form-add");
    if (addButton) {
      // The key of a new form, checked here with the server's rule (jiedao/workflow/formschema.py _KEY_RE):
      // a refusal is said beside the field, never silently ignored.
      const keyInput = document.getElementById("wf-form-new-key");
      const keyError = document.getElementById("wf-form-new-key-error");
      const refuse = (text) => {
        keyInput.classList.add("is-invalid");
        keyInput.setAttribute("aria-invalid", "true");
        keyError.textContent = text;
        keyInput.focus();
      };
      keyInput.addEventListener("input", () => {
        keyInput.classList.remove("is-invalid");
        keyInput.removeAttribute("aria-invalid");
        keyError.textContent = "";
      });
      keyInput.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          addButton.click();
        }
      });
      addButton.addEventListener("click", () => {
        const key = keyInput.value.trim();
        if (!key) return refuse(root.dataset.textFormKeyEmpty);
        if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(key)) return refuse(root.dataset.textFormKeyInvalid.replace("%s", key));
        if (forms[key]) return refuse(root.dataset.textFormKeyTaken.replace("%s", key));
        forms[key] = { type: "default", id: key, components: [] };
        keyInput.value = "";
        keyError.textContent = "";
        openForm(key);
      });
    }
    const removeButton = document.getElementById("wf-form-remove");
    if (removeButton) {
      removeButton.addEventListener("click", () => {
        if (!currentFormKey) return;
        delete forms[currentFormKey];
        currentFormKey = null;
        const next = Object.keys(forms)[0] || null;
        openForm(next);
      });
    }
    await openForm(Object.keys(forms)[0] || null);

    // --- files and the server ----------------------------------------------------------------------------
    const importInput = document.getElementById("wf-import");
    if (importInput) {
      importInput.addEventListener("change", () => {
        const files = Array.from(importInput.files);
        if (!files.length) return;
        (async () => {
          // The server reads the files first: a file from Flowable, Activiti or Camunda Modeler comes back in
          // the platform's convention (with a diagram if it had none), with the forms it carries (those
          // exported here too, and the Camunda .form files chosen with it or zipped with it), what was
          // converted and what must be fixed before deploy.
          const report = await importOnServer(files);
          if (!report) return;
          const carried = report.forms || {};
          if (Object.keys(carried).length) {
            keepCurrentForm();
            Object.assign(forms, carried);
            const show = currentFormKey && forms[currentFormKey] ? currentFormKey : Object.keys(forms)[0];
            currentFormKey = null; // the editor's copy of a replaced form must not be written back
            await openForm(show);
          }
          await importXml(report.xml);
          showImportReport(report.problems || [], report.notes || []);
        })();
        importInput.value = "";
      });
    }
    async function importOnServer(files) {
      let response;
      let body = {};
      const upload = new FormData();
      files.forEach((file) => upload.append("bpmn_file", file, file.name));
      try {
        response = await fetch(config.importUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken() },
          body: upload,
          credentials: "same-origin",
        });
        body = await response.json();
      } catch (error) {
        const data = root.dataset;
        const status = response ? response.status : 0;
        const reason = status === 403 ? data.textForbidden : status === 413 ? data.textTooLarge : data.textServerError;
        body = { ok: false, errors: [reason + (status ? "（HTTP " + status + "）" : "")] };
      }
      if (!body.ok) {
        showMessages(messages, false, [root.dataset.textImportFailed, ...(body.errors || [])]);
        return null;
      }
      return body;
    }

    // What the import converted, and what the administrator must fix before deploy (each names its element).
    function showImportReport(problems, notes) {
      const parts = [];
      [
        [problems, "alert-warning", root.dataset.textImportProblems, "import-problems"],
        [notes, "alert-info", root.dataset.textImportNotes, "import-notes"],
      ].forEach(([lines, kind, heading, testid]) => {
        if (!lines.length) return;
        const alert = document.createElement("div");
        alert.className = "alert " + kind;
        alert.dataset.testid = testid;
        const title = document.createElement("p");
        title.className = "mb-1 fw-semibold";
        title.textContent = heading;
        const list = document.createElement("ul");
        list.className = "mb-0";
        lines.forEach((line) => {
          const item = document.createElement("li");
          item.textContent = line;
          list.appendChild(item);
        });
        alert.append(title, list);
        parts.push(alert);
      });
      messages.replaceChildren(...parts);
    }

    document.getElementById("wf-export").addEventListener("click", async () => {
      keepCurrentForm();
      declareNamespaces();
      const { xml } = await modeler.saveXML({ format: true });
      const link = document.createElement("a");
      // With the forms inside, as the list's 导出 gives it: the file imports elsewhere and deploys.
      link.href = URL.createObjectURL(new Blob([embedForms(xml, forms)], { type: "application/xml" }));
      link.download = (config.key || "process") + ".bpmn";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });

    async function send(url) {
      keepCurrentForm();
      declareNamespaces();
      const { xml } = await modeler.saveXML({ format: true });
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ bpmn_xml: xml, forms, name: document.getElementById("wf-name").value }),
        credentials: "same-origin",
      });
      let body = {};
      try {
        body = await response.json();
      } catch (error) {
        // Not the designer's JSON answer (a proxy's or the platform's error page): say what it means.
        const data = root.dataset;
        const text =
          response.status === 403 ? data.textForbidden : response.status === 413 ? data.textTooLarge : data.textServerError;
        body = { ok: false, errors: [text + "（HTTP " + response.status + "）"] };
      }
      if (body.ok) {
        showMessages(messages, true, [body.message || root.dataset.textSaved]);
        if (body.status !== "draft" && body.redirect) window.location.assign(body.redirect);
      } else {
        showMessages(messages, false, [root.dataset.textFailed, ...(body.errors || [])]);
      }
    }

    const saveButton = document.getElementById("wf-save");
    if (saveButton) saveButton.addEventListener("click", () => send(config.saveUrl));
    const deployButton = document.getElementById("wf-deploy");
    if (deployButton) {
      deployButton.addEventListener("click", () => {
        if (window.confirm(root.dataset.textConfirmDeploy)) send(config.deployUrl);
      });
    }
  });
})();
