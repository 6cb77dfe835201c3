// SKM Perangkat: the survey on a unit's own kiosk tablet or an enumerator's phone. Answers are
// written to IndexedDB first (a durable transaction) and sent later, signed with the device's
// key; the server stores each id once, so sending again after a lost reply is harmless.
'use strict';
(() => {
  const WORDS = {
    id: {
      title: 'Survei Kepuasan Masyarakat',
      intro: 'Terima kasih telah menggunakan layanan kami. Mohon isi survei singkat ini; jawaban Anda anonim.',
      other: 'English',
      online: 'Daring',
      offline: 'Luring',
      waiting: '{n} menunggu dikirim',
      synced: 'terakhir tersinkron {t}',
      never: 'belum pernah tersinkron',
      rejected: '{n} ditolak server',
      sending: 'mengirim…',
      clock: 'jam perangkat selisih {n} menit',
      service: 'Jenis layanan yang Anda terima',
      serviceChoose: '— pilih layanan —',
      profile: 'Profil responden (tidak wajib)',
      profileNone: '— tidak diisi —',
      saran: 'Saran dan masukan (tidak wajib)',
      submit: 'Kirim survei',
      required: 'Mohon pilih salah satu jawaban.',
      serviceRequired: 'Mohon pilih jenis layanan.',
      range: 'Isi angka dari {min} sampai {max}.',
      tooLong: 'Terlalu panjang: paling banyak {max} karakter.',
      check: 'Mohon periksa isian yang ditandai merah.',
      saveFailed: 'Jawaban belum tersimpan di perangkat ini. Silakan kirim lagi.',
      thanks: 'Terima kasih!',
      thanksText: 'Jawaban Anda sudah tersimpan dan akan dikirim otomatis.',
      again: 'Isi survei lagi',
      chooseUnit: 'Pilih unit layanan',
      changeUnit: 'Ganti unit',
      noQuestionnaire: 'Kuesioner belum diterima dari server. Sambungkan perangkat ke jaringan.',
      retry: 'Coba lagi',
      revoked: 'Perangkat ini telah dicabut oleh operator',
      revokedText: 'Tidak ada lagi yang dikirim dari perangkat ini. {n} jawaban yang belum terkirim tetap tersimpan di sini. Minta kode pendaftaran baru kepada operator unit untuk memakainya lagi.',
      unknownDevice: 'Server tidak mengenali perangkat ini. Minta kode pendaftaran baru kepada operator unit; jawaban yang belum terkirim tetap tersimpan.',
      enrolTitle: 'Daftarkan perangkat',
      enrolText: 'Masukkan kode pendaftaran dari halaman Perangkat milik operator unit (berlaku 15 menit, sekali pakai).',
      enrolCode: 'Kode pendaftaran',
      enrolButton: 'Daftarkan perangkat',
      enrolling: 'Mendaftarkan…',
      codeUnknown: 'Kode pendaftaran tidak dikenal atau sudah dipakai. Minta kode baru kepada operator.',
      codeExpired: 'Kode pendaftaran sudah kedaluwarsa. Minta kode baru kepada operator.',
      codeEmpty: 'Isi kode pendaftaran yang tertera di halaman operator.',
      noNetwork: 'Tidak dapat terhubung ke server. Pendaftaran memerlukan jaringan; coba lagi.',
      enrolFailed: 'Pendaftaran gagal ({s}). Coba lagi atau minta kode baru.',
      noCrypto: 'Peramban ini tidak mendukung penyimpanan kunci yang aman (WebCrypto/IndexedDB). Gunakan Chrome atau Firefox terbaru.',
      officer: 'Petugas: {n}',
      counter: 'Loket {n}',
    },
    en: {
      title: 'Public Satisfaction Survey',
      intro: 'Thank you for using our service. Please fill in this short survey; your answers are anonymous.',
      other: 'Bahasa Indonesia',
      online: 'Online',
      offline: 'Offline',
      waiting: '{n} waiting to be sent',
      synced: 'last synced {t}',
      never: 'never synced yet',
      rejected: '{n} rejected by the server',
      sending: 'sending…',
      clock: 'device clock off by {n} minutes',
      service: 'The service you received',
      serviceChoose: '— choose a service —',
      profile: 'About you (optional)',
      profileNone: '— not given —',
      saran: 'Suggestions (optional)',
      submit: 'Send survey',
      required: 'Please choose one answer.',
      serviceRequired: 'Please choose the service.',
      range: 'Enter a number from {min} to {max}.',
      tooLong: 'Too long: at most {max} characters.',
      check: 'Please check the fields marked in red.',
      saveFailed: 'Your answers were not saved on this device. Please send again.',
      thanks: 'Thank you!',
      thanksText: 'Your answers are saved and will be sent automatically.',
      again: 'Fill in again',
      chooseUnit: 'Choose the service unit',
      changeUnit: 'Change unit',
      noQuestionnaire: 'The questionnaire has not arrived from the server yet. Connect the device to a network.',
      retry: 'Try again',
      revoked: 'This device has been revoked by the operator',
      revokedText: 'Nothing more is sent from this device. {n} answers not yet sent stay stored here. Ask the unit operator for a new enrolment code to use it again.',
      unknownDevice: 'The server does not know this device. Ask the unit operator for a new enrolment code; answers not yet sent stay stored.',
      enrolTitle: 'Enrol this device',
      enrolText: 'Enter the enrolment code from the unit operator\'s Devices page (valid 15 minutes, one use).',
      enrolCode: 'Enrolment code',
      enrolButton: 'Enrol device',
      enrolling: 'Enrolling…',
      codeUnknown: 'Unknown or already used enrolment code. Ask the operator for a new one.',
      codeExpired: 'The enrolment code has expired. Ask the operator for a new one.',
      codeEmpty: 'Enter the enrolment code shown on the operator\'s page.',
      noNetwork: 'Cannot reach the server. Enrolment needs a network; try again.',
      enrolFailed: 'Enrolment failed ({s}). Try again or ask for a new code.',
      noCrypto: 'This browser cannot keep a key safely (WebCrypto/IndexedDB). Use a recent Chrome or Firefox.',
      officer: 'Enumerator: {n}',
      counter: 'Counter {n}',
    },
  };
  const BATCH = 100;
  const SYNC_EVERY_MS = 30000;
  const THANKS_MS = 4000;

  let lang = 'id';
  let device = null; // the enrolment answer plus the key pair
  let config = null; // the last config answer: the units and their questionnaires
  let unitSlug = null;
  let lastSync = null;
  let revoked = false;
  let unknown = false;
  let pending = 0;
  let rejected = 0;
  let syncing = false;
  let netDown = false;
  let skewMinutes = 0;
  let screen = '';
  let shown = null; // the unit entry the form on screen was built from
  let dirty = false;
  let lastInput = Date.now();
  let thanksTimer = 0;

  const $ = (id) => document.getElementById(id);
  const t = (key, vars) =>
    (WORDS[lang][key] || WORDS.id[key]).replace(/\{(\w+)\}/g, (_, k) => String(vars && k in vars ? vars[k] : ''));
  const text = (value) => (value && typeof value === 'object' ? value[lang] || value.id || '' : String(value ?? ''));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  // ---- IndexedDB: `meta` (device, config, unit, lastSync, revoked), `pending`, `rejected`

  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open('skm-perangkat', 1);
        open.onupgradeneeded = () => {
          const d = open.result;
          d.createObjectStore('meta');
          d.createObjectStore('pending', {keyPath: 'id'});
          d.createObjectStore('rejected', {keyPath: 'id'});
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }

  // One transaction; resolves with what `work` set only once it has completed (for writes: is
  // on disk, `strict` durability), so nothing is reported saved that a power cut could lose.
  async function run(stores, mode, work) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = mode === 'readwrite' ? d.transaction(stores, mode, {durability: 'strict'}) : d.transaction(stores, mode);
      let result;
      work(tx, (value) => (result = value));
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('aborted'));
    });
  }
  const metaGet = (key) =>
    run(['meta'], 'readonly', (tx, set) => {
      const r = tx.objectStore('meta').get(key);
      r.onsuccess = () => set(r.result);
    });
  const metaPut = (key, value) => run(['meta'], 'readwrite', (tx) => tx.objectStore('meta').put(value, key));
  const countOf = (store) =>
    run([store], 'readonly', (tx, set) => {
      const r = tx.objectStore(store).count();
      r.onsuccess = () => set(r.result);
    });
  // the oldest first: UUIDv7 ids sort by the time they were made
  const firstPending = (n) =>
    run(['pending'], 'readonly', (tx, set) => {
      const r = tx.objectStore('pending').getAll(null, n);
      r.onsuccess = () => set(r.result);
    });

  async function counts() {
    pending = await countOf('pending');
    rejected = await countOf('rejected');
    status();
  }

  // ---- ids, encodings, signed requests

  // UUIDv7 (RFC 9562): 48-bit Unix time in ms, version 7, variant 10, the rest random.
  function uuidv7() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    let ms = Date.now();
    for (let i = 5; i >= 0; i--) {
      b[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function base64url(buffer) {
    let s = '';
    for (const byte of new Uint8Array(buffer)) s += String.fromCharCode(byte);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // A fetch that gives up after a minute, so a hung connection cannot hold the sync lock.
  async function send(path, bytes, headers) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 60000);
    try {
      const response = await fetch(path, {
        method: 'POST',
        headers: {'Content-Type': 'application/json', ...headers},
        body: bytes,
        credentials: 'omit',
        cache: 'no-store',
        signal: abort.signal,
      });
      netDown = false;
      return response;
    } catch (e) {
      netDown = true;
      throw e;
    } finally {
      clearTimeout(timer);
      status();
    }
  }

  async function signed(path, payload) {
    const bytes = new TextEncoder().encode(JSON.stringify(payload));
    const signature = await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, device.privateKey, bytes);
    return send(path, bytes, {'X-SKM-Device': device.device, 'X-SKM-Signature': base64url(signature)});
  }

  const problemOf = (response) => response.json().catch(() => ({}));

  // 401/403 from a signed request: the device is revoked or unknown; either way sending stops
  // (the answers stay) until it is enrolled again.
  async function refused(response) {
    if (response.status !== 401 && response.status !== 403) return;
    const problem = await problemOf(response);
    if (response.status === 403 && problem.code !== 'device_revoked') return;
    if (response.status === 403) {
      revoked = true;
      await metaPut('revoked', true);
    } else {
      unknown = true;
    }
    render();
  }

  // ---- enrolment

  async function enrol(raw) {
    // the server ignores case, spaces and dashes; the rest it checks itself
    const code = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
    if (code.length < 6) return t('codeEmpty');
    let keys;
    try {
      keys = await crypto.subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, false, ['sign', 'verify']);
    } catch (e) {
      return t('noCrypto');
    }
    const publicKey = await crypto.subtle.exportKey('raw', keys.publicKey);
    let response;
    try {
      const body = JSON.stringify({code, public_key: base64url(publicKey)});
      response = await send('/api/v1/devices/enrol', new TextEncoder().encode(body), {});
    } catch (e) {
      return t('noNetwork');
    }
    if (response.status !== 201) {
      const problem = await problemOf(response);
      const codes = (problem.fields || []).map((f) => f.code);
      if (codes.includes('enrolment_code_expired')) return t('codeExpired');
      if (codes.includes('enrolment_code_unknown')) return t('codeUnknown');
      return t('enrolFailed', {s: problem.title || response.status});
    }
    const answer = await response.json();
    device = {...answer, privateKey: keys.privateKey, publicKey: keys.publicKey};
    try {
      await metaPut('device', device);
    } catch (e) {
      device = null;
      return t('noCrypto');
    }
    config = null;
    revoked = false;
    unknown = false;
    unitSlug = null;
    await metaPut('revoked', false);
    await metaPut('config', null);
    await metaPut('unit', null);
    await sync();
    return null;
  }

  // ---- sync: config first, then what waits, in batches; one at a time

  async function refreshConfig() {
    const response = await signed('/api/v1/devices/config', {pending});
    if (response.status !== 200) {
      await refused(response);
      return false;
    }
    const fresh = await response.json();
    const serverTime = Date.parse(fresh.server_time);
    if (!Number.isNaN(serverTime)) skewMinutes = Math.round((Date.now() - serverTime) / 60000);
    // the units with their questionnaires (`questionnaires`; `units` in the first drafts of the
    // API), and the kiosk's two timers: the thank-you screen and the idle reset
    const idle = fresh.idle_reset_seconds;
    config = {
      ...fresh,
      units: (fresh.questionnaires || fresh.units || []).filter((u) => u && u.template),
      thanks_seconds: idle === undefined ? THANKS_MS / 1000 : fresh.kiosk_reset_seconds,
      idle_seconds: idle === undefined ? fresh.kiosk_reset_seconds : idle,
    };
    await metaPut('config', config);
    // a blank form on screen follows a new questionnaire version; a half-filled one stays as shown
    const unit = currentUnit();
    const stale = screen === 'form' && !dirty && (!unit || !shown || unit.template_version !== shown.template_version);
    if (stale || ['waiting', 'units', 'unknown'].includes(screen)) render();
    return true;
  }

  async function settle(batch, results) {
    const byId = new Map(batch.map((item) => [item.id, item]));
    await run(['pending', 'rejected'], 'readwrite', (tx) => {
      for (const result of results || []) {
        const item = byId.get(result.id);
        if (!item) continue;
        if (result.status === 'rejected') {
          tx.objectStore('rejected').put({...item, problems: result.problems || [], rejected_at: new Date().toISOString()});
        }
        if (['stored', 'duplicate', 'rejected'].includes(result.status)) tx.objectStore('pending').delete(item.id);
      }
    });
  }

  // A batch refused as a whole (422): the responses it names move to `rejected`; a refusal that
  // names none (e.g. `too_many`) leaves the queue as it is.
  async function rejectNamed(batch, problem) {
    const named = new Map();
    for (const field of problem.fields || []) {
      const m = /^responses\[(\d+)\]/.exec(field.field || '');
      const item = m && batch[Number(m[1])];
      if (item) named.set(item.id, [...(named.get(item.id) || []), field]);
    }
    if (!named.size) return false;
    await settle(
      batch,
      [...named].map(([id, problems]) => ({id, status: 'rejected', problems})),
    );
    return true;
  }

  async function upload() {
    for (;;) {
      const batch = await firstPending(BATCH);
      if (!batch.length) return true;
      const total = await countOf('pending');
      const response = await signed('/api/v1/devices/responses', {pending: total, responses: batch});
      if (response.status === 200) {
        const answer = await response.json();
        await settle(batch, answer.results);
      } else if (response.status === 422) {
        if (!(await rejectNamed(batch, await problemOf(response)))) return false;
      } else {
        await refused(response);
        return false;
      }
      await counts();
    }
  }

  async function sync() {
    if (syncing || !device || revoked || unknown) return;
    syncing = true;
    status();
    try {
      await counts();
      if ((await refreshConfig()) && (await upload())) {
        lastSync = new Date().toISOString();
        await metaPut('lastSync', lastSync);
      }
    } catch (e) {
      // offline or the server is away: everything stays queued for the next try
    } finally {
      syncing = false;
      await counts().catch(() => undefined);
    }
  }

  // ---- the status line

  function status() {
    const net = $('net');
    const online = navigator.onLine && !netDown;
    net.textContent = online ? t('online') : t('offline');
    net.className = online ? 'net' : 'net off';
    const parts = [t('waiting', {n: pending})];
    if (lastSync) {
      const d = new Date(lastSync);
      const hhmm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
      parts.push(t('synced', {t: hhmm}));
    } else {
      parts.push(t('never'));
    }
    if (syncing) parts.push(t('sending'));
    if (Math.abs(skewMinutes) >= 5) parts.push(t('clock', {n: skewMinutes}));
    const queue = $('queue');
    queue.replaceChildren(parts.join(' · '));
    if (rejected) queue.append(' · ', el('span', {class: 'rej'}, t('rejected', {n: rejected})));
  }

  // ---- screens

  function currentUnit() {
    if (!config || !config.units) return null;
    return config.units.find((u) => u.slug === unitSlug) || (config.units.length === 1 ? config.units[0] : null);
  }

  function header(unit) {
    $('title').textContent = unit ? unit.name : 'SKM Perangkat';
    const who = [];
    if (device) {
      who.push(device.label);
      if (device.counter) who.push(t('counter', {n: device.counter}));
      if (device.enumerator) who.push(t('officer', {n: device.enumerator}));
    }
    $('subtitle').textContent = who.join(' · ');
    const change = $('change-unit');
    change.hidden = !(screen === 'form' && config && config.units.length > 1);
    change.textContent = t('changeUnit');
    const toggle = $('lang');
    toggle.textContent = t('other');
    toggle.setAttribute('lang', lang === 'id' ? 'en' : 'id');
    document.documentElement.lang = lang;
    document.body.classList.toggle('kiosk', !!device && device.kind === 'kiosk');
  }

  function show(name, ...children) {
    screen = name;
    clearTimeout(thanksTimer);
    $('main').replaceChildren(...children);
  }

  function render(keep) {
    if (revoked) {
      renderRevoked();
    } else if (!device) {
      renderEnrol('');
    } else if (unknown) {
      show('unknown', el('p', {class: 'notice bad', role: 'alert'}, t('unknownDevice')), enrolForm(''));
    } else if (!config || !config.units || !config.units.length) {
      show(
        'waiting',
        el('p', {class: 'notice'}, t('noQuestionnaire')),
        el('button', {type: 'button', onclick: () => sync()}, t('retry')),
      );
    } else if (!currentUnit()) {
      renderUnits();
    } else {
      renderForm(keep);
    }
    header(screen === 'form' ? currentUnit() : null);
    status();
  }

  function enrolForm(code) {
    const error = el('p', {class: 'err', id: 'e-kode', role: 'alert'});
    const input = el('input', {
      type: 'text', id: 'f-kode', name: 'kode', class: 'code', value: code, autocomplete: 'off',
      autocapitalize: 'characters', spellcheck: 'false', 'aria-describedby': 'h-kode e-kode',
    });
    const button = el('button', {type: 'submit', id: 'daftar'}, t('enrolButton'));
    return el(
      'form',
      {
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          button.disabled = true;
          button.textContent = t('enrolling');
          const problem = await enrol(input.value);
          button.disabled = false;
          button.textContent = t('enrolButton');
          if (problem) {
            error.textContent = problem;
            input.classList.add('invalid');
            input.setAttribute('aria-invalid', 'true');
            input.focus();
          } else {
            render();
          }
        },
      },
      el('label', {for: 'f-kode'}, t('enrolCode')),
      el('p', {class: 'hint', id: 'h-kode'}, t('enrolText')),
      error,
      input,
      button,
    );
  }

  function renderEnrol(code) {
    show('enrol', el('h1', {}, t('enrolTitle')), enrolForm(code));
  }

  function renderRevoked() {
    show(
      'revoked',
      el('h1', {id: 'dicabut'}, t('revoked')),
      el('p', {class: 'notice bad'}, t('revokedText', {n: pending})),
      enrolForm(''),
    );
  }

  function renderUnits() {
    show(
      'units',
      el('h1', {}, t('chooseUnit')),
      el(
        'div',
        {class: 'units'},
        config.units.map((u) =>
          el(
            'button',
            {
              type: 'button', class: 'alt', 'data-unit': u.slug,
              onclick: async () => {
                unitSlug = u.slug;
                await metaPut('unit', unitSlug).catch(() => undefined);
                render();
              },
            },
            u.name,
          ),
        ),
      ),
    );
  }

  // The questions of one questionnaire; `prefix` is `<instrument id>.` for an attached one.
  function questions(template, prefix, values) {
    return template.elements.map((element, i) => {
      const name = prefix + element.code;
      const id = `q-${name.replace(/[^\w-]/g, '_')}`;
      return el(
        'fieldset',
        {id, class: 'question', 'data-name': name},
        el('legend', {}, `${i + 1}. ${text(element.question)}`),
        el('p', {class: 'err', id: `e-${id}`, hidden: true}),
        el(
          'div',
          {class: 'opts'},
          element.answers.map((a) =>
            el(
              'label',
              {class: 'opt'},
              el('input', {type: 'radio', name, value: String(a.score), checked: values.answers[name] === a.score}),
              ` ${text(a.label)}`,
            ),
          ),
        ),
      );
    });
  }

  function field(id, labelText, control, error) {
    return el('div', {id: `w-${id}`}, el('label', {for: id}, labelText), error, control);
  }

  function renderForm(keep) {
    const latest = currentUnit();
    // a language switch keeps the questionnaire version the form was opened with
    const unit = keep && shown && shown.slug === latest.slug ? shown : latest;
    const template = unit.template;
    const values = keep || {layanan: '', profile: {}, answers: {}, saran: ''};
    shown = unit;
    dirty = !!keep;
    const errorOf = (id) => el('p', {class: 'err', id: `e-${id}`, hidden: true});
    const parts = [el('h1', {}, t('title')), el('p', {}, t('intro'))];
    if (unit.services && unit.services.length) {
      parts.push(
        field(
          'f-layanan',
          t('service'),
          el(
            'select',
            {id: 'f-layanan', name: 'layanan'},
            el('option', {value: ''}, t('serviceChoose')),
            unit.services.map((s) => el('option', {value: s.slug, selected: values.layanan === s.slug}, s.name)),
          ),
          errorOf('f-layanan'),
        ),
      );
    }
    if (template.profile && template.profile.length) {
      parts.push(
        el(
          'fieldset',
          {},
          el('legend', {}, t('profile')),
          template.profile.map((p) => {
            const id = `f-${p.code}`;
            const value = values.profile[p.code];
            const control =
              p.kind === 'number'
                ? el('input', {
                    type: 'number', id, name: p.code, inputmode: 'numeric', min: p.min, max: p.max,
                    value: value === undefined ? '' : String(value), 'data-profile': 'number',
                  })
                : el(
                    'select',
                    {id, name: p.code, 'data-profile': 'choice'},
                    el('option', {value: ''}, t('profileNone')),
                    p.options.map((o) => el('option', {value: o.code, selected: value === o.code}, text(o.label))),
                  );
            return field(id, text(p.label), control, errorOf(id));
          }),
        ),
      );
    }
    parts.push(...questions(template, '', values));
    for (const instrument of unit.instruments || []) {
      parts.push(
        el('section', {class: 'instrument'}, el('h2', {}, text(instrument.title)), questions(instrument, `${instrument.id}.`, values)),
      );
    }
    parts.push(
      field(
        'f-saran',
        t('saran'),
        el('textarea', {id: 'f-saran', name: 'saran', maxlength: template.saran_max_chars || null}, values.saran),
        errorOf('f-saran'),
      ),
      el('p', {class: 'err', id: 'e-form', role: 'alert'}),
      el('button', {type: 'submit', id: 'kirim'}, t('submit')),
    );
    const form = el('form', {id: 'survei', novalidate: true, onsubmit: submit, oninput: touched, onchange: touched}, parts);
    show('form', form);
  }

  function touched() {
    dirty = true;
    lastInput = Date.now();
  }

  // What the form on screen holds, as the form can be built again with it.
  function collect() {
    const form = $('survei');
    const values = {layanan: '', profile: {}, answers: {}, saran: ''};
    if (!form) return values;
    const data = new FormData(form);
    values.layanan = String(data.get('layanan') || '');
    values.saran = String(data.get('saran') || '');
    for (const fs of form.querySelectorAll('fieldset[data-name]')) {
      const v = data.get(fs.dataset.name);
      if (v !== null) values.answers[fs.dataset.name] = Number(v);
    }
    for (const input of form.querySelectorAll('[data-profile]')) {
      const v = input.value.trim();
      if (v !== '') values.profile[input.name] = input.dataset.profile === 'number' ? Number(v) : v;
    }
    return values;
  }

  function mark(id, message) {
    const error = $(`e-${id}`);
    const target = $(id);
    error.textContent = message || '';
    error.hidden = !message;
    target.classList.toggle('invalid', !!message);
    if (message) {
      target.setAttribute('aria-invalid', 'true');
      target.setAttribute('aria-describedby', `e-${id}`);
    } else {
      target.removeAttribute('aria-invalid');
      target.removeAttribute('aria-describedby');
    }
    return !!message;
  }

  function validate(values) {
    const unit = shown;
    const bad = [];
    if (unit.services && unit.services.length && mark('f-layanan', values.layanan ? '' : t('serviceRequired'))) {
      bad.push('f-layanan');
    }
    for (const p of unit.template.profile || []) {
      if (p.kind !== 'number') continue;
      const v = values.profile[p.code];
      const wrong = v !== undefined && !(Number.isInteger(v) && v >= p.min && v <= p.max);
      if (mark(`f-${p.code}`, wrong ? t('range', {min: p.min, max: p.max}) : '')) bad.push(`f-${p.code}`);
    }
    for (const fs of $('survei').querySelectorAll('fieldset[data-name]')) {
      if (mark(fs.id, fs.dataset.name in values.answers ? '' : t('required'))) bad.push(fs.id);
    }
    const max = unit.template.saran_max_chars;
    if (mark('f-saran', max && values.saran.length > max ? t('tooLong', {max}) : '')) bad.push('f-saran');
    return bad;
  }

  async function submit(event) {
    event.preventDefault();
    const values = collect();
    const bad = validate(values);
    const formError = $('e-form');
    if (bad.length) {
      formError.textContent = t('check');
      const first = $(bad[0]);
      first.scrollIntoView({block: 'center'});
      (first.querySelector('input') || first).focus({preventScroll: true});
      return;
    }
    const button = $('kirim');
    button.disabled = true;
    const response = {
      id: uuidv7(),
      unit: shown.slug,
      template_version: shown.template_version,
      answered_at: new Date().toISOString(),
      layanan: shown.services && shown.services.length ? values.layanan : null,
      answers: values.answers,
      profile: values.profile,
      saran: values.saran.trim() || null,
    };
    try {
      await run(['pending'], 'readwrite', (tx) => tx.objectStore('pending').add(response));
    } catch (e) {
      button.disabled = false;
      formError.textContent = t('saveFailed');
      return;
    }
    pending += 1;
    dirty = false;
    thanks();
    askBackgroundSync();
    sync();
  }

  function thanks() {
    show(
      'thanks',
      el(
        'div',
        {class: 'thanks', id: 'terima-kasih'},
        el('h1', {}, t('thanks')),
        el('p', {}, t('thanksText')),
        el('button', {type: 'button', class: 'alt', onclick: fresh}, t('again')),
      ),
    );
    header(currentUnit());
    status();
    thanksTimer = setTimeout(fresh, ((config && config.thanks_seconds) || THANKS_MS / 1000) * 1000);
    $('main').focus();
  }

  // A blank form for the next person; a kiosk starts again in Bahasa Indonesia.
  function fresh() {
    if (device && device.kind === 'kiosk') lang = 'id';
    shown = null;
    render();
    window.scrollTo(0, 0);
  }

  function askBackgroundSync() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register('skm-kirim'))
      .catch(() => undefined);
  }

  // ---- start

  function listen() {
    $('lang').addEventListener('click', () => {
      const keep = screen === 'form' ? collect() : null;
      lang = lang === 'id' ? 'en' : 'id';
      if (screen === 'thanks') {
        thanks();
      } else if (keep) {
        render(keep);
        dirty = true;
      } else {
        render();
      }
    });
    $('change-unit').addEventListener('click', async () => {
      unitSlug = null;
      shown = null;
      await metaPut('unit', null).catch(() => undefined);
      render();
    });
    window.addEventListener('online', () => {
      netDown = false;
      status();
      sync();
    });
    window.addEventListener('offline', status);
    setInterval(sync, SYNC_EVERY_MS);
    // a kiosk left half-filled starts over after a while without a touch
    setInterval(() => {
      const seconds = (config && config.idle_seconds) || 90;
      if (device && device.kind === 'kiosk' && screen === 'form' && dirty && Date.now() - lastInput > seconds * 1000) {
        fresh();
      }
    }, 5000);
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('/app/sw.js', {scope: '/app/'}).catch(() => undefined);
      navigator.serviceWorker.addEventListener('message', (event) => event.data === 'sync' && sync());
    }
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => undefined);
  }

  async function start() {
    listen();
    const code = /^#daftar=([A-Za-z0-9-]+)/.exec(location.hash);
    if (code) history.replaceState(null, '', location.pathname + location.search);
    try {
      device = (await metaGet('device')) || null;
      config = (await metaGet('config')) || null;
      unitSlug = (await metaGet('unit')) || null;
      lastSync = (await metaGet('lastSync')) || null;
      revoked = !!(await metaGet('revoked'));
      await counts();
    } catch (e) {
      show('broken', el('p', {class: 'notice bad', role: 'alert'}, t('noCrypto')));
      return;
    }
    if (code && (!device || revoked || unknown)) {
      render();
      $('f-kode').value = code[1];
      $('daftar').click();
    } else {
      render();
    }
    sync();
  }

  start();
})();
