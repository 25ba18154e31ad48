// Drenfax Portal: small progressive enhancements. Every page works without this file.
// No inline scripts, no eval, nothing from a CDN: a strict Content-Security-Policy holds.
"use strict";

(() => {
  // --- Polling is not activity ---------------------------------------------------------------
  // The server signs a session out after IDLE_TIMEOUT_MINUTES without activity. Requests htmx
  // repeats on a timer (hx-trigger="every 3s", or an element marked data-poll) say so with
  // X-Portal-Poll: 1, so an open tab that refreshes itself still times out. A request the
  // user caused (a click, a typed filter, a custom event) carries no such header.
  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    if (!(elt instanceof Element)) return;
    const trigger = elt.getAttribute("hx-trigger") || "";
    const timed = /(^|,)\s*every\s/.test(trigger) && !event.detail.triggeringEvent;
    if (timed || elt.hasAttribute("data-poll")) {
      event.detail.headers["X-Portal-Poll"] = "1";
    }
  });

  // --- Submit buttons marked data-once: one submission per page view ----------------------
  // The server ignores a repeated one-time key anyway; this only spares a second wait.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const button = event.submitter;
    if (!(form instanceof HTMLFormElement) || !button || !button.hasAttribute("data-once")) {
      return;
    }
    if (form.dataset.uploading === "1") {
      event.preventDefault();
      announce(form, "Wait until the files are uploaded.");
      return;
    }
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    button.setAttribute("aria-disabled", "true");
  });
  // Back to a page kept by the browser: its buttons work again (the server has the last word).
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-sent]").forEach((form) => {
      delete form.dataset.sent;
      form.querySelectorAll("[data-once]").forEach((b) => b.removeAttribute("aria-disabled"));
    });
  });

  // --- Live character counters: <span class="counter" data-counter-for="id" data-max="55"> --
  function updateCounter(counter) {
    const field = document.getElementById(counter.dataset.counterFor);
    if (!field) return;
    const max = parseInt(counter.dataset.max, 10);
    // A line break is one character, as the server counts it.
    const length = field.value.replace(/\r\n/g, "\n").length;
    counter.textContent = `${length} / ${max}`;
    counter.classList.toggle("over", length > max);
  }
  document.addEventListener("input", (event) => {
    const id = event.target.id;
    if (!id) return;
    document.querySelectorAll(`.counter[data-counter-for="${CSS.escape(id)}"]`).forEach(updateCounter);
  });
  document.querySelectorAll(".counter[data-counter-for]").forEach(updateCounter);

  // --- The send form ------------------------------------------------------------------------
  const form = document.querySelector("form[data-send-form]");
  if (!form) return;
  const list = form.querySelector("[data-file-list]");
  const totals = form.querySelector("[data-file-totals]");
  const input = form.querySelector("input[type=file][data-upload-url]");
  const progress = form.querySelector("#upload-progress");
  const status = form.querySelector("[data-upload-status]");

  function announce(where, text) {
    const region = where.querySelector("[data-upload-status]");
    if (region) region.textContent = text;
  }

  function sizeText(bytes) {
    // As Django's filesizeformat writes it (1024-based, one decimal).
    if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    return `${(bytes / 1024 / 1024 / 1024).toFixed(1)} GB`;
  }

  function rows() {
    return Array.from(list.querySelectorAll("[data-file-row]"));
  }

  function updateTotals() {
    const all = rows();
    if (!all.length) {
      totals.textContent = "No files yet.";
      return;
    }
    let size = 0;
    let pages = 0;
    let unknown = false;
    all.forEach((row) => {
      size += parseInt(row.dataset.size, 10) || 0;
      if (row.dataset.pages) pages += parseInt(row.dataset.pages, 10);
      else unknown = true;
    });
    const maxTotal = parseInt(totals.dataset.maxTotal, 10);
    const maxFiles = parseInt(totals.dataset.maxFiles, 10);
    totals.textContent =
      `${all.length} file${all.length === 1 ? "" : "s"} · ${sizeText(size)} of ${sizeText(maxTotal)} · ` +
      `${unknown ? "at least " : ""}${pages} page${pages === 1 ? "" : "s"}`;
    totals.classList.toggle("bad", size > maxTotal || all.length > maxFiles);
  }

  // Reorder and remove files in place (without JavaScript these buttons post the form).
  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-file-action]");
    if (!button || !form.contains(button)) return;
    event.preventDefault();
    const row = button.closest("[data-file-row]");
    const name = row.querySelector(".file-name").textContent;
    const action = button.dataset.fileAction;
    if (action === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
      announce(form, `${name} moved up.`);
    } else if (action === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
      announce(form, `${name} moved down.`);
    } else if (action === "remove") {
      row.remove();
      announce(form, `${name} removed.`);
      updateTotals();
      return;
    }
    button.focus();
  });

  // Upload chosen files at once, with a progress bar; the server answers with their rows.
  if (input && window.FormData && window.XMLHttpRequest && window.DOMParser) {
    input.addEventListener("change", () => {
      const chosen = Array.from(input.files);
      if (!chosen.length) return;
      const maxFile = parseInt(input.dataset.maxFile, 10);
      const tooBig = chosen.filter((file) => file.size > maxFile);
      if (tooBig.length) {
        // Refused before uploading anything (the server checks again in any case).
        const names = tooBig.map((file) => `${file.name} (${sizeText(file.size)})`).join(", ");
        announce(form, `Not uploaded: ${names}: larger than ${input.dataset.maxFileText}, the limit per file.`);
        input.value = "";
        return;
      }
      upload(chosen);
    });
  }

  function upload(files) {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    rows().forEach((row) => data.append("files", row.querySelector("input[name=files]").value));
    files.forEach((file) => data.append("attachments", file, file.name));
    const xhr = new XMLHttpRequest();
    xhr.open("POST", input.dataset.uploadUrl);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    form.dataset.uploading = "1";
    progress.value = 0;
    progress.hidden = false;
    announce(form, "Uploading…");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      progress.value = Math.round((event.loaded / event.total) * 100);
      status.textContent = `Uploading… ${progress.value}%`;
    });
    xhr.addEventListener("load", () => {
      finish();
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const added = page.querySelectorAll("[data-new-files] > [data-file-row]");
      added.forEach((row) => list.appendChild(document.importNode(row, true)));
      const refusals = page.querySelector("[data-upload-refusals]");
      const current = form.querySelector("[data-upload-refusals]");
      if (refusals && current) current.replaceWith(document.importNode(refusals, true));
      input.value = "";
      updateTotals();
      if (xhr.status !== 200 && !refusals) {
        announce(form, `The upload failed (error ${xhr.status}); choose the files again.`);
      } else {
        announce(form, `${added.length} file${added.length === 1 ? "" : "s"} added.`);
      }
    });
    xhr.addEventListener("error", () => {
      finish();
      // The files stay chosen: a plain submit of the form sends them along.
      announce(form, "The upload failed (no connection). The chosen files will go with the form.");
    });
    xhr.send(data);
  }

  function finish() {
    delete form.dataset.uploading;
    progress.hidden = true;
  }

  // Contact suggestions (htmx fills the list): a pick adds the number, and the first
  // contact's name goes on the cover page's "To" line.
  const picker = form.querySelector("[data-contact-picker]");
  if (picker) {
    const search = picker.querySelector("input[type=search]");
    const recipients = form.querySelector("#id_recipients");
    const toName = form.querySelector("#id_recipient_name");
    const said = picker.querySelector("[data-contact-status]");
    const options = () => Array.from(picker.querySelectorAll("[data-contact-number]"));
    const clear = () => picker.querySelector("#contact-suggestions").replaceChildren();

    function pick(option) {
      const { contactNumber: number, contactName: name } = option.dataset;
      const typed = recipients.value.trim();
      if (!typed.split(/[\s,;]+/).includes(number)) {
        recipients.value = typed ? `${typed}, ${number}` : number;
      }
      if (toName && !toName.value.trim()) {
        toName.value = name.slice(0, 40);
        toName.dispatchEvent(new Event("input", { bubbles: true }));
      }
      search.value = "";
      clear();
      search.setAttribute("aria-expanded", "false");
      recipients.dispatchEvent(new Event("change", { bubbles: true })); // the number check
      said.textContent = `${name} added.`;
      search.focus();
    }

    picker.addEventListener("click", (event) => {
      const option = event.target.closest("[data-contact-number]");
      if (!option) return;
      event.preventDefault();
      pick(option);
    });
    picker.addEventListener("keydown", (event) => {
      const all = options();
      const at = all.indexOf(document.activeElement);
      if ((event.key === "ArrowDown" || event.key === "ArrowUp") && all.length) {
        event.preventDefault();
        const next = event.key === "ArrowDown" ? Math.min(at + 1, all.length - 1) : at - 1;
        (next >= 0 ? all[next] : search).focus();
      } else if (event.key === "Enter" && event.target === search) {
        event.preventDefault(); // not the form's submit
        if (all.length) pick(all[0]);
      } else if (event.key === "Escape") {
        clear();
        search.focus();
      }
    });
    picker.addEventListener("htmx:afterSwap", () => {
      search.setAttribute("aria-expanded", options().length ? "true" : "false");
    });
  }

  // Custom field rows: add and remove in place.
  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-cf-add]");
    const remove = event.target.closest("[data-cf-remove]");
    const container = form.querySelector("[data-cf-rows]");
    if (add) {
      event.preventDefault();
      const last = container.querySelector("[data-cf-row]:last-child");
      const row = last.cloneNode(true);
      row.querySelectorAll("input").forEach((field) => {
        field.value = "";
      });
      container.appendChild(row);
      row.querySelector("input").focus();
    } else if (remove) {
      event.preventDefault();
      const row = remove.closest("[data-cf-row]");
      if (container.querySelectorAll("[data-cf-row]").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach((field) => {
          field.value = "";
        });
      }
    }
  });
})();
