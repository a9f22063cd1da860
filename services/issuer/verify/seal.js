// "Sello del código QR": the fragment (#CMM1:...) never reaches the server, so the page
// sends it to POST /v1/verify/seal and shows the seal's claims beside our records.
// Only textContent and createElement: the page's CSP requires Trusted Types.
(() => {
  "use strict";
  const section = document.getElementById("sello");
  const result = document.getElementById("seal-result");
  if (!section || !result) return;
  const record = JSON.parse(section.dataset.record || "{}");

  const when = (epoch) => new Date(epoch * 1000).toLocaleString("es-EC", {
    timeZone: "America/Guayaquil", dateStyle: "long", timeStyle: "short",
  });
  const ROWS = [
    ["n", "Número de certificado", String],
    ["iat", "Fecha y hora de emisión", when],
    ["auth", "Autoridad requirente", String],
    ["ofi", "Oficio N.º", String],
    ["sub", "Titular", String],
    ["sid", "Identificación del titular", String],
    ["cnt", "Movimientos certificados", String],
  ];

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function comparison(claims) {
    const table = element("table", undefined, "seal-compare");
    const head = element("tr");
    for (const title of ["Dice el sello", "Dicen los registros"]) {
      head.append(element("th", title));
    }
    table.append(head);
    // Each datum: its name on a row of its own, then both values (fits a phone).
    function add(label, fromSeal, fromRecords, className) {
      const name = element("th", label);
      name.colSpan = 2;
      const values = element("tr", undefined, className);
      values.append(element("td", fromSeal), element("td", fromRecords));
      table.append(element("tr", undefined, "seal-compare__label"), values);
      table.lastChild.previousSibling.append(name);
    }
    let differences = 0;
    for (const [key, label, show] of ROWS) {
      const same = claims[key] === record[key];
      if (!same) differences += 1;
      add(label, show(claims[key]), (same ? "✓ " : "✗ ") + show(record[key]),
        same ? "" : "seal-compare__diff");
    }
    const period = (claims.from ? "del " + claims.from : "desde el primer registro") +
      " al " + claims.to;
    add("Período consultado", period, "—", "");
    return [table, differences];
  }

  function show(kind, title, ...nodes) {
    result.className = "result result--" + kind;
    result.replaceChildren(element("p", title, "result__title"), ...nodes);
  }

  async function check() {
    const seal = window.location.hash.slice(1);
    section.hidden = !seal.startsWith("CMM1:");
    if (section.hidden) return;
    show("pending", "Comprobando el sello del código QR…");
    try {
      const response = await fetch(section.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ seal }),
        credentials: "omit",
        cache: "no-store",
      });
      if (!response.ok) {
        show("error", "No se pudo comprobar el sello del código QR.");
        return;
      }
      const body = await response.json();
      if (!body.valid && body.reason === "MALFORMED") {
        // Some scanner apps cut a URL at the first space (a base45 character).
        show("warn", "No se pudo leer el sello del código QR completo.", element("p",
          "Escanee el código con la cámara del teléfono o compare los datos de arriba " +
          "con el documento impreso."));
        return;
      }
      if (!body.valid) {
        show("bad", "El sello del código QR NO es válido.", element("p",
          "El código QR fue alterado o no lo emitió la Subsecretaría de Migración: " +
          "no acepte el documento como válido."));
        return;
      }
      const [table, differences] = comparison(body.claims);
      if (differences > 0) {
        show("bad", "El sello es auténtico, pero NO corresponde a este certificado.",
          element("p", "Los datos marcados con ✗ no coinciden con nuestros registros."), table);
      } else if (body.status === "REVOKED") {
        show("bad", "El sello es auténtico, pero el certificado fue REVOCADO.", table);
      } else {
        show("ok", "El sello del código QR es válido y coincide con nuestros registros.",
          element("p", "Compare también estos datos con el documento impreso."), table);
      }
    } catch {
      show("error", "No se pudo conectar con el servicio de verificación.");
    }
  }

  // A second scan in the same tab may change only the fragment: no reload then.
  window.addEventListener("hashchange", check);
  check();
})();
