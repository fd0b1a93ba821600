// Linli web chat. Plain script, no libraries: works in WeChat's in-app browser.
// Every text from the server is shown with textContent, never as HTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var T = config.texts;
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var human = document.getElementById("human");
  var big = document.getElementById("bigtext");
  var bar = document.getElementById("handoff");
  var busy = false;
  var lastButtons = null;

  function scroll() { window.scrollTo(0, document.body.scrollHeight); }

  // Show a new answer from its first line (a long tutorial step is read from the top), or
  // everything new when it fits on the screen.
  function reveal(first) {
    var head = document.getElementById("head").offsetHeight;
    var top = first.getBoundingClientRect().top + window.pageYOffset - head - 8;
    var bottom = document.body.scrollHeight - window.innerHeight;
    window.scrollTo(0, Math.max(0, Math.min(top, bottom)));
  }

  function bubble(text, who) {
    var p = document.createElement("p");
    p.className = "msg " + who;
    p.textContent = text;
    log.appendChild(p);
    scroll();
    return p;
  }

  // A bubble with a picture or a voice note under its words (URLs from Linli itself, or blob: previews).
  function mediaBubble(text, who, url, kind) {
    var p = bubble(text, who);
    var el = document.createElement(kind === "voice" ? "audio" : "img");
    if (kind === "voice") { el.controls = true; } else { el.alt = text; el.addEventListener("load", scroll); }
    el.src = url;
    p.appendChild(el);
    scroll();
    return p;
  }

  function buttons(list) {
    if (lastButtons) { lastButtons.remove(); lastButtons = null; }  // old choices would confuse
    if (!list || !list.length) { return; }
    var box = document.createElement("div");
    box.className = "buttons";
    list.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", function () { say(b.payload, b.title); });
      box.appendChild(btn);
    });
    log.appendChild(box);
    lastButtons = box;
    scroll();
  }

  function showReplies(msgs, who) {
    var last = null, first = null;
    (msgs || []).forEach(function (m) {
      if (m.image) {
        var pic = mediaBubble(m.text || "", who || "bot", m.image, "photo");
        first = first || pic;
      } else if (m.text) {
        var b = bubble(m.text, who || "bot");
        first = first || b;
      }
      if (m.buttons && m.buttons.length) { last = m.buttons; }
    });
    if (msgs && msgs.length) { buttons(last); }
    if (first) { reveal(first); }
  }

  function showHandoff(h) {
    if (h && h.label) { bar.textContent = h.label; bar.hidden = false; } else { bar.hidden = true; }
  }

  function request(method, url, body, done, failed) {
    var x = new XMLHttpRequest();
    x.open(method, url, true);
    x.timeout = 20000;
    if (body !== null) { x.setRequestHeader("Content-Type", "application/json"); }
    x.onload = function () {
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      if (x.status === 200 && data) { done(data); } else { failed(x.status); }
    };
    x.onerror = function () { failed(0); };
    x.ontimeout = function () { failed(0); };
    x.send(body === null ? null : JSON.stringify(body));
  }

  function say(text, shown) {
    if (busy || !text.replace(/\s/g, "")) { return; }
    busy = true; send.disabled = true; human.disabled = true;
    bubble(shown || text, "me");
    if (lastButtons) { lastButtons.remove(); lastButtons = null; }
    var wait = bubble(T.SENDING, "notice");
    request("POST", "/api/chat", {message: text}, function (data) {
      wait.remove();
      showReplies(data.messages);
      showHandoff(data.handoff);
      done();
    }, function (status) {
      wait.remove();
      bubble(status === 400 || status === 413 || status === 415 ? T.BAD_REQUEST : T.NETWORK_ERROR, "error");
      if (!input.value) { input.value = text; }  // nothing typed is lost
      done();
    });
    function done() { busy = false; send.disabled = false; human.disabled = false; }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.replace(/\s/g, "")) { input.focus(); return; }
    input.value = "";
    say(text);
  });
  human.addEventListener("click", function () { say(T.FIND_WORKER_SAYS); });

  // ---- pictures and voice notes: the file itself is the request body (POST /api/media) ----------
  function upload(blob, kind, preview) {
    if (busy) { return; }
    busy = true; send.disabled = true; human.disabled = true;
    var url = window.URL && URL.createObjectURL ? URL.createObjectURL(blob) : "";
    var shown = kind === "voice" ? T.VOICE_SENT : T.PHOTO_SENT;
    if (url) { mediaBubble(shown, "me", url, kind); } else { bubble(shown, "me"); }
    if (lastButtons) { lastButtons.remove(); lastButtons = null; }
    var wait = bubble(T.UPLOADING, "notice");
    var x = new XMLHttpRequest();
    x.open("POST", "/api/media?kind=" + kind, true);
    x.timeout = 60000;
    x.setRequestHeader("Content-Type", blob.type || "application/octet-stream");
    function finish() { wait.remove(); busy = false; send.disabled = false; human.disabled = false; }
    x.onload = function () {
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      finish();
      if (x.status === 200 && data) { showReplies(data.messages); showHandoff(data.handoff); }
      else { bubble(x.status === 413 || x.status === 415 ? T.BAD_REQUEST : T.NETWORK_ERROR, "error"); }
    };
    x.onerror = x.ontimeout = function () { finish(); bubble(T.NETWORK_ERROR, "error"); };
    x.send(blob);
  }

  var photo = document.getElementById("photo");
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    photo.value = "";
    if (file) { upload(file, "photo"); }
  });

  var voice = document.getElementById("voice");
  var recorder = null, chunks = [], voiceLabel = voice.textContent, notice = null;
  voice.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") { recorder.stop(); return; }
    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      bubble(T.VOICE_UNAVAILABLE, "notice");
      return;
    }
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (e) { if (e.data && e.data.size) { chunks.push(e.data); } });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        voice.textContent = voiceLabel; voice.classList.remove("recording");
        if (notice) { notice.remove(); notice = null; }
        var type = (recorder.mimeType || (chunks[0] && chunks[0].type) || "audio/webm").split(";")[0];
        if (chunks.length) { upload(new Blob(chunks, {type: type}), "voice"); }
      });
      recorder.start();
      voice.textContent = T.VOICE_STOP; voice.classList.add("recording");
      notice = bubble(T.VOICE_RECORDING, "notice");
    }, function () { bubble(T.VOICE_DENIED, "notice"); });
  });

  function setBig(on) {
    document.documentElement.classList.toggle("big", on);
    big.setAttribute("aria-pressed", on ? "true" : "false");
    big.textContent = on ? T.NORMAL_TEXT : T.BIG_TEXT;
    try { localStorage.setItem("linli_big", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  big.addEventListener("click", function () { setBig(!document.documentElement.classList.contains("big")); });
  try { if (localStorage.getItem("linli_big") === "1") { setBig(true); } } catch (e) { /* private mode */ }

  function poll() {
    if (!busy) {
      request("GET", "/api/poll", null, function (data) {
        showReplies(data.messages, "worker");  // a social worker's words (or a notice about them)
        showHandoff(data.handoff);
      }, function () {});
    }
    window.setTimeout(poll, config.pollSeconds * 1000);
  }

  request("GET", "/api/start", null, function (data) {
    (data.history || []).forEach(function (m) {
      if (m.image) { mediaBubble(m.text, "bot", m.image, "photo"); } else { bubble(m.text, m.from === "me" ? "me" : "bot"); }
    });
    if (data.notice) { bubble(data.notice, "notice"); }
    if (!data.notice && !(data.history || []).length) { bubble(T.PAGE_SUBTITLE, "bot"); }
    showHandoff(data.handoff);
    window.setTimeout(poll, config.pollSeconds * 1000);
  }, function () {
    bubble(T.NETWORK_ERROR, "error");
    window.setTimeout(poll, config.pollSeconds * 1000);
  });
}());
