// Boxes drawn straight into a copy of a packed-RGB frame (no fonts, no SVG: exact colours,
// a few microseconds), then JPEG via sharp: the alert snapshot with boxes, its clean copy,
// and the camera wall's annotated frame.
import sharp from 'sharp';
import type { Box } from '../../models/detector/decode.ts';

export type Rgb = readonly [number, number, number];

/** the colour of boxes that made a rule fire (pure red: easy to find in a test, and on the board) */
export const ALERT_COLOUR: Rgb = [255, 0, 0];
/** other detections on the camera wall */
export const DETECTION_COLOUR: Rgb = [0, 200, 255];
export const LINE_WIDTH = 4;

export interface DrawBox {
  box: Box;
  colour: Rgb;
}

export interface RgbFrame {
  rgb: Buffer;
  width: number;
  height: number;
}

/** A copy of the frame with each box's outline drawn `LINE_WIDTH` pixels wide, inside the box. */
export function drawBoxes(frame: RgbFrame, boxes: readonly DrawBox[], lineWidth = LINE_WIDTH): Buffer {
  const { width: W, height: H } = frame;
  const out = Buffer.from(frame.rgb);
  const fill = (x1: number, y1: number, x2: number, y2: number, c: Rgb) => {
    for (let y = Math.max(0, y1); y < Math.min(H, y2); y++) {
      let i = (y * W + Math.max(0, x1)) * 3;
      for (let x = Math.max(0, x1); x < Math.min(W, x2); x++, i += 3) {
        out[i] = c[0];
        out[i + 1] = c[1];
        out[i + 2] = c[2];
      }
    }
  };
  for (const { box, colour } of boxes) {
    const x1 = Math.round(box[0]);
    const y1 = Math.round(box[1]);
    const x2 = Math.round(box[2]);
    const y2 = Math.round(box[3]);
    const w = Math.max(1, Math.min(lineWidth, Math.floor((x2 - x1) / 2), Math.floor((y2 - y1) / 2)));
    fill(x1, y1, x2, y1 + w, colour);
    fill(x1, y2 - w, x2, y2, colour);
    fill(x1, y1, x1 + w, y2, colour);
    fill(x2 - w, y1, x2, y2, colour);
  }
  return out;
}

export function jpeg(frame: RgbFrame, quality = 85): Promise<Buffer> {
  return sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/** The alert's two snapshots: matched boxes drawn, and the frame as it was. */
export async function snapshotPair(frame: RgbFrame, boxes: readonly Box[], quality = 85): Promise<{ annotated: Buffer; clean: Buffer }> {
  const drawn = drawBoxes(frame, boxes.map((box) => ({ box, colour: ALERT_COLOUR })));
  const [annotated, clean] = await Promise.all([jpeg({ ...frame, rgb: drawn }, quality), jpeg(frame, quality)]);
  return { annotated, clean };
}
