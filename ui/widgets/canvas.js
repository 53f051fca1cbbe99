// The draw page's canvas: streamlit-drawable-canvas's own frontend, mounted through this
// module, which changes five things about it.
//
// 1. A rerun that lands while a stroke is being drawn (a new brush size, say) reconfigures
//    the canvas's brush, which drops the points drawn so far: the start of that stroke was
//    lost. Here such an update waits until the stroke has ended.
// 2. A finished stroke is sent at once (the toolbar's own "Update the app" button), not after
//    the canvas's 200 ms debounce.
// 3. The width the page gives the canvas is reported back (as `space`), so that the app can
//    draw a narrower canvas on a phone instead of one that scrolls sideways under the finger.
// 4. Its toolbar keeps Undo, Redo and Clear, named in words (canvas.css shows them under the
//    canvas, hover or not). Its pencil ("Edit") switched to selecting strokes, after which a
//    stroke left no ink: it is taken out, with the buttons that act on a selection only.
// 5. While a stroke is drawn, the picture so far (the strokes before it and the stroke up to
//    the pen) is sent as `partial`, at most every PARTIAL_MS, so the reading follows the pen.
//    The next goes only once the app has read the one before (it echoes its `seq` back as
//    `partialSeq`), and is taken then: pictures in between are never made, none queue up.
//    A finished stroke is sent whole, as before, and `partial` cleared.
// It also keeps the canvas (and what is drawn) when Streamlit cleans up a call that newer data
// overtook while it loaded: the canvas goes only with the component.

const SEND_BUTTON = 'button[title="Update the app with this drawing"]';
const mounts = new WeakMap();
// The toolbar's buttons kept, by the package's title, and the word each is shown with.
const KEPT_BUTTONS = { Undo: "Undo", Redo: "Redo", "Reset canvas & history": "Clear" };
let canvasModule = null;
// How often the picture so far is sent while the pen moves (at most), and how long to wait
// for the app's answer to one before sending the next regardless.
const PARTIAL_MS = 120;
const PARTIAL_PATIENCE_MS = 1500;

// The canvas's picture now: the finished strokes (lower canvas, on white) and the stroke
// being drawn (upper canvas), as a PNG data URL; encoded off the page's main thread
// (`toBlob`), so that the pen does not wait for it.
async function pictureSoFar(parentElement) {
  const lower = parentElement.querySelector("canvas.lower-canvas");
  const upper = parentElement.querySelector("canvas.upper-canvas");
  if (!lower || !upper) return null;
  const picture = document.createElement("canvas");
  picture.width = lower.width;
  picture.height = lower.height;
  const context = picture.getContext("2d");
  context.fillStyle = "#FFFFFF";
  context.fillRect(0, 0, picture.width, picture.height);
  context.drawImage(lower, 0, 0);
  context.drawImage(upper, 0, 0);
  const png = await new Promise((resolve) => picture.toBlob(resolve, "image/png"));
  if (!png) return null;
  return await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(png);
  });
}

function follow(parentElement, mount) {
  const state = { drawing: false, pending: null, cleanup: null, space: null, data: null };
  // Partial pictures: the last one sent, when, and the last one the app has read.
  Object.assign(state, { sentSeq: 0, sentAt: 0, readSeq: 0, timer: null });
  const sendPartial = async () => {
    const since = performance.now() - state.sentAt;
    const waiting = state.sentSeq > state.readSeq && since < PARTIAL_PATIENCE_MS;
    if (mounts.get(parentElement) !== state) return clearInterval(state.timer);
    if (!state.drawing || waiting || since < PARTIAL_MS || state.encoding) return;
    state.encoding = true;
    const stroke = state.stroke;
    const data = await pictureSoFar(parentElement);
    state.encoding = false;
    // A picture of a stroke that ended while it was encoded is not sent: the whole is.
    if (!data || !state.drawing || stroke !== state.stroke) return;
    state.sentSeq += 1;
    state.sentAt = performance.now();
    state.setValue("partial", { seq: state.sentSeq, data });
    state.partialSent = true;
  };
  const settle = () => {
    if (!state.drawing) return;
    state.drawing = false;
    clearInterval(state.timer);
    // After the canvas's own handlers (pointerup, then mouseup or touchend) have stored
    // the stroke.
    setTimeout(() => {
      // A next stroke begun already (input comes before timers on a busy page) keeps the
      // update pending: applied now, it would drop that stroke's points. Its end sends all.
      if (state.drawing) return;
      if (state.pending) {
        const pending = state.pending;
        state.pending = null;
        state.cleanup = mount(pending);
      }
      parentElement.querySelector(SEND_BUTTON)?.click();
      if (state.partialSent) state.setValue("partial", null);
      state.partialSent = false;
    }, 0);
  };
  const begin = (event) => {
    if (!(event.target instanceof HTMLCanvasElement)) return;
    state.drawing = true;
    state.stroke = (state.stroke ?? 0) + 1;
    state.readSeq = state.sentSeq; // an answer still due is for an earlier stroke
    clearInterval(state.timer);
    state.timer = setInterval(sendPartial, PARTIAL_MS / 4);
  };
  parentElement.addEventListener("pointerdown", begin, true);
  for (const name of ["pointerup", "pointercancel", "mouseup", "touchend", "touchcancel"]) {
    window.addEventListener(name, settle, true);
  }
  // The component lives in a shadow root: its host is the box the page gives it.
  const box = parentElement instanceof ShadowRoot ? parentElement.host : parentElement;
  // Reported only when it would change the canvas's width: a desktop page never reruns for it.
  const measure = () => {
    const space = Math.floor(box.getBoundingClientRect().width);
    const wanted = Math.min(space, state.data.maxWidth);
    if (space > 0 && space !== state.space && wanted !== state.data.canvasWidth) {
      state.space = space;
      state.report(space);
    }
  };
  const observer = new ResizeObserver(measure);
  observer.observe(box);
  state.stop = () => {
    observer.disconnect();
    clearInterval(state.timer);
    parentElement.removeEventListener("pointerdown", begin, true);
    for (const name of ["pointerup", "pointercancel", "mouseup", "touchend", "touchcancel"]) {
      window.removeEventListener(name, settle, true);
    }
  };
  state.measure = measure;
  state.box = box;
  return state;
}

function tidyToolbar(parentElement) {
  const toolbar = parentElement.querySelector(".dc-toolbar");
  if (!toolbar || toolbar.dataset.tidied) return;
  toolbar.dataset.tidied = "true";
  for (const selector of ['button[title="Edit"]', ".dc-toolbar-separator", ".dc-toolbar-contextual"]) {
    toolbar.querySelector(selector)?.remove();
  }
  for (const [title, name] of Object.entries(KEPT_BUTTONS)) {
    const button = toolbar.querySelector(`button[title="${title}"]`);
    if (!button) continue;
    button.title = name;
    button.setAttribute("aria-label", name);
    const text = document.createElement("span");
    text.textContent = name;
    button.append(text);
  }
}

export default async function (component) {
  const { data, parentElement, setStateValue } = component;
  canvasModule ??= import(new URL(data.moduleUrl, window.location.href).href);
  const mount = (await canvasModule).default;
  let state = mounts.get(parentElement);
  if (!state) {
    state = follow(parentElement, mount);
    mounts.set(parentElement, state);
  }
  const call = (state.calls = (state.calls ?? 0) + 1);
  state.data = data;
  state.report = (space) => setStateValue("space", space);
  state.setValue = setStateValue;
  if (typeof data.partialSeq === "number" && data.partialSeq > state.readSeq) {
    state.readSeq = data.partialSeq; // the app has read it: the next may go
  }
  if (state.drawing) {
    state.pending = component;
  } else {
    state.cleanup = mount(component);
  }
  tidyToolbar(parentElement);
  state.measure();
  return () => {
    // Streamlit runs a call's cleanup when the component leaves the page, and also when
    // newer data overtook the call while it loaded, which can be before the newer call has
    // reached this module: only a box that has left the page loses its canvas.
    if (state.box.isConnected || call !== state.calls || mounts.get(parentElement) !== state) return;
    state.cleanup?.();
    state.stop();
    mounts.delete(parentElement);
  };
}
