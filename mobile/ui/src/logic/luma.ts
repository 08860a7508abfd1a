// Camera frames to grey bytes, without the DOM: what `scan_frame` takes (one byte per pixel,
// row by row). Rec. 601 weights in integers, truncated, exactly as the scan crate's own RGBA
// conversion (`Frame::from_rgba`), so a frame decodes the same whichever side converts it.

/** The grey value of each RGBA pixel; `rgba.length` must be 4 × width × height. */
export function rgbaToLuma(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Uint8Array {
  const pixels = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`bad frame size ${width}×${height}`);
  }
  if (rgba.length !== pixels * 4) {
    throw new RangeError(`a ${width}×${height} frame has ${pixels * 4} RGBA bytes, not ${rgba.length}`);
  }
  const luma = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i += 1, j += 4) {
    // Alpha is ignored: camera frames are opaque.
    luma[i] = Math.floor((299 * rgba[j]! + 587 * rgba[j + 1]! + 114 * rgba[j + 2]!) / 1000);
  }
  return luma;
}

/** The frame size to capture from a camera of `width`×`height`: at most 640 pixels wide (what
 *  the decoder is measured on), the camera's aspect ratio kept. */
export function captureSize(width: number, height: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: 640, height: 480 };
  if (width <= 640) return { width: Math.round(width), height: Math.round(height) };
  return { width: 640, height: Math.max(1, Math.round((height * 640) / width)) };
}
