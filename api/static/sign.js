/* bwledger: a person signs in the browser (ledger/README.md, "People sign in their browser").
 *
 * - The key: an Ed25519 pair made with WebCrypto, the private key NOT extractable (not even this script
 *   can read it out), kept as a CryptoKey in this origin's IndexedDB, one per account. The page shows the
 *   public key and its key id (hex SHA-256 of the raw 32 bytes); the operator registers it.
 * - Signing: the server prepared the exact canonical statement and the page shows it; this script signs
 *   exactly those bytes (the form's data-statement, base64) and posts {statement, signature} to the form's
 *   data-endpoint, or each of a batch (data-statements, a JSON list of base64) posted as {"entries": [...]}
 *   (all or nothing) to the same (the one place the entries URL is named: the template fills it from api/client.py).
 *   The ledger checks the signature and every admission rule as for any other client.
 * Same-origin script, no inline script: the CSP (api/http/app.py) allows nothing else.
 */
(function () {
  "use strict";

  var DB_NAME = "bwledger-sleutels";
  var STORE = "sleutels";
  var ALGORITHM = { name: "Ed25519" };

  var MESSAGES = {
    SIGNATURE_INVALID: "De handtekening past niet bij de verklaring: de verklaring is onderweg gewijzigd. Er is niets vastgelegd.",
    KEY_NOT_VALID: "Uw sleutel is (nog) niet geldig in het grootboek: laat hem door de beheerder registreren.",
    ACKNOWLEDGEMENT_INVALID: "Dit bericht kunt u niet (nog eens) bevestigen.",
    IDEMPOTENCY_CONFLICT: "Deze handeling is al eerder ondertekend met een andere inhoud. Laad de pagina opnieuw.",
    CLOCK_SKEW: "De voorbereide verklaring is verlopen. Laad de pagina opnieuw.",
    CSRF_FAILED: "Het formulier is verlopen. Laad de pagina opnieuw.",
    NOT_AUTHENTICATED: "U bent niet meer aangemeld. Meld u opnieuw aan.",
    PARTY_NOT_OWN: "Deze verklaring is niet van uw eigen partij.",
    TRANSITION_NOT_ALLOWED: "Het geschil is intussen verder gegaan: deze stap past niet meer. Er is niets vastgelegd; ga terug naar het geschil.",
    ACTOR_NOT_ALLOWED: "Deze stap is niet aan uw partij. Er is niets vastgelegd.",
    CASE_EXISTS: "Over deze regel is intussen al een geschil geopend. Er is niets vastgelegd.",
    EVENT_DATE_INVALID: "De datum van de stap ligt in de toekomst of vóór de vorige stap. Er is niets vastgelegd."
  };

  // ------------------------------------------------------------------ bytes
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function fromBase64(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text);
  }

  // ------------------------------------------------------------------ the key store (IndexedDB)
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var req = action(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(req.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function loadKey(account) {
    return withStore("readonly", function (s) { return s.get(account); });
  }
  function saveKey(account, pair) {
    return withStore("readwrite", function (s) {
      return s.put({ privateKey: pair.privateKey, publicKey: pair.publicKey, made: new Date().toISOString() }, account);
    });
  }
  function makeKey(account) {
    // extractable = false: the private key never leaves the browser's key store
    return crypto.subtle.generateKey(ALGORITHM, false, ["sign", "verify"]).then(function (pair) {
      if (pair.privateKey.extractable) { throw new Error("de privésleutel is uitvoerbaar"); }
      return saveKey(account, pair).then(function () { return pair; });
    });
  }
  function describe(pair) {
    return crypto.subtle.exportKey("raw", pair.publicKey).then(function (raw) {
      return crypto.subtle.digest("SHA-256", raw).then(function (digest) {
        return { publicKey: hex(raw), keyId: hex(digest) };
      });
    });
  }

  function say(element, text, isError) {
    if (!element) { return; }
    element.textContent = text;
    element.classList.toggle("fout", !!isError);
  }

  // ------------------------------------------------------------------ the key page (/sleutel)
  function keyPage(root) {
    var account = root.getAttribute("data-account");
    var status = document.getElementById("sleutel-status");
    var makeButton = document.getElementById("sleutel-maken");
    var field = document.getElementById("publieke-sleutel-veld");
    var ask = document.getElementById("sleutel-aanvragen");

    function show(pair) {
      return describe(pair).then(function (info) {
        document.getElementById("publieke-sleutel").textContent = info.publicKey;
        document.getElementById("sleutel-id").textContent = info.keyId;
        field.value = info.publicKey;
        ask.disabled = false;
        makeButton.hidden = true;
        var registered = root.getAttribute("data-registered-key-id");
        say(status, registered === info.keyId ? "Deze browser heeft uw geregistreerde sleutel."
          : "Deze browser heeft een sleutel voor uw account. Vraag de registratie aan als dat nog niet gebeurd is.");
        root.setAttribute("data-key-id", info.keyId);
      });
    }

    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      say(status, "Deze browser kan niet ondertekenen (geen WebCrypto of IndexedDB).", true);
      makeButton.disabled = true;
      return;
    }
    loadKey(account).then(function (pair) {
      if (pair) { return show(pair); }
      say(status, "Deze browser heeft nog geen sleutel voor uw account.");
      makeButton.disabled = false;
      return null;
    }).catch(function (err) { say(status, "De sleutel kon niet gelezen worden: " + err.message, true); });

    makeButton.addEventListener("click", function () {
      makeButton.disabled = true;
      say(status, "Sleutel wordt gemaakt…");
      makeKey(account).then(show).catch(function (err) {
        makeButton.disabled = false;
        say(status, "De sleutel kon niet gemaakt worden (ondersteunt deze browser Ed25519?): " + err.message, true);
      });
    });
  }

  // ------------------------------------------------------------------ signing a prepared statement
  function signForm(form) {
    var out = document.getElementById(form.getAttribute("data-uitkomst") || "onderteken-uitkomst");
    var button = form.querySelector("button[type=submit]");

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var account = form.getAttribute("data-account");
      var wantedKey = form.getAttribute("data-key-id");
      // one statement (data-statement), or a batch (data-statements: a JSON list) posted as {"entries": [...]}
      var batch = form.hasAttribute("data-statements");
      var statements = batch ? JSON.parse(form.getAttribute("data-statements")) : [form.getAttribute("data-statement")];
      var endpoint = form.getAttribute("data-endpoint");
      var csrf = form.querySelector("input[name=csrf]").value;
      button.disabled = true;
      say(out, "Ondertekenen…");
      loadKey(account).then(function (pair) {
        if (!pair) { throw new Error("Deze browser heeft geen sleutel voor uw account: maak hem op de pagina Sleutel."); }
        return describe(pair).then(function (info) {
          if (info.keyId !== wantedKey) {
            throw new Error("De sleutel in deze browser (" + info.keyId.slice(0, 16) + "…) is niet uw geregistreerde sleutel ("
              + wantedKey.slice(0, 16) + "…).");
          }
          return Promise.all(statements.map(function (b64) {
            return crypto.subtle.sign(ALGORITHM, pair.privateKey, fromBase64(b64));
          }));
        });
      }).then(function (signatures) {
        say(out, "Indienen…");
        var items = statements.map(function (b64, i) { return { statement: b64, signature: toBase64(signatures[i]) }; });
        return fetch(endpoint, {
          method: "POST", credentials: "same-origin",
          headers: { "content-type": "application/json", "accept": "application/json", "x-csrf-token": csrf },
          body: JSON.stringify(batch ? { entries: items } : items[0])
        });
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            var text = MESSAGES[body.code] || ("Het grootboek weigert: " + (body.detail || response.status));
            var err = new Error(text);
            err.code = body.code;
            throw err;
          }
          var seq = batch ? body.results[body.results.length - 1].seq : body.seq;
          say(out, "Vastgelegd in het grootboek als regel " + seq + ".");
          form.setAttribute("data-seq", String(seq));
          var after = form.getAttribute("data-after");
          if (after) { window.location.assign(after + (after.indexOf("?") < 0 ? "?" : "&") + "regel=" + seq); }
        });
      }).catch(function (err) {
        button.disabled = false;
        say(out, err.message + (err.code ? " (code " + err.code + ")" : ""), true);
        form.setAttribute("data-error", err.code || "ERROR");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("sleutel");
    if (root) { keyPage(root); }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-statement], form[data-statements]"), signForm);
  });
}());
