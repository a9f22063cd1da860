// "Verifique el archivo PDF": POST /v1/verify takes the file's raw bytes as
// application/pdf and answers JSON, so a plain HTML form cannot call it.
// Only textContent and createElement: the page's CSP requires Trusted Types.
(() => {
  "use strict";
  const form = document.getElementById("pdf-check");
  const result = document.getElementById("pdf-result");
  if (!form || !result) return;
  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("button");
  const endpoint = form.dataset.endpoint;
  const pageNumber = form.dataset.number || "";
  form.hidden = false; // without JavaScript the <noscript> note explains instead

  function show(kind, title, ...details) {
    const heading = document.createElement("p");
    heading.className = "result__title";
    heading.textContent = title;
    const lines = details.filter(Boolean).map((text) => {
      const line = document.createElement("p");
      line.textContent = text;
      return line;
    });
    result.className = "result result--" + kind;
    result.replaceChildren(heading, ...lines);
  }

  function whichCertificate(number) {
    if (!number) return "";
    if (!pageNumber) return "Corresponde al certificado N.º " + number + ".";
    return number === pageNumber
      ? "Corresponde al certificado N.º " + number + ", el que muestra esta página."
      : "Corresponde al certificado N.º " + number + ", que NO es el que muestra esta página.";
  }

  function verdict(body) {
    const another = pageNumber && body.number && body.number !== pageNumber;
    if (body.match && another && body.status === "VALID") {
      // Genuine, but not the certificate this page vouches for: never a green box.
      return ["warn", "El archivo es un certificado emitido, pero NO es el que muestra " +
        "esta página.", "Corresponde al certificado N.º " + body.number +
        "; esta página muestra el N.º " + pageNumber + ".",
        "Compruebe que tiene el archivo correcto: los datos de esta página no son los " +
        "de ese archivo."];
    }
    if (body.match && body.signature_valid && body.status === "VALID") {
      return ["ok", "El archivo es idéntico al certificado emitido y su firma es válida.",
        whichCertificate(body.number)];
    }
    if (body.match && body.status === "REVOKED") {
      return ["bad", "El archivo es idéntico a un certificado emitido, pero ese certificado " +
        "fue REVOCADO y no tiene validez.", whichCertificate(body.number)];
    }
    if (body.match) {
      return ["warn", "El archivo coincide con un certificado emitido, pero su firma no pudo " +
        "validarse.", whichCertificate(body.number),
        "Consulte a la Subsecretaría de Migración antes de aceptarlo."];
    }
    return ["bad", "El archivo NO corresponde a un certificado emitido.",
      body.signature_valid
        ? "Tiene una firma válida, pero su contenido no es idéntico al de ningún certificado " +
          "emitido: pudo haber sido modificado o guardado de nuevo."
        : "No tiene una firma válida de la Subsecretaría de Migración: pudo haber sido " +
          "alterado, o no es un certificado de movimientos migratorios.",
      "No lo acepte como válido. Si cree que se trata de un error, pida el archivo original " +
        "a quien se lo entregó."];
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files && input.files[0];
    if (!file) {
      show("error", "Seleccione primero el archivo PDF del certificado.");
      input.focus();
      return;
    }
    button.disabled = true;
    show("pending", "Verificando el archivo…");
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/pdf", Accept: "application/json" },
        body: file,
        credentials: "omit",
        cache: "no-store",
      });
      if (response.status === 413) {
        show("error", "El archivo es demasiado grande para ser un certificado.");
      } else if (!response.ok) {
        show("error", "No se pudo verificar el archivo.", "Inténtelo de nuevo en unos minutos.");
      } else {
        show(...verdict(await response.json()));
      }
    } catch {
      show("error", "No se pudo conectar con el servicio de verificación.",
        "Compruebe su conexión e inténtelo de nuevo.");
    } finally {
      button.disabled = false;
    }
  });
})();
