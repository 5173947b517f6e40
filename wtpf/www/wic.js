// The WIC page's logic (DESIGN.md "WIC API"): login over POST /api/login, then one WebSocket
// to /wic?token=... carrying JSON messages; calls with RTCPeerConnection and complete
// (non-trickle) SDP in both directions. Plain JavaScript for current Chromium and Firefox.
// window.wic exposes the state (status, calls) for people and for the browser tests.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const GATHER_MS = 3000; // longest wait for ICE gathering before the SDP goes out anyway
  const KEEP_ENDED = 8;   // ended calls kept on screen

  const wic = {
    status: 'logged-out',
    user: null,
    uri: null,
    calls: {},      // id -> call {id, dir, peer, state, code, reason, media, pc, ...}
    errors: [],     // error messages from the wtpf
    snapshot() {    // plain data for tests and debugging
      return {
        status: wic.status, user: wic.user, uri: wic.uri, errors: wic.errors.slice(),
        calls: Object.values(wic.calls).map((c) => ({
          id: c.id, dir: c.dir, peer: c.peer, state: c.state, code: c.code,
          reason: c.reason, media: c.media,
        })),
      };
    },
    async stats(id) { // audio counters of a call's RTCPeerConnection
      const c = wic.calls[id];
      const r = { bytesReceived: 0, packetsReceived: 0, bytesSent: 0, audioLevel: 0 };
      if (!c || !c.pc) return r;
      (await c.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          r.bytesReceived += s.bytesReceived || 0;
          r.packetsReceived += s.packetsReceived || 0;
          if (s.audioLevel) r.audioLevel = s.audioLevel;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'audio') r.bytesSent += s.bytesSent || 0;
      });
      return r;
    },
  };
  window.wic = wic;

  let ws = null;
  let seq = 0;

  function setStatus(status, text) {
    wic.status = status;
    const el = $('status');
    el.dataset.status = status;
    el.textContent = text;
  }

  function showError(where, text) {
    $(where).textContent = text || '';
  }

  // ---- login and WebSocket ----

  async function login(user, password) {
    const r = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
    let body = {};
    try { body = await r.json(); } catch (e) { /* not JSON */ }
    if (r.status === 429) {
      throw new Error('Too many failed logins; retry in ' + (r.headers.get('Retry-After') || 'a few') + ' s');
    }
    if (!r.ok) throw new Error(body.error || ('login failed (' + r.status + ')'));
    return body;
  }

  function connect(token) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + '/wic?token=' + encodeURIComponent(token));
    setStatus('connecting', 'connecting…');
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      handle(m);
    };
    ws.onclose = (ev) => {
      ws = null;
      for (const c of Object.values(wic.calls)) {
        if (c.state !== 'ended') finish(c, 0, 'connection to the wtpf lost');
      }
      setStatus('logged-out', 'disconnected (' + ev.code + (ev.reason ? ' ' + ev.reason : '') + ')');
      $('login').hidden = false;
      $('phone').hidden = true;
      $('logout').hidden = true;
    };
  }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  // ---- calls ----

  function newCall(id, dir, peer) {
    const c = { id, dir, peer, state: 'starting', code: null, reason: '', media: 'new', pc: null, stream: null, audio: null };
    wic.calls[id] = c;
    render();
    return c;
  }

  function setState(c, state) {
    c.state = state;
    render();
  }

  async function media(c) {
    c.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    const pc = new RTCPeerConnection({ iceServers: [], rtcpMuxPolicy: 'require' });
    c.pc = pc;
    for (const t of c.stream.getAudioTracks()) pc.addTrack(t, c.stream);
    pc.ontrack = (ev) => {
      if (!c.audio) {
        c.audio = document.createElement('audio');
        c.audio.autoplay = true;
        c.audio.dataset.call = c.id;
        $('audio').appendChild(c.audio);
      }
      c.audio.srcObject = ev.streams[0] || new MediaStream([ev.track]);
      c.audio.play().catch(() => { /* autoplay policy: the user may have to click */ });
    };
    pc.onconnectionstatechange = () => {
      c.media = pc.connectionState;
      render();
    };
    return pc;
  }

  // Complete SDP: wait for ICE gathering (bounded), as the WIC API carries no trickle.
  function gathered(pc) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const done = () => {
        if (pc.iceGatheringState === 'complete') {
          pc.removeEventListener('icegatheringstatechange', done);
          resolve();
        }
      };
      pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, GATHER_MS);
    });
  }

  async function placeCall(to) {
    const id = 'c' + Date.now().toString(36) + '-' + (++seq);
    const c = newCall(id, 'out', to);
    try {
      const pc = await media(c);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      if (c.state === 'ended') return;
      if (!send({ type: 'call', id, to, sdp: pc.localDescription.sdp })) throw new Error('not connected');
      setState(c, 'calling');
    } catch (e) {
      finish(c, 0, 'cannot place the call: ' + e.message);
    }
  }

  async function answerCall(c) {
    if (c.state !== 'incoming') return;
    setState(c, 'answering');
    try {
      const pc = await media(c);
      await pc.setRemoteDescription({ type: 'offer', sdp: c.offer });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      if (c.state === 'ended') return;
      send({ type: 'answer', id: c.id, sdp: pc.localDescription.sdp });
      setState(c, 'connected');
    } catch (e) {
      send({ type: 'reject', id: c.id });
      showError('phone-error', 'cannot answer: ' + e.message);
    }
  }

  function rejectCall(c) {
    send({ type: 'reject', id: c.id });
  }

  function hangupCall(c) {
    if (!send({ type: 'hangup', id: c.id })) finish(c, 0, 'local hangup');
  }

  function sendDtmf(c, digit) {
    send({ type: 'dtmf', id: c.id, digits: digit });
  }

  function finish(c, code, reason) {
    c.state = 'ended';
    c.code = code;
    c.reason = reason || '';
    if (c.pc) { try { c.pc.close(); } catch (e) { /* already closed */ } }
    if (c.stream) c.stream.getTracks().forEach((t) => t.stop());
    if (c.audio) c.audio.remove();
    c.pc = c.stream = c.audio = null;
    c.media = 'closed';
    // keep a few ended calls on screen
    const ended = Object.values(wic.calls).filter((x) => x.state === 'ended');
    while (ended.length > KEEP_ENDED) delete wic.calls[ended.shift().id];
    render();
  }

  // ---- messages from the wtpf ----

  function handle(m) {
    const c = m.id ? wic.calls[m.id] : null;
    switch (m.type) {
      case 'ready':
        wic.user = m.user;
        wic.uri = m.uri;
        setStatus('ready', 'logged in as ' + m.user);
        $('identity').textContent = m.user + ' — ' + m.uri;
        $('login').hidden = true;
        $('phone').hidden = false;
        $('logout').hidden = false;
        break;
      case 'incoming': {
        const n = newCall(m.id, 'in', m.from);
        n.offer = m.sdp;
        setState(n, 'incoming');
        break;
      }
      case 'progress':
        if (c && c.state !== 'ended') setState(c, m.code === 180 ? 'ringing' : 'progress');
        break;
      case 'answered':
        if (c && c.pc) {
          c.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp })
            .then(() => setState(c, 'connected'))
            .catch((e) => { showError('phone-error', 'bad answer: ' + e.message); hangupCall(c); });
        }
        break;
      case 'ended':
        if (c) finish(c, m.code, m.reason);
        break;
      case 'error':
        wic.errors.push(m);
        showError('phone-error', 'wtpf: ' + m.code + ' ' + m.reason + (m.id ? ' (call ' + m.id + ')' : ''));
        break;
      default:
        break;
    }
  }

  // ---- view ----

  function button(label, cls, fn) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.className = cls;
    b.addEventListener('click', fn);
    return b;
  }

  const LABEL = {
    starting: 'starting…', calling: 'calling…', ringing: 'ringing', progress: 'in progress',
    incoming: 'incoming call', answering: 'answering…', connected: 'connected', ended: 'ended',
  };

  function render() {
    const body = document.querySelector('#calls tbody');
    body.textContent = '';
    for (const c of Object.values(wic.calls).reverse()) {
      const tr = document.createElement('tr');
      tr.dataset.id = c.id;
      tr.dataset.state = c.state;
      tr.dataset.media = c.media;
      const cells = [
        c.dir === 'out' ? 'outgoing' : 'incoming',
        c.peer,
        (LABEL[c.state] || c.state) + (c.state === 'connected' && c.media !== 'connected' ? ' (media ' + c.media + ')' : '')
          + (c.state === 'ended' ? ' — ' + (c.code ? c.code + ' ' : '') + c.reason : ''),
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      const act = document.createElement('td');
      if (c.state === 'incoming') {
        act.appendChild(button('Answer', 'answer', () => answerCall(c)));
        act.appendChild(button('Reject', 'reject', () => rejectCall(c)));
      } else if (c.state !== 'ended') {
        act.appendChild(button('Hang up', 'hangup', () => hangupCall(c)));
      }
      if (c.state === 'connected') {
        const pad = document.createElement('span');
        pad.className = 'keypad';
        for (const d of '123456789*0#') pad.appendChild(button(d, 'dtmf', () => sendDtmf(c, d)));
        act.appendChild(pad);
      }
      tr.appendChild(act);
      body.appendChild(tr);
    }
  }

  // ---- wiring ----

  $('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError('login-error', '');
    $('login-button').disabled = true;
    try {
      const r = await login($('user').value.trim(), $('password').value);
      $('password').value = '';
      connect(r.token);
    } catch (e) {
      showError('login-error', e.message);
    } finally {
      $('login-button').disabled = false;
    }
  });

  $('dial').addEventListener('submit', (ev) => {
    ev.preventDefault();
    showError('phone-error', '');
    const to = $('number').value.trim();
    if (to) placeCall(to);
  });

  $('logout').addEventListener('click', () => {
    if (ws) ws.close(1000, 'logout');
  });

  window.addEventListener('beforeunload', () => {
    if (ws) ws.close(1001, 'page closed');
  });
}());
