// Photos from the camera input, shrunk in the browser before they are stored: a phone
// photo is 3-8 MB, the server takes 2 MB, and the upload may be over a weak signal.

// The largest size within maxSide x maxSide that keeps the aspect ratio; never enlarges.
export function fitWithin(width, height, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

function canvasBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

// A File from <input type=file> -> {bytes: ArrayBuffer, type, width, height}: WebP where
// the browser encodes it, else JPEG (older Safari returns PNG when asked for WebP).
export async function compressPhoto(file, { maxSide = 1600, quality = 0.8 } = {}) {
  // createImageBitmap applies the EXIF orientation ('from-image' is the default).
  const bitmap = await createImageBitmap(file);
  const { width, height } = fitWithin(bitmap.width, bitmap.height, maxSide);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; // JPEG has no transparency
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  let blob = await canvasBlob(canvas, 'image/webp', quality);
  if (!blob || blob.type !== 'image/webp') blob = await canvasBlob(canvas, 'image/jpeg', quality);
  if (!blob) throw new Error('the photo could not be encoded');
  return { bytes: await blob.arrayBuffer(), type: blob.type, width, height };
}
