// Progress for a form that starts a long job (a form with data-progress, the
// address its progress is asked at, token appended): a post's upload as the
// browser sends it, then the server's step and how far it has gone, asked
// twice a second under a random token sent with the form (progress_token).
// The server's answer then replaces the page, as a plain submit would show
// it (at the address a plain submit would go to, for a form that gets).
// Files over the server's limit (data-max-bytes) are refused before any is
// sent. Without script, the form submits as usual.
"use strict";

(function () {
  const MIB = 1048576;

  function mib(bytes) {
    return (bytes / MIB).toFixed(1);
  }

  function percent(done, total) {
    return Math.floor((100 * done) / total) + " %";
  }

  function randomToken() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function chosenBytes(form) {
    let size = 0;
    for (const input of form.querySelectorAll("input[type=file]")) {
      for (const file of input.files) size += file.size;
    }
    return size;
  }

  function submit(form, event) {
    const box = form.querySelector(".progress");
    if (!box || !window.FormData || !window.crypto) return; // a plain post
    event.preventDefault();
    const bar = box.querySelector("progress");
    const text = box.querySelector(".progress-text");
    const button = form.querySelector("button[type=submit]");
    box.hidden = false;

    const limit = Number(form.dataset.maxBytes || 0);
    const size = chosenBytes(form);
    if (limit && size > limit) {
      bar.hidden = true;
      text.textContent =
        "The files chosen hold " + mib(size) + " MiB, over this server's limit of " +
        mib(limit) + " MiB; nothing was sent.";
      return;
    }
    bar.hidden = false;

    const token = randomToken();
    const data = new FormData(form);
    const getting = form.method.toLowerCase() === "get";
    const xhr = new XMLHttpRequest();
    let timer = null;

    function show(done, total, words) {
      if (total) {
        bar.max = total;
        bar.value = Math.min(done, total);
      } else {
        bar.removeAttribute("value"); // an indefinite bar
      }
      text.textContent = words;
    }

    function ask() {
      fetch(form.dataset.progress + token, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((p) => {
          if (!p || xhr.readyState === XMLHttpRequest.DONE) return;
          let words = p.phase;
          if (p.done && p.unit) {
            words += ": " + p.done.toLocaleString("en") + " " + p.unit;
            if (p.total) words += " of " + p.total.toLocaleString("en");
          }
          if (p.done && p.total) words += " (" + percent(p.done, p.total) + ")";
          show(p.done, p.total, words);
        })
        .catch(() => {}); // the next ask may answer
    }

    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        show(e.loaded, e.total,
          "Uploading: " + mib(e.loaded) + " of " + mib(e.total) + " MiB (" +
          percent(e.loaded, e.total) + ")");
      }
    });
    xhr.upload.addEventListener("load", () => {
      show(0, 0, "Uploaded; the server is at work");
      timer = window.setInterval(ask, 500);
    });
    xhr.addEventListener("load", () => {
      window.clearInterval(timer);
      if (getting) window.history.pushState(null, "", address);
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    const lost = () => {
      window.clearInterval(timer);
      bar.hidden = true;
      text.textContent = form.dataset.lost || "The connection to the server was lost; try again.";
      button.disabled = false;
    };
    xhr.addEventListener("error", lost);
    xhr.addEventListener("abort", lost);

    button.disabled = true;
    let address = form.action;
    if (getting) {
      address += "?" + new URLSearchParams(data).toString();
      xhr.open("GET", address + "&progress_token=" + token);
      xhr.send();
      show(0, 0, "Sent; the server is at work");
      timer = window.setInterval(ask, 500);
    } else {
      data.set("progress_token", token);
      xhr.open("POST", form.action);
      xhr.send(data);
      show(0, size, "Uploading");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-progress]")) {
      form.addEventListener("submit", (event) => submit(form, event));
    }
  });
})();
