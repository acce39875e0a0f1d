// Material uploads: each chosen file is checked as the service will check it — by its first bytes, not its
// name, and by the limits of the system parameters — before anything is sent. A file that would be refused
// is taken out of the selection at once with the service's own words beside its field, the other files stay
// chosen, and nothing typed on the page is lost. The service checks everything again (and converts photos);
// without scripts it says the same after sending.
(() => {
  const data = document.getElementById("upload-rules");
  if (!data) return;
  const { limits, messages } = JSON.parse(data.textContent);
  const MB = 1048576;
  const PHOTO = new Set(["jpeg", "png", "webp", "heic", "avif"]);
  const HEIF = ["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1"];
  const VIDEO = ["qt  ", "isom", "iso2", "mp41", "mp42", "M4V ", "3gp4", "3gp5", "3g2a", "dash"];

  const megabytes = (size) => (size >= MB ? `${(size / MB).toFixed(1)} MB` : `${Math.ceil(size / 1024)} KB`);
  const shortName = (name) => (name.length <= 60 ? name : `${name.slice(0, 40)}…${name.slice(-16)}`);
  const say = (key, file, limit) =>
    messages[key]
      .replace("{name}", shortName(file.name))
      .replace("{size}", megabytes(file.size))
      .replace("{mb}", String(limit || ""));

  // What the first bytes say the file is (as core.uploads.recognise).
  const kindOf = (bytes) => {
    const text = (from, to) => String.fromCharCode(...bytes.slice(from, to));
    if (text(0, 5) === "%PDF-") return "pdf";
    if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
    if (text(1, 4) === "PNG" && bytes[0] === 0x89) return "png";
    if (text(0, 4) === "RIFF" && text(8, 12) === "WEBP") return "webp";
    if (text(4, 8) === "ftyp") {
      const major = text(8, 12);
      const brands = [];
      for (let i = 16; i + 4 <= bytes.length; i += 4) brands.push(text(i, i + 4));
      if (["avif", "avis"].includes(major)) return "avif";
      if ([major, ...brands].some((b) => HEIF.includes(b))) return "heic";
      if ([major, ...brands].some((b) => VIDEO.includes(b))) return "video";
    }
    if (["moov", "mdat", "wide", "free"].includes(text(4, 8))) return "video";
    return null;
  };

  const kinds = new WeakMap(); // each checked file's kind, for the total

  // The refusal the service would give, or "" for a file it takes.
  const refusal = async (file) => {
    if (file.size === 0) return say("empty", file);
    let bytes;
    try {
      bytes = new Uint8Array(await file.slice(0, 32).arrayBuffer());
    } catch {
      return ""; // unreadable here: the service decides
    }
    const kind = kindOf(bytes);
    kinds.set(file, kind);
    if (kind === "video") return say("video", file);
    if (kind === null) return say("type", file);
    if (kind === "pdf" && file.size > limits.file * MB) return say("pdf_too_large", file, limits.file);
    if (PHOTO.has(kind) && file.size > limits.photo * MB) return say("photo_too_large", file, limits.photo);
    return "";
  };

  const statusBox = (input) => {
    let box = document.getElementById(`${input.id}_status`);
    if (!box) {
      box = document.createElement("div");
      box.id = `${input.id}_status`;
      box.className = "small mt-1 upload-status";
      box.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", box);
      const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      input.setAttribute("aria-describedby", [...described, box.id].join(" "));
    }
    return box;
  };

  const show = (input, kept, refused) => {
    const box = statusBox(input);
    box.replaceChildren();
    for (const file of kept) {
      const line = document.createElement("div");
      line.className = "form-text mt-0";
      line.textContent = messages.chosen.replace("{name}", shortName(file.name)).replace("{size}", megabytes(file.size));
      box.append(line);
    }
    if (refused.length) {
      const alert = document.createElement("div");
      alert.className = "invalid-feedback d-block";
      alert.setAttribute("role", "alert");
      for (const message of refused) {
        const line = document.createElement("div");
        line.textContent = message;
        alert.append(line);
      }
      box.append(alert);
    }
    input.classList.toggle("is-invalid", refused.length > 0);
  };

  const check = async (input) => {
    const kept = [];
    const refused = [];
    for (const file of input.files) {
      const message = await refusal(file);
      if (message) refused.push(message);
      else kept.push(file);
    }
    if (refused.length) {
      try {
        const transfer = new DataTransfer();
        kept.forEach((file) => transfer.items.add(file));
        input.files = transfer.files; // the refused files leave the selection, the others stay
      } catch {
        // an old browser: the files stay chosen and the service refuses them with the same words
      }
    }
    show(input, kept, refused);
  };

  document.querySelectorAll("input[type=file][data-upload-check]").forEach((input) => {
    input.addEventListener("change", () => check(input));
  });

  // PDFs are kept as they are sent, so their sizes add up; photos are made smaller and are not counted here.
  document.querySelectorAll("form").forEach((form) => {
    const inputs = form.querySelectorAll("input[type=file][data-upload-check]");
    if (!inputs.length) return;
    form.addEventListener("submit", (event) => {
      let total = 0;
      for (const input of inputs) {
        for (const file of input.files) if (!PHOTO.has(kinds.get(file))) total += file.size;
      }
      const last = inputs[inputs.length - 1];
      document.getElementById(`${last.id}_total`)?.remove();
      if (total <= limits.total * MB) return;
      event.preventDefault();
      const alert = document.createElement("div");
      alert.id = `${last.id}_total`;
      alert.className = "invalid-feedback d-block";
      alert.setAttribute("role", "alert");
      alert.textContent = messages.total.replace("{size}", megabytes(total)).replace("{mb}", String(limits.total));
      statusBox(last).append(alert);
      last.focus();
    });
  });
})();
