// Preloaded with --import: breaks listr2's live renderer the way a real bug in
// it would, so a test can prove a rendering failure never ends a run.
//   RENDER_FAULT=start     the first frame throws (render() rejects), late enough
//                          that a gate is already waiting for its task
//   RENDER_FAULT=update:N  the Nth redraw throws, from listr2's own timer
//   RENDER_FAULT=end       closing the display throws too
//   RENDER_FAULT=slow      the first frame comes 500 ms late (a slow disk loading
//                          the renderer): a fast run is over before it
// It patches the same module instance the CLI loads (one resolved listr2).
import { DefaultRenderer } from 'listr2';

const fault = process.env.RENDER_FAULT ?? '';
const boom = (where) => new TypeError(`Cannot read properties of undefined (reading 'write') [injected in ${where}]`);
const proto = DefaultRenderer.prototype;

if (fault === 'start') {
  proto.render = async function () {
    await new Promise((r) => setTimeout(r, 500));
    throw boom('render');
  };
}
if (fault === 'slow') {
  const render = proto.render;
  proto.render = async function () {
    await new Promise((r) => setTimeout(r, 500));
    return render.call(this);
  };
}
if (fault.startsWith('update:')) {
  const nth = Number(fault.slice('update:'.length));
  const update = proto.update;
  let n = 0;
  proto.update = function () {
    if (++n === nth) throw boom('update');
    return update.call(this);
  };
}
if (fault === 'end') {
  proto.end = function () {
    throw boom('end');
  };
}
