/*
 * Draw-your-signature widget for service reports (finger, pen or mouse).
 *
 * Vanilla ES2018, no dependencies, no build step. Markup contract:
 *
 *   <input type="hidden" id="signature" name="signature" value="">
 *   <div class="signature-pad" data-target="signature"
 *        data-clear-label="Clear" data-hint="Sign above the line"></div>
 *
 * Every div.signature-pad[data-target] is enhanced on DOMContentLoaded; content added
 * later can be enhanced with window.PortalSignature.attach(element) (idempotent).
 *
 * The hidden input receives a PNG data URL (black ink on white) after every stroke and
 * is emptied by "clear"; an untouched pad leaves it empty. A data URL already present in
 * the input (a form re-rendered after a validation error) is drawn back into the pad.
 * The div carries data-signed="true|false". On every change the input gets "input" and
 * "change" events and the div a "signature:change" event ({detail: {signed}}).
 */
(function () {
  "use strict";

  var DEFAULT_HEIGHT = 200; // CSS px
  var LINE_WIDTH = 2.5; // CSS px
  var INK = "#000";
  var PAPER = "#fff";
  var MAX_PIXEL_RATIO = 3; // bounds the size of the exported PNG on very dense screens
  var DATA_URL = /^data:image\/(png|jpeg|webp);base64,/i;
  var instances = new WeakMap();

  function pixelRatio() {
    return Math.min(Math.max(window.devicePixelRatio || 1, 1), MAX_PIXEL_RATIO);
  }

  function midpoint(a, b) {
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }

  function fire(target, type, detail) {
    var event = detail === undefined
      ? new Event(type, { bubbles: true })
      : new CustomEvent(type, { bubbles: true, detail: detail });
    target.dispatchEvent(event);
  }

  function attach(element) {
    if (!element || element.nodeType !== 1) return null;
    if (instances.has(element)) return instances.get(element);

    var doc = element.ownerDocument || document;
    var targetId = element.getAttribute("data-target");
    var input = targetId ? doc.getElementById(targetId) : null;
    if (!input) {
      if (window.console) console.warn("signature-pad: no input #" + targetId, element);
      return null;
    }

    // ---- DOM -------------------------------------------------------------------------
    element.classList.add("signature-pad--ready");

    var surface = doc.createElement("div");
    surface.className = "signature-pad__surface";

    var canvas = doc.createElement("canvas");
    canvas.className = "signature-pad__canvas";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", element.getAttribute("data-label")
      || element.getAttribute("data-hint") || "Signature");
    // Inline so the widget works even without signature.css.
    var height = parseInt(element.getAttribute("data-height"), 10) || DEFAULT_HEIGHT;
    canvas.style.display = "block";
    canvas.style.boxSizing = "border-box";
    canvas.style.padding = "0";
    canvas.style.width = "100%";
    canvas.style.height = height + "px";
    canvas.style.touchAction = "none"; // a finger draws instead of scrolling the page
    canvas.style.userSelect = "none";
    canvas.style.webkitUserSelect = "none";
    canvas.style.backgroundColor = PAPER;
    surface.appendChild(canvas);

    var footer = doc.createElement("div");
    footer.className = "signature-pad__footer";

    var hintText = element.getAttribute("data-hint");
    if (hintText) {
      var hint = doc.createElement("small");
      hint.className = "signature-pad__hint text-muted";
      hint.textContent = hintText;
      footer.appendChild(hint);
    }

    var clearButton = doc.createElement("button");
    clearButton.type = "button"; // never submits the surrounding form
    clearButton.className = "signature-pad__clear btn btn-sm btn-outline-secondary";
    clearButton.textContent = element.getAttribute("data-clear-label") || "Clear";
    footer.appendChild(clearButton);

    element.appendChild(surface);
    element.appendChild(footer);

    var ctx = canvas.getContext("2d");

    // ---- state -----------------------------------------------------------------------
    var cssWidth = 0; // logical canvas size in CSS px, 0 until laid out
    var cssHeight = 0;
    var ratio = 0;
    var pointerId = null; // pointer currently drawing
    var points = []; // points of the current stroke
    var resizePending = false;
    var restoreGeneration = 0;
    var restoring = false; // an image from the input is still decoding
    var strokedWhileRestoring = false;
    var cache = { url: null, source: null }; // decoded drawable for the input's value

    function hasSignature() {
      return DATA_URL.test(input.value || "");
    }

    function setSigned(signed) {
      element.setAttribute("data-signed", signed ? "true" : "false");
    }

    function announce() {
      fire(input, "input");
      fire(input, "change");
      fire(element, "signature:change", { signed: hasSignature() });
    }

    function applyPen() {
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = LINE_WIDTH;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = INK;
      ctx.fillStyle = INK;
    }

    function wipe() {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
    }

    // Fit a stored signature into the pad without distorting it (left aligned).
    function drawContained(source) {
      var w = source.naturalWidth || source.width;
      var h = source.naturalHeight || source.height;
      if (!w || !h || !cssWidth || !cssHeight) return;
      var scale = Math.min(cssWidth / w, cssHeight / h);
      ctx.drawImage(source, 0, 0, w * scale, h * scale);
    }

    function loadImage(url) {
      return new Promise(function (resolve, reject) {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = url;
      });
    }

    // Repaint the canvas from the input's data URL (initial value, resize, DPR change).
    function paintFromInput() {
      var generation = ++restoreGeneration;
      wipe();
      restoring = false;
      strokedWhileRestoring = false;
      var url = input.value || "";
      if (!DATA_URL.test(url)) return;
      if (cache.url === url && cache.source) {
        drawContained(cache.source); // synchronous: no flash on resize
        return;
      }
      restoring = true;
      loadImage(url).then(function (img) {
        if (generation !== restoreGeneration) return;
        restoring = false;
        cache = { url: url, source: img };
        // Beneath anything drawn while the image was decoding.
        ctx.save();
        ctx.globalCompositeOperation = "destination-over";
        drawContained(img);
        ctx.restore();
        if (strokedWhileRestoring) commit();
      }, function () {
        if (generation !== restoreGeneration) return;
        restoring = false;
        if (!strokedWhileRestoring) {
          // Not an image we can show: never submit something the signer did not see.
          input.value = "";
          setSigned(false);
          announce();
        }
      });
    }

    // The drawable area: the canvas's border box minus its borders.
    function contentBox() {
      var rect = canvas.getBoundingClientRect();
      return {
        left: rect.left + canvas.clientLeft,
        top: rect.top + canvas.clientTop,
        width: Math.max(rect.width - (canvas.offsetWidth - canvas.clientWidth), 0),
        height: Math.max(rect.height - (canvas.offsetHeight - canvas.clientHeight), 0),
      };
    }

    // Size the backing store to the displayed size times devicePixelRatio.
    function sync() {
      var box = contentBox();
      var width = box.width;
      var h = box.height || height;
      var r = pixelRatio();
      if (width < 1) return; // hidden (collapsed tab, closed modal): wait until shown
      if (width === cssWidth && h === cssHeight && r === ratio) return;
      if (pointerId !== null) { // never wipe a stroke in progress
        resizePending = true;
        return;
      }
      resizePending = false;
      cssWidth = width;
      cssHeight = h;
      ratio = r;
      canvas.width = Math.round(width * r);
      canvas.height = Math.round(h * r);
      applyPen(); // resizing a canvas resets its context
      paintFromInput();
    }

    // PNG of the pad flattened onto white paper.
    function exportPng() {
      var out = doc.createElement("canvas");
      out.width = canvas.width;
      out.height = canvas.height;
      var octx = out.getContext("2d");
      octx.fillStyle = PAPER;
      octx.fillRect(0, 0, out.width, out.height);
      octx.drawImage(canvas, 0, 0);
      return { url: out.toDataURL("image/png"), source: out };
    }

    function commit() {
      var png = exportPng();
      cache = png;
      input.value = png.url;
      setSigned(true);
      announce();
    }

    function clear() {
      restoreGeneration++;
      restoring = false;
      strokedWhileRestoring = false;
      pointerId = null;
      points = [];
      cache = { url: null, source: null };
      wipe();
      input.value = "";
      setSigned(false);
      announce();
    }

    // ---- drawing ---------------------------------------------------------------------
    function pointFrom(event) {
      var box = contentBox();
      var sx = box.width ? cssWidth / box.width : 1;
      var sy = box.height ? cssHeight / box.height : 1;
      return { x: (event.clientX - box.left) * sx, y: (event.clientY - box.top) * sy };
    }

    function dot(p) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, LINE_WIDTH / 2, 0, Math.PI * 2);
      ctx.fill();
    }

    // Quadratic curves from midpoint to midpoint, the raw points as control points.
    function extend(p) {
      var last = points[points.length - 1];
      if (last && Math.abs(last.x - p.x) < 0.5 && Math.abs(last.y - p.y) < 0.5) return;
      points.push(p);
      var n = points.length;
      if (n < 2) return;
      ctx.beginPath();
      if (n === 2) {
        var m = midpoint(points[0], points[1]);
        ctx.moveTo(points[0].x, points[0].y);
        ctx.lineTo(m.x, m.y);
      } else {
        var from = midpoint(points[n - 3], points[n - 2]);
        var to = midpoint(points[n - 2], points[n - 1]);
        ctx.moveTo(from.x, from.y);
        ctx.quadraticCurveTo(points[n - 2].x, points[n - 2].y, to.x, to.y);
      }
      ctx.stroke();
    }

    function finish() {
      var n = points.length;
      if (n >= 2) {
        var from = midpoint(points[n - 2], points[n - 1]);
        ctx.beginPath();
        ctx.moveTo(from.x, from.y);
        ctx.lineTo(points[n - 1].x, points[n - 1].y);
        ctx.stroke();
      }
      points = [];
    }

    function onDown(event) {
      if (pointerId !== null) return; // second finger / palm while drawing
      if (event.isPrimary === false) return;
      if (event.pointerType === "mouse" && event.button !== 0) return;
      if (!cssWidth) sync();
      if (!cssWidth) return;
      event.preventDefault();
      pointerId = event.pointerId;
      try {
        canvas.setPointerCapture(event.pointerId);
      } catch (e) { /* synthetic or already released pointer: draw without capture */ }
      var p = pointFrom(event);
      points = [p];
      dot(p);
    }

    function onMove(event) {
      if (event.pointerId !== pointerId) return;
      event.preventDefault();
      var events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
      if (!events.length) events = [event];
      for (var i = 0; i < events.length; i++) extend(pointFrom(events[i]));
    }

    function onUp(event) {
      if (event.pointerId !== pointerId) return;
      event.preventDefault();
      if (event.type === "pointerup") extend(pointFrom(event));
      finish();
      pointerId = null;
      try {
        if (canvas.hasPointerCapture && canvas.hasPointerCapture(event.pointerId)) {
          canvas.releasePointerCapture(event.pointerId);
        }
      } catch (e) { /* ignore */ }
      if (restoring) strokedWhileRestoring = true;
      commit();
      if (resizePending) sync();
    }

    canvas.addEventListener("pointerdown", onDown);
    canvas.addEventListener("pointermove", onMove);
    canvas.addEventListener("pointerup", onUp);
    canvas.addEventListener("pointercancel", onUp);
    canvas.addEventListener("lostpointercapture", function (event) {
      if (event.pointerId === pointerId) onUp(event);
    });
    // Older iOS: keep the page still even if touch-action is ignored.
    canvas.addEventListener("touchstart", function (event) { event.preventDefault(); },
      { passive: false });
    canvas.addEventListener("touchmove", function (event) { event.preventDefault(); },
      { passive: false });
    canvas.addEventListener("contextmenu", function (event) { event.preventDefault(); });
    clearButton.addEventListener("click", clear);

    // ---- resize ----------------------------------------------------------------------
    var scheduled = false;
    function scheduleSync() {
      if (scheduled) return;
      scheduled = true;
      window.requestAnimationFrame(function () {
        scheduled = false;
        sync();
      });
    }
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(scheduleSync).observe(element);
    }
    window.addEventListener("resize", scheduleSync); // also catches zoom (DPR) changes

    setSigned(hasSignature());
    sync();

    var api = {
      element: element,
      canvas: canvas,
      input: input,
      clear: clear,
      isEmpty: function () { return !hasSignature(); },
      refresh: function () { cssWidth = 0; sync(); },
    };
    instances.set(element, api);
    return api;
  }

  function attachAll(root) {
    var scope = root || document;
    var pads = scope.querySelectorAll("div.signature-pad[data-target]");
    var attached = [];
    for (var i = 0; i < pads.length; i++) {
      var api = attach(pads[i]);
      if (api) attached.push(api);
    }
    return attached;
  }

  window.PortalSignature = { attach: attach, attachAll: attachAll };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { attachAll(document); });
  } else {
    attachAll(document);
  }
})();
