// Linli console for social workers. Plain script; every text is set with textContent.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var T = config.texts;
  var $ = function (id) { return document.getElementById(id); };
  var current = null;      // the open ticket's number
  var lastSeen = "";       // what the open card showed last (to redraw only on change)
  var baseTitle = document.title;
  var urgentWaiting = 0;
  var audio = null;
  var flash = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function call(method, url, body, done, failed) {
    var x = new XMLHttpRequest();
    x.open(method, url, true);
    x.timeout = 15000;
    if (body !== null) {
      x.setRequestHeader("Content-Type", "application/json");
      x.setRequestHeader("X-CSRF-Token", config.csrf);
    }
    x.onload = function () {
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      if (x.status === 401) { window.location.href = "/console/login"; return; }
      if (x.status === 200 && data) { done(data); } else if (failed) { failed(data || {}); }
    };
    x.onerror = function () { if (failed) { failed({}); } };
    x.send(body === null ? null : JSON.stringify(body));
  }

  // ---- the queue ---------------------------------------------------------------------------------
  function ticketButton(t) {
    var li = el("li");
    var b = el("button", t.urgent && t.status === "waiting" ? "urgent" : "");
    b.type = "button";
    b.id = "ticket-" + t.id;
    if (t.id === current) { b.className += " selected"; }
    var head = el("div");
    head.appendChild(el("span", "tag" + (t.urgent ? " urgent" : ""), t.priority_label));
    head.appendChild(el("span", "tag", t.status_label));
    head.appendChild(el("span", "tag", t.channel));
    head.appendChild(el("strong", "", "#" + t.id + " " + t.persona));
    b.appendChild(head);
    b.appendChild(el("div", "", t.asked));
    var meta = [t.waited || t.opened];
    if (t.worker) { meta.push(T.CARD_HANDLER + "：" + t.worker); }
    if (t.outcome) { meta.push(T.CARD_OUTCOME + "：" + t.outcome); }
    b.appendChild(el("div", "muted", meta.join(" · ")));
    b.addEventListener("click", function () { openTicket(t.id); });
    li.appendChild(b);
    return li;
  }

  function showQueue(q) {
    var open = $("open"), closed = $("closed");
    open.textContent = ""; closed.textContent = "";
    q.open.forEach(function (t) { open.appendChild(ticketButton(t)); });
    q.closed.forEach(function (t) { closed.appendChild(ticketButton(t)); });
    $("empty").hidden = q.open.length > 0;
    urgentWaiting = q.urgent_waiting;
    var alert = $("alert");
    if (urgentWaiting > 0) {
      alert.textContent = T.URGENT_BANNER.replace("{n}", urgentWaiting);
      alert.hidden = false;
    } else {
      alert.hidden = true;
      document.title = baseTitle;
    }
  }

  function loadQueue() { call("GET", "/console/api/queue", null, showQueue); }

  // Urgent and unclaimed: the title flashes and a tone sounds until someone claims it.
  function alarm() {
    if (urgentWaiting > 0) {
      flash = !flash;
      document.title = flash ? T.URGENT_ALERT_TITLE : baseTitle;
      if (audio) { beep(); }
    }
  }
  function beep() {
    try {
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.2;
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.3);
    } catch (e) { /* no sound on this device */ }
  }
  $("sound").addEventListener("click", function () {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      audio = audio || new Ctx();
      if (audio.resume) { audio.resume(); }
      beep();
      $("sound").textContent = T.SOUND_IS_ON;
    } catch (e) { /* no sound on this device */ }
  });

  // ---- one ticket --------------------------------------------------------------------------------
  function fact(dl, name, value) {
    if (!value) { return; }
    dl.appendChild(el("dt", "", name));
    dl.appendChild(el("dd", "", value));
  }

  // A picture or voice note, fetched through the signed-in route (never a public URL).
  function mediaEl(f) {
    var e = el(f.kind === "voice" ? "audio" : "img");
    if (f.kind === "voice") { e.controls = true; e.preload = "none"; } else { e.alt = T.MEDIA_PHOTO; }
    e.src = f.url;
    return e;
  }

  function line(m) {
    var li = el("li", m.kind);
    li.appendChild(el("span", "who", m.from));
    li.appendChild(document.createTextNode(m.text));
    if (m.media) { li.appendChild(mediaEl(m.media)); }
    if (m.at) { li.appendChild(el("span", "at", m.at)); }
    return li;
  }

  function showMedia(list) {
    var box = $("media"); box.textContent = "";
    $("media-title").hidden = !list.length;
    list.forEach(function (f) {
      var li = el("li");
      li.appendChild(el("span", "who", (f.from === "worker" ? T.MEDIA_FROM_WORKER : "") +
                        (f.kind === "voice" ? T.MEDIA_VOICE : T.MEDIA_PHOTO)));
      li.appendChild(mediaEl(f));
      if (f.transcript) { li.appendChild(el("p", "heard", T.MEDIA_HEARD + f.transcript)); }
      box.appendChild(li);
    });
  }

  function button(text, cls, id, onClick) {
    var b = el("button", cls, text);
    b.type = "button"; b.id = id;
    b.addEventListener("click", onClick);
    return b;
  }

  function showCard(c) {
    var seen = JSON.stringify(c);
    if (seen === lastSeen) { return; }
    lastSeen = seen;
    $("card").hidden = false;
    $("card-title").textContent = "#" + c.id + " " + c.priority_label + " · " + c.status_label;
    var dl = $("facts"); dl.textContent = "";
    fact(dl, T.CARD_WHO, c.persona + (c.deleted ? "（" + T.CARD_DELETED + "）" : ""));
    fact(dl, T.CARD_REGION, c.region);
    fact(dl, T.CARD_CHANNEL, c.channel);
    fact(dl, T.CARD_ASKED, c.asked_full);
    fact(dl, T.CARD_HANDLER, c.worker);
    fact(dl, T.CARD_OUTCOME, c.outcome + (c.close_note ? "：" + c.close_note : ""));
    var tried = $("tried"); tried.textContent = "";
    c.tried.forEach(function (t) { tried.appendChild(el("li", "", t)); });
    var msgs = $("messages"); msgs.textContent = "";
    c.messages.forEach(function (m) { msgs.appendChild(line(m)); });
    msgs.scrollTop = msgs.scrollHeight;
    var notes = $("notes"); notes.textContent = "";
    c.notes.forEach(function (m) { notes.appendChild(line(m)); });
    showMedia(c.media || []);
    var actions = $("actions"); actions.textContent = "";
    if (c.status === "waiting") {
      actions.appendChild(button(T.CLAIM, "primary", "claim", function () { act("claim", {}); }));
    }
    if (c.status === "claimed" && !c.mine) {
      actions.appendChild(el("p", "muted", T.NOT_YOURS.replace("{name}", c.worker)));
      actions.appendChild(button(T.TAKE_OVER, "", "take_over", function () { act("take_over", {}); }));
    }
    if (c.status === "closed" && !c.deleted) {
      actions.appendChild(button(T.REOPEN, "", "reopen", function () { act("reopen", {}); }));
    }
    $("reply-form").hidden = !c.can_reply;
    $("close-form").hidden = c.status === "closed" || (c.status === "claimed" && !c.mine);
  }

  function showError(data) {
    var e = $("card-error");
    e.textContent = T.ACTION_FAILED.replace("{why}", data.why || T.NETWORK_ERROR);
    e.hidden = false;
  }

  function act(action, body, after) {
    $("card-error").hidden = true;
    call("POST", "/console/api/tickets/" + current + "/" + action, body, function (c) {
      showCard(c); loadQueue();
      if (after) { after(); }
    }, showError);
  }

  function openTicket(id) {
    current = id; lastSeen = "";
    $("card-error").hidden = true;
    call("GET", "/console/api/tickets/" + id + "?open=1", null, showCard, showError);
    loadQueue();
  }

  function refreshCard() {
    if (current !== null) { call("GET", "/console/api/tickets/" + current, null, showCard); }
  }

  // Reply with a picture: the file itself is the body, with the session's CSRF token.
  $("reply-photo").addEventListener("change", function () {
    var input = $("reply-photo"), file = input.files && input.files[0];
    input.value = "";
    if (!file || current === null) { return; }
    $("card-error").hidden = true;
    var x = new XMLHttpRequest();
    x.open("POST", "/console/api/tickets/" + current + "/photo", true);
    x.timeout = 60000;
    x.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    x.setRequestHeader("X-CSRF-Token", config.csrf);
    x.onload = function () {
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      if (x.status === 401) { window.location.href = "/console/login"; return; }
      if (x.status === 200 && data) { showCard(data); } else { showError(data || {}); }
    };
    x.onerror = function () { showError({}); };
    x.send(file);
  });

  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("reply").value;
    if (!text.replace(/\s/g, "")) { return; }
    act("reply", {text: text}, function () { $("reply").value = ""; });
  });
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("note").value;
    if (!text.replace(/\s/g, "")) { return; }
    act("note", {text: text}, function () { $("note").value = ""; });
  });
  var outcomes = $("outcomes");
  T.OUTCOMES.forEach(function (o, i) {
    var label = el("label");
    var r = el("input"); r.type = "radio"; r.name = "outcome"; r.value = o; r.id = "outcome-" + i;
    label.appendChild(r); label.appendChild(document.createTextNode(" " + o));
    outcomes.appendChild(label);
  });
  $("close-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var chosen = document.querySelector("input[name=outcome]:checked");
    act("close", {outcome: chosen ? chosen.value : "", text: $("close-note").value}, function () {
      $("close-note").value = "";
    });
  });

  loadQueue();
  window.setInterval(loadQueue, 2000);
  window.setInterval(refreshCard, 2000);
  window.setInterval(alarm, 1000);
}());
